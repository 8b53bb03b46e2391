// The control plane's semantics without SimGrid: the interpreter is a step machine any driver can run. Here a
// plain driver picks which task goes on at each point where a task yields (a work step, a lock wait), ignoring
// durations, as an interleaving explorer would: the v12 stolen-queue race is one schedule of apmask_store and
// assign_adapter, and the same schedule is harmless under linux-6.13. Nothing here creates a SimGrid engine.

#include "sim/control/interpreter.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace apq {
namespace {

/** A data path that only records: resets complete at once, queues are empty. */
class RecordingEnv final : public ControlEnv {
public:
  void zapq(int adapter, int domain) override { zapqs.push_back(apqn_name(adapter, domain)); }
  bool resetting(int, int) const override { return false; }
  bool queue_empty(int, int) const override { return true; }
  void plug(int, int adapter, int domain) override { plugs.push_back(apqn_name(adapter, domain)); }
  void unplug(int adapter, int domain) override { unplugs.push_back(apqn_name(adapter, domain)); }
  void guest_start(int) override {}
  void signal_cfg_change(int) override {}
  void aqic_done(int, int, int) override {}
  std::vector<std::string> zapqs, plugs, unplugs;
};

struct Race {
  std::vector<StolenQueueReport> stolen;
  std::string apmask_result, assign_result;
  std::vector<std::string> plugs, unplugs;
  std::string driver_01_0000;
  std::vector<std::string> trace;
};

/** Runs the seed's apmask_store +0x01 and assign_adapter 0x01 -> web in one schedule: apmask_store for 3 yields (it
 *  has committed its mask and released ap_perms, its reprobe not yet started), then the assign to its end (or until
 *  it blocks), then the rest of both. */
Race race(const std::string& strategy) {
  const Scenario scenario = load_scenario(test::source_dir() + "/configs/seed/v12-stolen-queue.toml",
                                          {{"run.strategy", "\"" + strategy + "\""}});
  RecordingEnv env;
  ControlInterpreter interpreter(scenario, *scenario.control.strategy, env);
  Race out;
  interpreter.set_trace(
      [&](const ControlEvent& e) { out.trace.push_back(e.actor + " " + e.op + " " + e.what + " " + e.detail); });
  NamedStream rng(1, "test");
  const auto& timeline = scenario.control.timeline;
  auto context = [&](const TimelineEntry& entry) {
    OpContext ctx;
    ctx.actor = entry.name;
    ctx.action = &entry.action;
    ctx.mdev = entry.action.mdev;
    ctx.id = entry.action.id;
    ctx.rng = &rng;
    ctx.root = entry.name + " (" + entry.action.op + ")";
    return ctx;
  };
  const TaskId apmask = interpreter.start("apmask_store", context(timeline[0]), 0);
  const TaskId assign = interpreter.start("assign_adapter", context(timeline[1]), 0);
  std::map<TaskId, bool> blocked;
  auto step = [&](TaskId task) {
    const Yield y = interpreter.advance(task, 0);
    for (TaskId woken : interpreter.take_woken())
      blocked[woken] = false;
    blocked[task] = y.kind == YieldKind::blocked;
    return y;
  };
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(step(apmask).kind, YieldKind::sleep) << i;
  Yield y;
  do
    y = step(assign);
  while (y.kind == YieldKind::sleep);
  std::map<TaskId, std::string> results;
  if (y.kind == YieldKind::done)
    results[assign] = y.error;
  // Round-robin what is left, each task on to its next yield.
  for (int guard = 0; results.size() < 2 && guard < 1000; ++guard)
    for (TaskId task : {apmask, assign}) {
      if (results.contains(task) || blocked[task])
        continue;
      const Yield next = step(task);
      if (next.kind == YieldKind::done)
        results[task] = next.error;
    }
  out.apmask_result = results[apmask];
  out.assign_result = results[assign];
  out.stolen = interpreter.stolen_queues();
  out.plugs = env.plugs;
  out.unplugs = env.unplugs;
  const QueueDriver driver = interpreter.state().host.driver(1, 0);
  out.driver_01_0000 = driver == QueueDriver::vfio ? "vfio_ap" : driver == QueueDriver::host ? "cex4queue" : "none";
  return out;
}

TEST(Interpreter, TheV12RaceIsOneScheduleOfTheStepMachine) {
  const Race v12 = race("v12-trylock");
  EXPECT_EQ(v12.apmask_result, "");
  EXPECT_EQ(v12.assign_result, "");
  ASSERT_EQ(v12.stolen.size(), 4u);
  EXPECT_EQ(v12.stolen[0].queue, "01.0000");
  EXPECT_EQ(v12.stolen[0].taken_by, "admin-apmask (apmask_store)");
  EXPECT_EQ(v12.plugs, (std::vector<std::string>{"01.0000", "01.0001", "01.0002", "01.0003"}));
  EXPECT_EQ(v12.unplugs, v12.plugs);
  EXPECT_EQ(v12.driver_01_0000, "cex4queue");
}

TEST(Interpreter, TheSameScheduleUnderLinux613EndsCleanly) {
  const Race linux = race("linux-6.13");
  EXPECT_EQ(linux.apmask_result, "");
  EXPECT_EQ(linux.assign_result, "EADDRNOTAVAIL");
  EXPECT_TRUE(linux.stolen.empty());
  EXPECT_TRUE(linux.plugs.empty());
  EXPECT_EQ(linux.driver_01_0000, "cex4queue");
}

} // namespace
} // namespace apq
