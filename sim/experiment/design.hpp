#pragma once
// What experiment files share: overrides written as TOML tables ({ "run.strategy" = "ordered" }), and the
// figures every comparison table shows, derived from one run's figures.

#include "models/config_node.hpp"
#include "sim/scenario/scenario.hpp"

#include <map>
#include <string>
#include <vector>

namespace apq {

/** A TOML value as TOML text, inline tables included, for a ConfigOverride. */
std::string toml_text(const toml::node& value);

/** A value as people read it: a TOML string without its quotes, anything else as written. */
std::string display_value(const std::string& toml_value);

/** The override of `path` with `value`, both located where the experiment file writes them. */
ConfigOverride override_at(std::string path, const toml::node& value, const toml::source_region& path_origin);

/** `{ "run.strategy" = "ordered", "guests.0.arrival.rate" = "5k/s" }` as overrides. */
std::vector<ConfigOverride> read_overrides(const ConfigNode& table);

/** Totals a table shows next to the raw figures: derived.ebusy and derived.retries (all operations),
 * derived.lock_wait_s (mean wait over every lock acquisition), derived.violations (deadlocks, stolen queues and
 * inversions of the run). Added to `figures`. */
void add_derived_figures(std::map<std::string, double>& figures);

} // namespace apq
