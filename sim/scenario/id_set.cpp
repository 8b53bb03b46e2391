#include "sim/scenario/id_set.hpp"

#include <charconv>
#include <stdexcept>
#include <toml++/toml.h>

namespace apq {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

int parse_id(std::string_view text, std::string_view whole) {
  text = trim(text);
  const std::string_view token = text;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw std::invalid_argument("bad id list \"" + std::string(whole) +
                                "\": expected ids like \"0x00-0x0f\", \"0x01,0x05\" or 3");
  if (value < 0 || value > kMaxApId)
    throw std::invalid_argument("id " + std::string(token) + " in \"" + std::string(whole) +
                                "\" is out of range: ids are 0x00-0xff");
  return value;
}

} // namespace

std::string hex_id(int id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", id);
  return buf;
}

std::string apqn_name(int adapter, int domain) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x.%04x", adapter, domain);
  return buf;
}

std::vector<int> IdSet::ids() const {
  std::vector<int> out;
  for (int i = 0; i <= kMaxApId; ++i)
    if (bits_.test(static_cast<std::size_t>(i)))
      out.push_back(i);
  return out;
}

std::string IdSet::str() const {
  std::string out;
  const std::vector<int> list = ids();
  for (std::size_t i = 0; i < list.size();) {
    std::size_t j = i;
    while (j + 1 < list.size() && list[j + 1] == list[j] + 1)
      ++j;
    if (!out.empty())
      out += ',';
    out += hex_id(list[i]);
    if (j > i)
      out += "-" + hex_id(list[j]);
    i = j + 1;
  }
  return out;
}

IdSet parse_id_list(std::string_view text) {
  IdSet set;
  if (trim(text).empty())
    return set;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      set.insert(parse_id(item, text));
    } else {
      const int first = parse_id(item.substr(0, dash), text);
      const int last = parse_id(item.substr(dash + 1), text);
      if (last < first)
        throw std::invalid_argument("bad id range \"" + std::string(item) + "\": the first id is larger than the last");
      for (int id = first; id <= last; ++id)
        set.insert(id);
    }
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return set;
}

IdSet parse_id_node(const toml::node& node) {
  return parse_id_node(node, [](const std::string& text, const toml::node&) { return text; });
}

IdSet parse_id_node(const toml::node& node,
                    const std::function<std::string(const std::string&, const toml::node&)>& text) {
  if (const auto* s = node.as_string())
    return parse_id_list(text(s->get(), node));
  if (node.is_integer()) {
    const int64_t v = *node.value<int64_t>();
    if (v < 0 || v > kMaxApId)
      throw std::invalid_argument("id " + std::to_string(v) + " out of range: ids are 0x00-0xff");
    IdSet set;
    set.insert(static_cast<int>(v));
    return set;
  }
  if (const auto* array = node.as_array()) {
    IdSet set;
    for (const auto& item : *array) {
      if (item.is_array())
        throw std::invalid_argument("bad id list: nested arrays are not ids");
      set = set | parse_id_node(item, text);
    }
    return set;
  }
  throw std::invalid_argument("expected ids as a string like \"0x00-0x0f\", an integer, or an array of those");
}

} // namespace apq
