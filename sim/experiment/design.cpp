#include "sim/experiment/design.hpp"

#include <sstream>

namespace apq {

std::string toml_text(const toml::node& value) {
  if (const auto* table = value.as_table()) {
    std::string out = "{ ";
    bool first = true;
    for (const auto& [key, item] : *table) {
      out += (first ? "" : ", ") + std::string("\"") + std::string(key.str()) + "\" = " + toml_text(item);
      first = false;
    }
    return out + " }";
  }
  if (const auto* array = value.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < array->size(); ++i)
      out += (i ? ", " : "") + toml_text(*array->get(i));
    return out + "]";
  }
  std::ostringstream out;
  value.visit([&out](const auto& v) { out << toml::toml_formatter{v}; });
  return out.str();
}

std::string display_value(const std::string& toml_value) {
  try {
    const toml::table parsed = toml::parse("v = " + toml_value);
    if (auto text = parsed["v"].value<std::string>())
      return *text;
  } catch (const toml::parse_error&) {
  }
  return toml_value;
}

ConfigOverride override_at(std::string path, const toml::node& value, const toml::source_region& path_origin) {
  return ConfigOverride{std::move(path), toml_text(value), path_origin, value.source()};
}

std::vector<ConfigOverride> read_overrides(const ConfigNode& table) {
  std::vector<ConfigOverride> out;
  for (const std::string& key : table.keys()) {
    const toml::key* written = nullptr;
    for (auto&& [k, v] : table.toml())
      if (k.str() == key)
        written = &k;
    out.push_back(override_at(key, *table.raw(key), written->source()));
  }
  return out;
}

void add_derived_figures(std::map<std::string, double>& f) {
  double ebusy = 0, retries = 0, wait = 0, acquisitions = 0;
  for (const auto& [path, value] : f) {
    if (!path.starts_with("control."))
      continue;
    if (path.starts_with("control.ops.") && path.ends_with(".ebusy"))
      ebusy += value;
    if (path.starts_with("control.ops.") && path.ends_with(".retries"))
      retries += value;
    if (path.starts_with("control.locks.") && path.ends_with(".acquisitions")) {
      const std::string lock = path.substr(0, path.size() - std::string(".acquisitions").size());
      if (auto it = f.find(lock + ".wait_s.mean"); it != f.end()) {
        wait += it->second * value;
        acquisitions += value;
      }
    }
  }
  f["derived.ebusy"] = ebusy;
  f["derived.retries"] = retries;
  f["derived.lock_wait_s"] = acquisitions > 0 ? wait / acquisitions : 0;
  f["derived.violations"] = f["monitors.deadlocks"] + f["monitors.stolen_queues"] +
                            f["monitors.lock_order_inversions"] + f["monitors.kernel_bugs"];
}

} // namespace apq
