#include "sim/control/replay_gate.hpp"

#include <simgrid/s4u/Semaphore.hpp>

namespace apq {

std::string point_name(PausePoint point, const Step& step) {
  switch (point) {
  case PausePoint::resume:
    return "acquired " + step.target;
  case PausePoint::reset:
    return "reset round";
  case PausePoint::step:
    break;
  }
  return describe_step(step);
}

ReplayGate::ReplayGate(const ReplaySpec& spec) : spec_(spec) {
  for (const ReplayPoint& p : spec.schedule)
    agents_.insert(p.agent);
}

ReplayGate::~ReplayGate() = default;

namespace {
std::string describe(const std::string& op, const std::string& step) {
  return op.empty() ? step : op + ": " + step;
}
} // namespace

void ReplayGate::pass(const std::string& agent, const std::string& op, const std::string& step) {
  if (!agents_.contains(agent))
    return;
  for (;;) {
    if (!divergence_.empty() || next_ >= spec_.schedule.size())
      return;
    const ReplayPoint& expected = spec_.schedule[next_];
    if (holder_.empty() && expected.agent == agent) {
      if (expected.op != op || expected.step != step) {
        divergence_ = "at point " + std::to_string(next_ + 1) + " of " + std::to_string(spec_.schedule.size()) +
                      " the schedule has " + agent + " go through " + describe(expected.op, expected.step) +
                      (expected.at.empty() ? "" : " (" + expected.at + ")") + ", but it stands at " +
                      describe(op, step) + "; the rest of the run is not forced";
        for (auto& [name, semaphore] : waiting_)
          semaphore->release();
        return;
      }
      holder_ = agent;
      return;
    }
    simgrid::s4u::SemaphorePtr& semaphore = waiting_[agent];
    if (!semaphore)
      semaphore = simgrid::s4u::Semaphore::create(0);
    semaphore->acquire(); // a stale release only makes it look again
  }
}

void ReplayGate::release(const std::string& agent) {
  if (holder_.empty() || holder_ != agent)
    return;
  holder_.clear();
  ++next_;
  if (next_ < spec_.schedule.size())
    wake(spec_.schedule[next_].agent);
}

void ReplayGate::wake(const std::string& agent) {
  if (auto it = waiting_.find(agent); it != waiting_.end())
    it->second->release();
}

std::string ReplayGate::divergence() const {
  if (!divergence_.empty() || next_ >= spec_.schedule.size())
    return divergence_;
  const ReplayPoint& expected = spec_.schedule[next_];
  return "the run stopped short at point " + std::to_string(next_ + 1) + " of " +
         std::to_string(spec_.schedule.size()) + ": " + expected.agent + " never reached " +
         describe(expected.op, expected.step) + (expected.at.empty() ? "" : " (" + expected.at + ")");
}

} // namespace apq
