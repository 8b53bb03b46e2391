#pragma once
// Reads [run] strategy, [control] and [reconfig] of a scenario (see configs/README.md, "Reconfiguration").

#include "models/config_node.hpp"
#include "sim/scenario/scenario.hpp"

namespace apq {

/** Needs the rest of the scenario (mdevs, guests, cards, horizon) already read, to resolve the targets. */
ControlSpec read_control(const ConfigNode& root, const Scenario& scenario);

} // namespace apq
