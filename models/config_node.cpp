#include "models/config_node.hpp"

#include "models/suggest.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

namespace apq {
namespace {

constexpr std::string_view kCommandLinePrefix = "--set ";

std::string location_of_region(const toml::source_region& region, std::string_view fallback_file) {
  std::string file = region.path ? *region.path : std::string(fallback_file);
  if (file.starts_with(kCommandLinePrefix)) // the flag is the whole location: its line and column say nothing
    return file;
  if (region.begin.line == 0)
    return file;
  if (file.empty())
    file = "<input>";
  return file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

std::string describe_value(const toml::node& value) {
  switch (value.type()) {
  case toml::node_type::string:
    return "the string \"" + value.as_string()->get() + "\"";
  case toml::node_type::integer:
    return "the integer " + std::to_string(value.as_integer()->get());
  case toml::node_type::floating_point:
    return "the number " + units::format_number(value.as_floating_point()->get());
  case toml::node_type::boolean:
    return value.as_boolean()->get() ? "the boolean true" : "the boolean false";
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  default:
    return "nothing";
  }
}

} // namespace

ConfigError::ConfigError(const std::string& location, const std::string& message)
    : std::runtime_error(location.empty() ? "error: " + message : location + ": error: " + message),
      location_(location), message_(message) {}

std::string location_of(const toml::node& node, std::string_view fallback_file) {
  return location_of_region(node.source(), fallback_file);
}

std::string location_of(const toml::source_region& region, std::string_view fallback_file) {
  return location_of_region(region, fallback_file);
}

std::string command_line_source(std::string_view path, std::string_view value) {
  return std::string(kCommandLinePrefix) + std::string(path) + "=" + std::string(value);
}

std::string read_config_file(const std::filesystem::path& file, std::uintmax_t max_bytes, const std::string& location,
                             std::string_view what) {
  auto fail = [&](const std::string& why) -> void {
    throw ConfigError(location.empty() ? file.string() : location,
                      "cannot read " + std::string(what) + " " + file.string() + ": " + why);
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; we refuse it below anyway.
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    fail(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    fail(std::strerror(errno));
  if (S_ISDIR(info.st_mode))
    fail("it is a directory, not a file");
  if (!S_ISREG(info.st_mode))
    fail("it is not a regular file (a device, FIFO or socket)");
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes)
    fail("it has " + std::to_string(info.st_size) + " bytes, more than the limit of " + std::to_string(max_bytes) +
         " ([limits] include_bytes)");
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail(std::strerror(errno));
    if (n == 0)
      break; // the file shrank while we read it: take what is there
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

ConfigNode::ConfigNode(const toml::table& table, std::string path, std::string file)
    : ConfigNode(table, std::move(path), std::move(file), std::make_shared<UsedKeys>()) {}

ConfigNode::ConfigNode(const toml::table& table, std::string path, std::string file, std::shared_ptr<UsedKeys> used,
                       std::optional<int64_t> instance)
    : table_(&table), path_(std::move(path)), file_(std::move(file)), used_(std::move(used)), instance_(instance) {
  if (file_.empty() && table.source().path)
    file_ = *table.source().path;
}

const toml::node* ConfigNode::get(std::string_view key) const {
  auto& asked = (*used_)[table_];
  if (asked.find(key) == asked.end())
    asked.emplace(key);
  return table_->get(key);
}

const toml::node& ConfigNode::require(std::string_view key) const {
  const toml::node* value = get(key);
  if (!value)
    fail_missing(key, "missing required key '" + std::string(key) + "'");
  return *value;
}

void ConfigNode::fail_missing(std::string_view key, const std::string& message) const {
  // Unknown keys come before missing ones: "horizn" is the user's mistake, the missing "horizon" its consequence.
  if (const toml::key* typo = unasked_near_miss(key))
    fail_unknown_key(*typo, {}, std::string(key));
  fail(message);
}

const toml::key* ConfigNode::unasked_near_miss(std::string_view key) const {
  const KeySet& asked = (*used_)[table_];
  const toml::key* best = nullptr;
  std::size_t best_distance = 0;
  for (auto&& [candidate, value] : *table_) {
    if (asked.find(candidate.str()) != asked.end())
      continue;
    if (closest_names(candidate.str(), {std::string(key)}).empty())
      continue;
    const std::size_t distance = edit_distance(candidate.str(), key);
    if (!best || distance < best_distance)
      best = &candidate, best_distance = distance;
  }
  return best;
}

void ConfigNode::fail_unknown_key(const toml::key& key, const std::vector<std::string>& valid,
                                  const std::string& meant) const {
  std::string message =
      "unknown key '" + std::string(key.str()) + "' " + (path_.empty() ? std::string("at top level") : "in " + path_);
  const std::string hint = meant.empty() ? did_you_mean(key.str(), valid) : "did you mean '" + meant + "'?";
  if (!hint.empty())
    message += "; " + hint;
  if (meant.empty()) { // the whole list; a near miss of a missing key needs none
    std::string list;
    for (const auto& name : valid)
      list += (list.empty() ? "" : ", ") + name;
    message += std::string(hint.empty() ? "; " : " ") + "valid keys: " + (list.empty() ? "none" : list);
  }
  throw ConfigError(location_of_region(key.source(), file_), message);
}

void ConfigNode::wrong_type(std::string_view key, const toml::node& value, std::string_view expected) const {
  fail(key, "expected " + std::string(expected) + ", got " + describe_value(value));
}

std::string ConfigNode::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string ConfigNode::where(std::string_view key) const {
  const toml::node* value = table_->get(key);
  return value ? location_of(*value, file_) : where();
}

std::string ConfigNode::where() const {
  return location_of(*table_, file_);
}

void ConfigNode::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(where(key), key_path(key) + ": " + message);
}

void ConfigNode::fail(const std::string& message) const {
  throw ConfigError(where(), path_.empty() ? message : path_ + ": " + message);
}

void ConfigNode::fail_at(const toml::node& value, const std::string& message) const {
  throw ConfigError(location_of(value, file_), message);
}

bool ConfigNode::has(std::string_view key) const {
  return get(key) != nullptr;
}

double ConfigNode::unit_value(std::string_view key, const toml::node& value, bool is_rate) const {
  const char* what = is_rate ? "rate" : "duration";
  if (const auto* text = value.as_string()) {
    try {
      const std::string written = substitute(text->get(), value);
      return is_rate ? units::parse_rate(written) : units::parse_duration(written);
    } catch (const UnitError& e) {
      fail(key, e.what());
    }
  }
  if (value.is_number()) {
    double number =
        value.is_integer() ? static_cast<double>(value.as_integer()->get()) : value.as_floating_point()->get();
    if (number == 0)
      return 0;
    std::string example = "\"" + units::format_number(number) + (is_rate ? "/s\"" : "s\"");
    fail(key, std::string("bad ") + what + " " + units::format_number(number) +
                  ": a number alone has no unit; write it as a string with one, e.g. " + example);
  }
  wrong_type(key, value, is_rate ? R"(a rate (a string like "20k/s"))" : R"(a duration (a string like "250us"))");
}

double ConfigNode::duration(std::string_view key) const {
  return unit_value(key, require(key), false);
}

double ConfigNode::duration_or(std::string_view key, double fallback) const {
  const toml::node* value = get(key);
  return value ? unit_value(key, *value, false) : fallback;
}

double ConfigNode::rate(std::string_view key) const {
  return unit_value(key, require(key), true);
}

double ConfigNode::rate_or(std::string_view key, double fallback) const {
  const toml::node* value = get(key);
  return value ? unit_value(key, *value, true) : fallback;
}

double ConfigNode::number(std::string_view key) const {
  const toml::node& value = require(key);
  if (const auto* i = value.as_integer())
    return static_cast<double>(i->get());
  if (const auto* f = value.as_floating_point())
    return f->get();
  wrong_type(key, value, "a number");
}

double ConfigNode::number_or(std::string_view key, double fallback) const {
  return get(key) ? number(key) : fallback;
}

int64_t ConfigNode::integer(std::string_view key) const {
  const toml::node& value = require(key);
  if (const auto* i = value.as_integer())
    return i->get();
  wrong_type(key, value, "an integer");
}

int64_t ConfigNode::integer_or(std::string_view key, int64_t fallback) const {
  return get(key) ? integer(key) : fallback;
}

std::string ConfigNode::string(std::string_view key) const {
  const toml::node& value = require(key);
  if (const auto* s = value.as_string())
    return substitute(s->get(), value);
  wrong_type(key, value, "a string");
}

std::string ConfigNode::string_or(std::string_view key, std::string fallback) const {
  return get(key) ? string(key) : std::move(fallback);
}

bool ConfigNode::boolean_or(std::string_view key, bool fallback) const {
  const toml::node* value = get(key);
  if (!value)
    return fallback;
  if (const auto* b = value->as_boolean())
    return b->get();
  wrong_type(key, *value, "a boolean (true or false)");
}

std::vector<std::string> ConfigNode::strings(std::string_view key) const {
  const toml::node& value = require(key);
  const auto* array = value.as_array();
  if (!array)
    wrong_type(key, value, "an array of strings");
  std::vector<std::string> result;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (!element.is_string())
      fail_at(element,
              key_path(key) + "[" + std::to_string(i) + "]: expected a string, got " + describe_value(element));
    result.push_back(substitute(element.as_string()->get(), element));
  }
  return result;
}

ConfigNode ConfigNode::table(std::string_view key) const {
  const toml::node& value = require(key);
  if (const auto* t = value.as_table())
    return ConfigNode(*t, key_path(key), file_, used_, instance_);
  wrong_type(key, value, "a table");
}

std::optional<ConfigNode> ConfigNode::table_opt(std::string_view key) const {
  if (!get(key))
    return std::nullopt;
  return table(key);
}

std::vector<ConfigNode> ConfigNode::tables(std::string_view key) const {
  const toml::node& value = require(key);
  const auto* array = value.as_array();
  if (!array)
    wrong_type(key, value, "an array of tables");
  std::vector<ConfigNode> result;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    std::string element_path = key_path(key) + "[" + std::to_string(i) + "]";
    const auto* t = element.as_table();
    if (!t)
      fail_at(element, element_path + ": expected a table, got " + describe_value(element));
    result.push_back(ConfigNode(*t, element_path, file_, used_, instance_));
  }
  return result;
}

const toml::node* ConfigNode::raw(std::string_view key) const {
  return get(key);
}

std::filesystem::path ConfigNode::path_value(std::string_view key) const {
  std::string text = string(key);
  if (text.empty())
    fail(key, "expected a file path, got an empty string");
  std::filesystem::path path(text);
  if (path.is_relative()) {
    const auto& source = table_->get(key)->source().path;
    std::string origin = source ? *source : file_;
    if (origin.starts_with(kCommandLinePrefix)) // a path set on the command line is relative to where we run
      origin.clear();
    std::filesystem::path base = std::filesystem::path(origin).parent_path();
    path = (base / path).lexically_normal();
  }
  // A missing file is the caller's to report (with what the file was for); anything but a regular file is refused
  // here, so that no reader ever waits on a FIFO or reads /dev/zero for ever.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    fail(key, "cannot read '" + path.string() + "': it is a directory, not a file");
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
    fail(key, "cannot read '" + path.string() + "': it is not a regular file (a device, FIFO or socket)");
  return path;
}

ConfigNode ConfigNode::instance(int64_t index, std::string label) const {
  return ConfigNode(*table_, std::move(label), file_, used_, index);
}

std::string ConfigNode::substitute(const std::string& text, const toml::node& value) const {
  if (!instance_)
    return text;
  try {
    return substitute_placeholders(text, *instance_);
  } catch (const std::invalid_argument& e) {
    fail_at(value, path_ + ": " + e.what());
  }
}

bool has_placeholder(std::string_view text) {
  return text.find('{') != std::string_view::npos;
}

std::string substitute_placeholders(std::string_view text, int64_t index) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t open = text.find('{', at);
    out.append(text.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (open == std::string_view::npos)
      break;
    const std::size_t close = text.find('}', open);
    const std::string_view inside = text.substr(open + 1, close == std::string_view::npos ? 0 : close - open - 1);
    // K*i+M, with K and M optional: parse it left to right, spaces ignored.
    std::string expression;
    for (char c : inside)
      if (c != ' ')
        expression += c;
    auto bad = [&]() -> void {
      throw std::invalid_argument("bad placeholder '{" + std::string(inside) + "}' in \"" + std::string(text) +
                                  "\": write {i}, {i+K}, {K*i} or {K*i+M} (K, M integers)");
    };
    if (close == std::string_view::npos)
      bad();
    int64_t factor = 1, offset = 0;
    std::size_t pos = 0;
    auto number = [&](int64_t& into) {
      const std::size_t start = pos;
      while (pos < expression.size() && expression[pos] >= '0' && expression[pos] <= '9')
        ++pos;
      if (pos == start || pos - start > 9)
        bad();
      into = std::stoll(expression.substr(start, pos - start));
    };
    if (pos < expression.size() && expression[pos] != 'i') {
      number(factor);
      if (pos >= expression.size() || expression[pos] != '*')
        bad();
      ++pos;
    }
    if (pos >= expression.size() || expression[pos] != 'i')
      bad();
    ++pos;
    if (pos < expression.size()) {
      const bool minus = expression[pos] == '-';
      if (!minus && expression[pos] != '+')
        bad();
      ++pos;
      number(offset);
      if (minus)
        offset = -offset;
    }
    if (pos != expression.size())
      bad();
    out += std::to_string(factor * index + offset);
    at = close + 1;
  }
  return out;
}

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::tuple<uint32_t, uint32_t, std::string>> found;
  for (auto&& [key, value] : *table_)
    found.emplace_back(key.source().begin.line, key.source().begin.column, std::string(key.str()));
  std::stable_sort(found.begin(), found.end());
  std::vector<std::string> result;
  for (auto& entry : found)
    result.push_back(std::move(std::get<2>(entry)));
  return result;
}

void ConfigNode::reject_unknown_keys() const {
  const KeySet& asked = (*used_)[table_];
  const toml::key* first = nullptr;
  auto position = [](const toml::key& k) { return std::pair(k.source().begin.line, k.source().begin.column); };
  for (auto&& [key, value] : *table_)
    if (asked.find(key.str()) == asked.end() && (!first || position(key) < position(*first)))
      first = &key;
  if (!first)
    return;
  fail_unknown_key(*first, std::vector<std::string>(asked.begin(), asked.end()), {});
}

} // namespace apq
