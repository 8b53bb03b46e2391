#include "models/config_node.hpp"

#include "models/units.hpp"

#include <algorithm>
#include <tuple>

namespace apq {
namespace {

std::string location_of_region(const toml::source_region& region, std::string_view fallback_file) {
  std::string file = region.path ? *region.path : std::string(fallback_file);
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

ConfigNode::ConfigNode(const toml::table& table, std::string path, std::string file)
    : ConfigNode(table, std::move(path), std::move(file), std::make_shared<UsedKeys>()) {}

ConfigNode::ConfigNode(const toml::table& table, std::string path, std::string file, std::shared_ptr<UsedKeys> used)
    : table_(&table), path_(std::move(path)), file_(std::move(file)), used_(std::move(used)) {
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
    fail("missing required key '" + std::string(key) + "'");
  return *value;
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
      return is_rate ? units::parse_rate(text->get()) : units::parse_duration(text->get());
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
    return s->get();
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
    result.push_back(element.as_string()->get());
  }
  return result;
}

ConfigNode ConfigNode::table(std::string_view key) const {
  const toml::node& value = require(key);
  if (const auto* t = value.as_table())
    return ConfigNode(*t, key_path(key), file_, used_);
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
    result.push_back(ConfigNode(*t, element_path, file_, used_));
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
    std::filesystem::path base = std::filesystem::path(source ? *source : file_).parent_path();
    path = (base / path).lexically_normal();
  }
  return path;
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
  std::string valid;
  for (const auto& name : asked)
    valid += (valid.empty() ? "" : ", ") + name;
  std::string message = "unknown key '" + std::string(first->str()) + "' " +
                        (path_.empty() ? std::string("at top level") : "in " + path_) +
                        "; valid keys: " + (valid.empty() ? "none" : valid);
  throw ConfigError(location_of_region(first->source(), file_), message);
}

} // namespace apq
