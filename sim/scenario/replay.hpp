#pragma once
// A forced order for `apqsim run`: the [replay] table that `apqsim explore --emit` writes into each reproducer. The
// control plane runs in step mode and each timeline operation waits, at every point where it stops, until the
// schedule says it is its turn; the run then checks that it ended in the outcome explore found (outcome.hpp).
//
//   [replay]
//   explored = "configs/explore/abba.toml"           # where the schedule comes from (for messages)
//   outcome = "..."                                   # the outcome class's canonical key
//   headline = "admin-apmask hung, admin-assign hung; DEADLOCK, LOCK-ORDER INVERSION"
//   schedule = [
//     { op = "admin-apmask", in = "apmask_store", step = "lock ap_perms", at = "naive-mutex.toml:46:3" },
//     ...
//   ]

#include "models/config_node.hpp"
#include "sim/scenario/scenario.hpp"

#include <string>
#include <vector>

namespace apq {

/** One point of the schedule: timeline operation `agent` goes through `step` of strategy operation `op`. */
struct ReplayPoint {
  std::string agent;
  std::string op;   ///< "" for a card event's hardware change and for a retry
  std::string step; ///< as explore words it: "lock ap_perms", "acquired matrix", "reset round", "card leaves", "retry"
  std::string at;   ///< the step's file:line:col in the strategy, for messages
};

struct ReplaySpec {
  std::string explored;
  std::string outcome;
  std::string headline;
  std::vector<ReplayPoint> schedule;
  std::string where; ///< the [replay] table's location
};

/** Reads and checks [replay]: every point names an operation of `timeline`. */
ReplaySpec read_replay(const ConfigNode& table, const std::vector<TimelineEntry>& timeline);

} // namespace apq
