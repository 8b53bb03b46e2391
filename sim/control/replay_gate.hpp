#pragma once
// The forced order of a replay ([replay] in a scenario, written by `apqsim explore --emit`): the SimGrid driver runs
// the interpreter in step mode, and each timeline operation's actor asks the gate before every point it stops at;
// the gate lets it through when the schedule says it is that operation's turn. Simulated time goes on meanwhile
// (work steps, the data plane), so the run keeps its timings but follows explore's interleaving exactly.

#include "sim/control/interpreter.hpp"
#include "sim/scenario/replay.hpp"

#include <simgrid/forward.h>

#include <map>
#include <set>
#include <string>

namespace apq {

/** How explore and the gate name the point a task stopped at: describe_step() of the step it runs next,
 *  "acquired CLASS" for a granted lock it goes on with, "reset round" for the next round of a reset. */
std::string point_name(PausePoint point, const Step& step);

class ReplayGate {
public:
  explicit ReplayGate(const ReplaySpec& spec);
  ~ReplayGate();

  /** Called by the actor of timeline operation `agent` before it goes through point (`op`, `step`); returns when it
   *  is that point's turn, the turn then being the agent's until release(). An operation the schedule does not name
   *  passes at once, and so does every point once the schedule is over or went differently (divergence()). */
  void pass(const std::string& agent, const std::string& op, const std::string& step);
  /** The agent reached its next stop (or waits for a lock, or ended): the next point's agent may go. A no-op for an
   *  agent that does not hold the turn. Explore's step is the point and everything up to the next stop, so the
   *  turn passes on only then: a woken actor must not overtake the one that woke it. */
  void release(const std::string& agent);

  std::size_t followed() const { return next_; }
  std::size_t points() const { return spec_.schedule.size(); }
  /** "" while the run follows the schedule; else where it went differently, or where it stopped short. */
  std::string divergence() const;

private:
  void wake(const std::string& agent);

  const ReplaySpec& spec_;
  std::size_t next_ = 0;
  std::string divergence_;
  std::string holder_; // the agent that holds the turn, "" for none
  std::set<std::string> agents_;
  std::map<std::string, simgrid::s4u::SemaphorePtr> waiting_;
};

} // namespace apq
