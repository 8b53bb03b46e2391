#pragma once
// `apqsim explore`: every interleaving of a scenario's timeline operations, through the same ControlInterpreter that
// `apqsim run` drives with SimGrid actors. One semantics, two drivers.
//
// The interpreter runs in step mode: each task stops before every point another task could see (a lock, trylock or
// unlock, an rw_semaphore operation, an effect, a condition or iterator that reads the state, a call, a granted
// lock, each round of a reset). A state is the interpreter's semantic state plus where each timeline operation
// stands; a transition lets one operation go from its stop to its next. Time is abstract: work steps take no time,
// and any operation that can go may go next (unless --respect-times).
//
// The search is a depth-first walk of the state graph with state caching: a state reached again by another order
// of steps (two independent steps taken either way round) is recognised by its fingerprint and not explored again,
// so the graph holds every reachable state once. On that graph, dynamic programming counts the schedules (maximal
// paths) per outcome class, and, with sleep sets, the schedules after partial-order reduction: one per class of
// schedules that differ only in the order of independent steps, two steps being independent where they commute (a
// diamond of the graph: either order reaches the same state). Breadth-first search gives each class its shortest
// witness. Bounds: at most K preemptions per schedule (a switch away from an operation that could go on), and a
// budget of schedules after which the search stops (bounded, not exhaustive).

#include "sim/control/outcome.hpp"
#include "sim/scenario/scenario.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace apq {

/** Schedule counts grow like multinomials of the number of steps (1e40 for three operations is common): a long
 *  double, exact up to 2^64, then within 1e-19 relative. */
using Count = long double;
/** "1,234,567" while exact, "1.55e+40" beyond. */
std::string count_text(Count count);

struct ExploreOptions {
  int preemptions = -1;       ///< at most this many preemptions per schedule; -1: unbounded
  uint64_t max_schedules = 0; ///< stop once the search covered this many schedules; 0: unbounded
  bool respect_times = false; ///< start offsets and work durations constrain the interleavings
  /** Timeline operations that run to their end, one after the other, before the others start: the state the race
   *  starts from (a guest stopped, an assignment made earlier). */
  std::vector<std::string> before;
};

/** One step of a schedule, in the strategy's words. */
struct WitnessStep {
  std::string agent;  ///< the timeline operation that moves
  std::string op;     ///< the strategy operation of the step (a callee: in_use, remove_queue, ...)
  std::string step;   ///< "trylock matrix", "effect check_bound", "acquired matrix", "reset round", "card leaves"
  std::string result; ///< what came of it: "acquired", "busy: in_use fails EBUSY", "-> EADDRNOTAVAIL", ...
  std::string where;  ///< "file:line:col" of the step in its strategy file
};

/** A point of a forced order: the operation that goes, and the point it goes through, for `apqsim run`. */
struct ReplayEntry {
  std::string agent;
  std::string op;    ///< the strategy operation ("" for a card event's hardware change)
  std::string step;  ///< describe_step() of the step, "acquired CLASS", "reset round" or "card leaves/returns"
  std::string where; ///< file:line:col, for messages
};

struct OutcomeClass {
  Outcome outcome;
  Count schedules = 0;      ///< complete schedules that end in it
  Count reduced = 0;        ///< of those, after partial-order reduction
  std::vector<int> witness; ///< a shortest schedule that ends in it: the agent that moves at each step
};

struct ExploreResult {
  std::string strategy;
  std::string strategy_file;
  std::string strategy_extends;       ///< the strategy it extends, "" for none
  std::vector<std::string> agents;    ///< the timeline operations, by name, in file order
  std::vector<std::string> agent_ops; ///< "apmask_store +0x01", "assign_adapter 0x01 -> mdev web"
  bool exhaustive = true;
  std::string bound; ///< why the search is not exhaustive ("" if it is)
  uint64_t states = 0;
  uint64_t transitions = 0;
  Count schedules = 0; ///< without reduction: every interleaving
  Count reduced = 0;   ///< with partial-order reduction
  double seconds = 0;
  std::vector<OutcomeClass> classes; ///< violations first, then by schedules
  std::vector<std::string> warnings;
};

class Explorer {
public:
  /** Checks that the scenario can be explored (a timeline, no random admins, distinct names, `before` operations
   *  that finish on their own); throws ConfigError naming what is wrong. */
  Explorer(const Scenario& scenario, const Strategy& strategy, ExploreOptions limits = {});
  ~Explorer();
  Explorer(const Explorer&) = delete;
  Explorer& operator=(const Explorer&) = delete;

  ExploreResult run();
  /** Told the states found so far, now and then during run(): a progress line. */
  void set_progress(std::function<void(uint64_t states)> callback);
  /** The steps of `schedule` (agent indices) from the initial state, narrated. */
  std::vector<WitnessStep> narrate(const std::vector<int>& schedule);
  /** The outcome the last narrated schedule ended in. */
  const Outcome& last_outcome() const { return last_outcome_; }
  /** The forced order `apqsim run` follows to replay `schedule`. */
  std::vector<ReplayEntry> replay(const std::vector<int>& schedule);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Outcome last_outcome_;
};

} // namespace apq
