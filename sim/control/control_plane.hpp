#pragma once
// The SimGrid driver of the control plane for `apqsim run`: admin operations (timeline and random admins), the
// host's AP bus (periodic scans, card events), vCPUs intercepting PQAP(AQIC), each a SimGrid actor that runs a
// task of the ControlInterpreter (interpreter.hpp, where the semantics live) and sleeps the simulated time its
// steps take. Effects reach the data path through a ControlEnv over the DataPlane.
//
// Strategies are data (models/strategy.hpp); this file holds no kernel knowledge.

#include "analysis/reconfig_windows.hpp"
#include "analysis/run_result.hpp"
#include "models/random.hpp"
#include "sim/control/interpreter.hpp"
#include "sim/data_plane/data_plane.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/scenario/scenario.hpp"

#include <simgrid/forward.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace simgrid::s4u {
class Host;
}

namespace apq {

class ReplayGate;

class ControlPlane {
public:
  ControlPlane(const Scenario& scenario, EventScheduler& scheduler, DataPlane& data_plane, simgrid::s4u::Host* host,
               ReconfigWindows& windows);
  ~ControlPlane();

  /** Starts the timeline's admins, the random admin processes and the AP bus's periodic scans; hooks the guests'
   *  AQIC intercepts. */
  void start();
  /** Every step of every task (the interpreter's events), and per admin operation its attempts and outcome. */
  void set_trace(ControlTraceSink sink) {
    trace_ = sink;
    interpreter_->set_trace(std::move(sink));
  }

  /** What happened, for the results. */
  ControlResult result() const;
  /** Why operations were refused ([limits] admin_actors), empty when none was: such a run is no result. */
  const std::string& overload() const { return overload_; }

private:
  class DataPlaneEnv;

  /** Drives task `task` in the calling actor until it ends; returns its errno, "" or "oops". */
  std::string run_task(TaskId task);
  void wake(const std::vector<TaskId>& tasks);
  /** Runs `op` as a new task in the calling actor. */
  std::string run_op(const std::string& op, OpContext ctx);

  void run_timeline_entry(const TimelineEntry& entry, std::size_t index);
  void run_random_admin(const RandomAdmin& admin);
  /** Runs the action as an admin would, with its retry policy, as one reconfiguration event (its window, and what
   * it does to the data path); returns the final errno or "". */
  std::string administer(const AdminAction& action, const RetryPolicy& retry, const std::string& label,
                         RandomSource& rng, int* attempts);
  std::string perform(const AdminAction& action, const std::string& label, RandomSource& rng);
  void on_aqic(uint32_t guest, uint32_t queue);
  std::optional<AdminAction> random_action(const RandomAdmin& admin, RandomSource& rng) const;
  /** An event of the driver itself (attempt, outcome, card_offline, card_online), for the trace. */
  void note(const std::string& actor, const std::string& op, const std::string& what, const std::string& detail,
            const std::string& where) const;
  /** Runs `body` in an actor of its own: a new one, or one whose work is over (an actor is named after its first). */
  void spawn(const std::string& label, std::function<void()> body);
  struct Worker {
    simgrid::s4u::SemaphorePtr go;
    std::function<void()> job;
  };
  void hand_out(const std::string& label, std::function<void()> body);
  void work(Worker& worker);
  /** The actor's sleeps, told to the scheduler (EventScheduler::actor_sleeps_until). */
  void sleep_until(double date);
  void sleep_for(double duration);

  const Scenario& scenario_;
  EventScheduler& scheduler_;
  DataPlane& data_;
  simgrid::s4u::Host* host_;
  ReconfigWindows& windows_;
  std::unique_ptr<DataPlaneEnv> env_;
  std::unique_ptr<ControlInterpreter> interpreter_;
  std::unique_ptr<ReplayGate> gate_; ///< [replay]: the forced order of the timeline's steps
  std::map<TaskId, simgrid::s4u::SemaphorePtr> waiting_;
  std::map<long, int> acting_; ///< admin actor pid -> the reconfiguration event it is running
  std::vector<TimelineOutcome> timeline_;
  uint64_t actor_count_ = 0;
  std::string overload_; ///< set when [limits] admin_actors stopped operations from starting
  ControlTraceSink trace_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;   ///< workers waiting for a job
  std::size_t in_progress_ = 0; ///< operations spawned and not over (or queued for a worker)
};

} // namespace apq
