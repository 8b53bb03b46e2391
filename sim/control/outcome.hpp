#pragma once
// What a schedule of the control plane ends in, as a class of outcomes: the same function judges a state the
// explorer reached and the end of an `apqsim run` that replays a reproducer, so that "explore found it" and "run
// shows it" mean one thing.
//
// Two schedules are in one class when every timeline operation ends the same way (result, errno, attempts), the
// monitors find the same things (deadlock cycles, lock-order inversions by the classes involved, stolen queues,
// kernel bugs) and the final state is the same (ap_perms, the driver of each queue, each mdev's assignment, what
// each guest has plugged). Times are not part of an outcome: the explorer ignores them.

#include "sim/control/interpreter.hpp"
#include "sim/scenario/scenario.hpp"

#include <map>
#include <string>
#include <vector>

namespace apq {

/** How one timeline operation ended: "ok", an errno name, "hung" (blocked for good) or "oops" (died in the kernel). */
struct OpEnd {
  std::string name;
  std::string result;
  int attempts = 0;
};

struct Outcome {
  std::string key; ///< canonical text; equal keys, same class
  std::vector<OpEnd> ops;
  std::vector<std::string> violations; ///< deadlock, lock_order_inversion, stolen_queue, kernel_bug, each once
  std::vector<std::string> deadlocks;  ///< "admin-a (apmask_store) holds ap_perms, wants matrix; ..."
  std::vector<std::string> inversions; ///< "ap_perms <-> matrix": the classes of each reported cycle
  std::vector<std::string> stolen;     ///< "01.0000 of mdev web (guest web)"
  std::vector<std::string> kernel_bugs;
  ControlFinalState final_state;

  /** One line: the operations' results and the violations, e.g. "admin-apmask ok, admin-assign ok; STOLEN QUEUE". */
  std::string headline() const;
  /** The final state in a few lines, drivers grouped by adapter. */
  std::vector<std::string> state_lines() const;
};

/** ap_perms, the driver of each queue, each mdev's assignment, what each guest has plugged. */
ControlFinalState final_state_of(const ControlState& state, const Scenario& scenario);

/** The outcome of the state `interpreter` is in, the timeline operations having ended as `ops`. */
Outcome classify(const ControlInterpreter& interpreter, const Scenario& scenario, std::vector<OpEnd> ops);

/** Violation names, as `[run] expect` writes them. */
inline constexpr const char* kDeadlock = "deadlock";
inline constexpr const char* kInversion = "lock_order_inversion";
inline constexpr const char* kStolenQueue = "stolen_queue";
inline constexpr const char* kKernelBug = "kernel_bug";

} // namespace apq
