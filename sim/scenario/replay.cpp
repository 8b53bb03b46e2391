#include "sim/scenario/replay.hpp"

#include <algorithm>

namespace apq {

ReplaySpec read_replay(const ConfigNode& table, const std::vector<TimelineEntry>& timeline) {
  ReplaySpec spec;
  spec.where = table.where();
  spec.explored = table.string_or("explored", "");
  spec.outcome = table.string("outcome");
  spec.headline = table.string_or("headline", "");
  const toml::node* raw = table.raw("schedule");
  const toml::array* array = raw != nullptr ? raw->as_array() : nullptr;
  if (array == nullptr)
    table.fail("schedule", "expected an array of points, e.g. { op = \"admin-1\", in = \"apmask_store\", "
                           "step = \"lock ap_perms\" }");
  for (const toml::node& node : *array) {
    const toml::table* point = node.as_table();
    if (point == nullptr)
      table.fail_at(node, "replay.schedule: expected a table { op = ..., in = ..., step = ... }");
    auto text = [&](const char* key, bool required) {
      const toml::node* value = point->get(key);
      if (value == nullptr && !required)
        return std::string();
      if (value == nullptr || !value->is_string())
        table.fail_at(node, std::string("replay.schedule: '") + key + "' must be a string");
      return value->value<std::string>().value();
    };
    ReplayPoint p{text("op", true), text("in", false), text("step", true), text("at", false)};
    for (const auto& [key, value] : *point)
      if (key.str() != "op" && key.str() != "in" && key.str() != "step" && key.str() != "at")
        table.fail_at(value, "replay.schedule: unknown key '" + std::string(key.str()) + "'; valid: op, in, step, at");
    if (std::none_of(timeline.begin(), timeline.end(), [&](const TimelineEntry& e) { return e.name == p.agent; }))
      table.fail_at(node, "replay.schedule: no timeline operation is named '" + p.agent + "'");
    spec.schedule.push_back(std::move(p));
  }
  table.reject_unknown_keys();
  return spec;
}

} // namespace apq
