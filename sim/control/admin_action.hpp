#pragma once
// How an admin action (a timeline entry, a random admin's pick) enters the control plane: the operation it runs and
// the context it runs with, or an errno at once, and for a card event the hardware change that comes first. One
// definition for both drivers of the control plane (`apqsim run`, `apqsim explore`).

#include "models/random.hpp"
#include "sim/control/interpreter.hpp"
#include "sim/scenario/scenario.hpp"

#include <optional>
#include <string>

namespace apq {

struct AdminStart {
  /** Not empty: the action fails at once with this errno and runs no operation (the mdev was removed: its sysfs
   *  attributes went with it). */
  std::string error;
  /** card_offline / card_online: the adapter leaves (false) or rejoins (true) the configuration in the hardware,
   *  before the operation (the forced rescan the configuration-change event triggers) runs. */
  std::optional<bool> card_online;
  std::string op;
  OpContext ctx;
};

/** What `action`, run by the task labelled `label`, starts in the control plane as it is now. */
AdminStart admin_start(const AdminAction& action, const ControlState& state, const std::string& label,
                       RandomSource& rng);

/** "+0x01", "0x01 -> mdev web", "guest web", "adapter 0x01", "01.0002 -> vfio_ap": the target, for reports. */
std::string describe_target(const AdminAction& action, const Scenario& scenario);

} // namespace apq
