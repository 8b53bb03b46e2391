// The timeline of apqsim run --timeline: hand-made event sequences with the slices they must give, and whole runs
// of the seed scenarios through the format check (timeline_check.hpp). One simulation per TEST.

#include "sim/timeline.hpp"
#include "test_support.hpp"
#include "timeline_check.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

using test::check_timeline;
using test::TimelineSlice;

ControlEvent ev(double t, const std::string& actor, const std::string& what, const std::string& detail = {},
                const std::string& op = "assign_adapter", const std::string& where = {}) {
  return ControlEvent{t, actor, op, what, detail, where};
}

TimelineBuilder builder(double horizon = 10) {
  return TimelineBuilder({horizon, "control plane"});
}

/** At `t`, "admin" starts admin operation `op` on `target` and takes `lock` at once. */
void start_holding(TimelineBuilder& b, double t, const std::string& op, const std::string& target,
                   const std::string& lock) {
  b.on_control(ev(t, "admin", "attempt", target, op));
  b.on_control(ev(t, "admin", "start", {}, op));
  b.on_control(ev(t, "admin", "lock", lock, op));
  b.on_control(ev(t, "admin", "acquired", lock, op));
}

std::vector<TimelineSlice> named(const test::TimelineCheck& check, const std::string& name) {
  std::vector<TimelineSlice> out;
  for (const TimelineSlice& s : check.slices)
    if (s.name == name)
      out.push_back(s);
  return out;
}

std::string thread_name(const Json& trace, int pid, int tid) {
  for (const Json& e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == pid && e["tid"] == tid)
      return e["args"]["name"];
  return "";
}

// lock A, lock B (waits from 1 to 2), unlock A while B is held, unlock B: hold B is cut where A ends and goes on as
// a "continued" slice, so that begin/end stay nested; the wait for A took no time and leaves no slice.
TEST(Timeline, OutOfOrderReleaseStaysNested) {
  TimelineBuilder b = builder();
  b.on_control(ev(0, "admin", "attempt", "0x01 -> mdev web"));
  b.on_control(ev(0, "admin", "start", {}, "assign_adapter", "s.toml:1:1"));
  b.on_control(ev(0, "admin", "lock", "A", "assign_adapter", "s.toml:2:3"));
  b.on_control(ev(0, "admin", "acquired", "A", "assign_adapter", "s.toml:2:3"));
  b.on_control(ev(1, "admin", "lock", "B", "assign_adapter", "s.toml:3:3"));
  b.on_control(ev(2, "admin", "acquired", "B", "assign_adapter", "s.toml:3:3"));
  b.on_control(ev(3, "admin", "unlock", "A", "assign_adapter", "s.toml:4:3"));
  b.on_control(ev(4, "admin", "unlock", "B", "assign_adapter", "s.toml:5:3"));
  b.on_control(ev(5, "admin", "end", "ok", "assign_adapter", "s.toml:1:1"));
  b.on_control(ev(5, "admin", "outcome", "ok"));
  const test::TimelineCheck check = check_timeline(Json::parse(b.finish(Json::object())));
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();

  EXPECT_TRUE(named(check, "wait A").empty());
  const auto wait_b = named(check, "wait B");
  ASSERT_EQ(wait_b.size(), 1u);
  EXPECT_DOUBLE_EQ(wait_b[0].begin, 1e6); // microseconds
  EXPECT_DOUBLE_EQ(wait_b[0].end, 2e6);
  EXPECT_EQ(wait_b[0].args["where"], "s.toml:3:3");
  const auto hold_a = named(check, "hold A");
  ASSERT_EQ(hold_a.size(), 1u);
  EXPECT_DOUBLE_EQ(hold_a[0].begin, 0);
  EXPECT_DOUBLE_EQ(hold_a[0].end, 3e6);
  EXPECT_EQ(hold_a[0].args["released_at"], "s.toml:4:3");
  const auto hold_b = named(check, "hold B");
  ASSERT_EQ(hold_b.size(), 2u);
  EXPECT_DOUBLE_EQ(hold_b[0].begin, 2e6);
  EXPECT_DOUBLE_EQ(hold_b[0].end, 3e6);
  EXPECT_FALSE(hold_b[0].args.contains("continued"));
  EXPECT_DOUBLE_EQ(hold_b[1].begin, 3e6);
  EXPECT_DOUBLE_EQ(hold_b[1].end, 4e6);
  EXPECT_EQ(hold_b[1].args["continued"], true);
  // The lock tracks show each owner once, from acquire to release.
  const auto owners = named(check, "admin: assign_adapter");
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[0].pid, 2);
  EXPECT_NE(owners[0].tid, owners[1].tid);
}

// Two attempts: the first fails its trylock with -EBUSY, the retry succeeds. The admin's slice spans both with the
// final result and the attempt count; each invocation has its own result.
TEST(Timeline, AdminSliceCarriesResultErrnoAndAttempts) {
  TimelineBuilder b = builder();
  b.on_control(ev(1, "assigner#3", "attempt", "0x02 -> mdev web"));
  b.on_control(ev(1, "assigner#3", "start"));
  b.on_control(ev(1.5, "assigner#3", "trylock", "matrix", "assign_adapter", "v12.toml:60:3"));
  b.on_control(ev(1.5, "assigner#3", "busy", "matrix", "assign_adapter", "v12.toml:60:3"));
  b.on_control(ev(1.5, "assigner#3", "end", "EBUSY"));
  b.on_control(ev(2, "assigner#3", "attempt", "0x02 -> mdev web"));
  b.on_control(ev(2, "assigner#3", "start"));
  b.on_control(ev(2.5, "assigner#3", "end", "ok"));
  b.on_control(ev(2.5, "assigner#3", "outcome", "ok"));
  const Json trace = Json::parse(b.finish(Json::object()));
  const test::TimelineCheck check = check_timeline(trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  const auto admin = named(check, "assign_adapter 0x02 -> mdev web");
  ASSERT_EQ(admin.size(), 1u);
  EXPECT_DOUBLE_EQ(admin[0].begin, 1e6);
  EXPECT_DOUBLE_EQ(admin[0].end, 2.5e6);
  EXPECT_EQ(admin[0].args["attempts"], 2);
  EXPECT_EQ(admin[0].args["result"], "ok");
  EXPECT_EQ(admin[0].args["actor"], "assigner#3");
  const auto invocations = named(check, "assign_adapter");
  ASSERT_EQ(invocations.size(), 2u);
  EXPECT_EQ(invocations[0].args["result"], "EBUSY");
  EXPECT_EQ(invocations[0].args["errno"], "-EBUSY");
  EXPECT_EQ(invocations[1].args["result"], "ok");
  EXPECT_FALSE(invocations[1].args.contains("errno"));
  ASSERT_EQ(check.instants.size(), 2u); // on the actor's track and on the lock's
  EXPECT_EQ(check.instants[0]["name"], "trylock matrix busy");
  EXPECT_EQ(check.instants[0]["args"]["where"], "v12.toml:60:3");
  EXPECT_EQ(check.instants[1]["pid"], 2);
  EXPECT_EQ(thread_name(trace, 1, admin[0].tid), "assigner");
}

// An operation that never returns (a deadlock) ends at the horizon as "hung"; its wait was never granted and its
// lock never released.
TEST(Timeline, WhatNeverEndsIsClosedAtTheHorizon) {
  TimelineBuilder b = builder(3);
  start_holding(b, 1, "apmask_store", "+0x01", "ap_perms");
  b.on_control(ev(1.2, "admin", "lock", "matrix", "apmask_store"));
  b.on_control(ev(1.2, "admin", "deadlock", "admin holds ap_perms, wants matrix", "apmask_store"));
  const test::TimelineCheck check = check_timeline(Json::parse(b.finish(Json::object())));
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  for (const TimelineSlice& s : check.slices)
    EXPECT_DOUBLE_EQ(s.end, 3e6) << s.name;
  EXPECT_EQ(named(check, "apmask_store")[0].args["result"], "hung");
  EXPECT_EQ(named(check, "wait matrix")[0].args["acquired"], false);
  EXPECT_EQ(named(check, "hold ap_perms")[0].args["released"], false);
  ASSERT_EQ(check.instants.size(), 2u);
  EXPECT_EQ(check.instants[0]["name"], "DEADLOCK");
  EXPECT_EQ(check.instants[0]["args"]["cycle"], "admin holds ap_perms, wants matrix");
  EXPECT_EQ(check.instants[1]["s"], "g"); // and across the whole timeline
}

// assigner#1 [0, 1], #2 [0.5, 2], #3 [1.5, 3]: #3 starts after #1 ended and takes its lane; #4 starts at 3, when
// #3 ends: not the same lane (their end and begin could interleave), but #2's, free since 2.
TEST(Timeline, ActorsOfOneAdminShareLanesOnlyOnceDone) {
  TimelineBuilder b = builder();
  auto op = [&b](const std::string& actor, double from, double to) {
    b.on_control(ev(from, actor, "start"));
    b.on_control(ev(to, actor, "end", "ok"));
  };
  op("assigner#1", 0, 1);
  op("assigner#2", 0.5, 2);
  op("assigner#3", 1.5, 3);
  op("assigner#4", 3, 4);
  const Json trace = Json::parse(b.finish(Json::object()));
  const test::TimelineCheck check = check_timeline(trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  const auto slices = named(check, "assign_adapter");
  ASSERT_EQ(slices.size(), 4u);
  std::map<std::string, int> tid;
  for (const TimelineSlice& s : slices)
    tid[s.args["actor"]] = s.tid;
  EXPECT_NE(tid["assigner#1"], tid["assigner#2"]);
  EXPECT_EQ(tid["assigner#3"], tid["assigner#1"]);
  EXPECT_EQ(tid["assigner#4"], tid["assigner#2"]);
  EXPECT_EQ(thread_name(trace, 1, tid["assigner#1"]), "assigner [1]");
  EXPECT_EQ(thread_name(trace, 1, tid["assigner#2"]), "assigner [2]");
}

// The counters are the run's series (series_json): completions per window sampled at the window's start, the levels
// (requests in flight, usable queues: the series' values at each window's end) sampled at its end, the last window
// ending at the horizon (2.5 s, not 3 s).
TEST(Timeline, CountersComeFromTheSeries) {
  TimelineBuilder b = builder(2.5);
  const Json result = Json::parse(R"({"series": {"window_s": 1, "guests": {"web": {"completed": [3, 1, 0],
      "failed": [0, 0, 2], "in_flight": [2, 0, 1], "usable_queues": [4, 2, 4]}}, "all": {}}})");
  const Json trace = Json::parse(b.finish(result));
  const test::TimelineCheck check = check_timeline(trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  std::map<std::string, std::vector<std::pair<double, double>>> counters;
  for (const Json& e : trace["traceEvents"])
    if (e["ph"] == "C")
      for (const auto& [key, value] : e["args"].items())
        counters[e["name"].get<std::string>()].emplace_back(e["ts"].get<double>(), value.get<double>());
  using Samples = std::vector<std::pair<double, double>>;
  EXPECT_EQ(counters["web completions"], (Samples{{0, 3}, {1e6, 1}, {2e6, 0}}));
  EXPECT_EQ(counters["web in flight"], (Samples{{1e6, 2}, {2e6, 0}, {2.5e6, 1}}));
  EXPECT_EQ(counters["web usable queues"], (Samples{{1e6, 4}, {2e6, 2}, {2.5e6, 4}}));
  EXPECT_EQ(counters.size(), 3u);
}

// rw_semaphores: the vCPUs' down_read holds show as read holds, two readers overlap on the lock's track (the first
// to release cuts the other's slice, which goes on "continued"), a writer's hold as a write hold after its wait.
TEST(Timeline, ReadAndWriteHoldsOfAnRwSemaphore) {
  TimelineBuilder b = builder();
  const std::string lock = "pqap_hook:web";
  auto op = [&b](double t, const std::string& actor, const std::string& what, const std::string& detail) {
    b.on_control(ev(t, actor, what, detail, "pqap_aqic", "s:1:1"));
  };
  op(1, "vcpu:web a", "start", "");
  op(1, "vcpu:web a", "down_read", lock);
  op(1, "vcpu:web a", "acquired", lock);
  op(2, "vcpu:web b", "start", "");
  op(2, "vcpu:web b", "down_read", lock);
  op(2, "vcpu:web b", "acquired", lock);
  b.on_control(ev(2.5, "admin", "start", {}, "unset_kvm"));
  b.on_control(ev(2.5, "admin", "down_write", lock, "unset_kvm"));
  op(3, "vcpu:web a", "up_read", lock);
  op(3, "vcpu:web a", "end", "ok");
  op(4, "vcpu:web b", "up_read", lock);
  op(4, "vcpu:web b", "end", "ok");
  b.on_control(ev(4, "admin", "acquired", lock, "unset_kvm"));
  b.on_control(ev(5, "admin", "up_write", lock, "unset_kvm"));
  b.on_control(ev(5, "admin", "end", "ok", "unset_kvm"));
  const test::TimelineCheck check = check_timeline(Json::parse(b.finish(Json::object())));
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  const auto reads = named(check, "read " + lock);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].args["mode"], "read");
  EXPECT_DOUBLE_EQ(reads[0].begin, 1e6);
  EXPECT_DOUBLE_EQ(reads[0].end, 3e6);
  const auto wait = named(check, "wait write " + lock);
  ASSERT_EQ(wait.size(), 1u);
  EXPECT_DOUBLE_EQ(wait[0].begin, 2.5e6);
  EXPECT_DOUBLE_EQ(wait[0].end, 4e6);
  const auto write = named(check, "write " + lock);
  ASSERT_EQ(write.size(), 1u);
  EXPECT_EQ(write[0].args["mode"], "write");
  EXPECT_DOUBLE_EQ(write[0].end, 5e6);
  // Reader b's owner slice is cut at 3 s, when reader a's ends, and goes on to 4 s.
  const auto b_owner = named(check, "vcpu:web b: pqap_aqic (read)");
  ASSERT_EQ(b_owner.size(), 2u);
  EXPECT_DOUBLE_EQ(b_owner[0].begin, 2e6);
  EXPECT_DOUBLE_EQ(b_owner[1].end, 4e6);
  EXPECT_EQ(b_owner[1].args["continued"], true);
}

// A task that dies in the kernel (the NULL kvm->lock dereference of 6.1/6.13) never returns and keeps its locks: its
// operation ends at the horizon as "oops", the bug is an instant.
TEST(Timeline, ATaskThatDiesKeepsItsLocksToTheHorizon) {
  TimelineBuilder b = builder(3);
  start_holding(b, 1, "unset_kvm", "mdev web", "matrix");
  b.on_control(ev(1.5, "admin", "oops", "NULL pointer dereference", "unset_kvm", "s.toml:9:3"));
  const test::TimelineCheck check = check_timeline(Json::parse(b.finish(Json::object())));
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  EXPECT_EQ(named(check, "unset_kvm")[0].args["result"], "oops");
  EXPECT_DOUBLE_EQ(named(check, "hold matrix")[0].end, 3e6);
  ASSERT_EQ(check.instants.size(), 2u);
  EXPECT_EQ(check.instants[0]["name"], "KERNEL BUG");
  EXPECT_EQ(check.instants[0]["args"]["where"], "s.toml:9:3");
}

// --- whole runs ---------------------------------------------------------------------------------------------

struct TimelineRun {
  Json trace;
  Json result;
};

TimelineRun timeline_of(const Scenario& scenario) {
  TimelineBuilder b({scenario.run.horizon, "control plane"});
  RunOptions options;
  options.control_trace = [&b](const ControlEvent& e) { b.on_control(e); };
  const Json result = to_json(simulate(scenario, options));
  return TimelineRun{Json::parse(b.finish(result)), result};
}

Scenario seed(const std::string& file, const std::vector<ConfigOverride>& overrides = {}) {
  return load_scenario(test::source_dir() + "/configs/seed/" + file, overrides);
}

// The ABBA deadlock of the v12 review: both operations hang, holding one lock and waiting for the other, to the
// horizon; the deadlock is an instant with its cycle; lock steps point into the strategy file.
TEST(Timeline, AbbaDeadlockRun) {
  const test::TimelineCheck check = check_timeline(timeline_of(seed("abba-deadlock.toml")).trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  const auto waits = named(check, "wait ap_perms");
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_NEAR(waits[0].begin, 1000011, 1e-3);
  EXPECT_EQ(waits[0].args["acquired"], false);
  EXPECT_TRUE(waits[0].args["where"].get<std::string>().starts_with("configs/strategies/naive-mutex.toml:"));
  EXPECT_EQ(named(check, "assign_adapter 0x01 -> mdev web")[0].args["result"], "hung");
  const auto deadlock =
      std::find_if(check.instants.begin(), check.instants.end(), [](const Json& e) { return e["name"] == "DEADLOCK"; });
  ASSERT_NE(deadlock, check.instants.end());
  EXPECT_EQ((*deadlock)["args"]["cycle"],
            "admin-assign holds matrix, wants ap_perms; admin-apmask holds ap_perms, wants matrix");
  EXPECT_GT(check.counters, 0u);
}

TEST(Timeline, StolenQueueRun) {
  const test::TimelineCheck check = check_timeline(timeline_of(seed("v12-stolen-queue.toml")).trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  EXPECT_TRUE(std::any_of(check.instants.begin(), check.instants.end(),
                          [](const Json& e) { return e["name"] == "STOLEN QUEUE" && e["s"] == "g"; }));
}

// Three seconds of the storm under each built-in strategy: the format holds (naive-mutex deadlocks in it, and the
// hung operations end at the horizon), as many owner slices on the lock tracks as the lock statistics count
// acquisitions, counters from the series, and what only some strategies do.
class StormTimeline : public ::testing::TestWithParam<std::string> {};

TEST_P(StormTimeline, FormatHolds) {
  const std::string strategy = GetParam();
  const Scenario scenario =
      seed("random-storm.toml",
           {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}, {"run.strategy", "\"" + strategy + "\""}});
  const TimelineRun run = timeline_of(scenario);
  const test::TimelineCheck check = check_timeline(run.trace);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  uint64_t owners = 0, acquisitions = 0, holds = 0;
  for (const TimelineSlice& s : check.slices) {
    owners += s.category == "lock_owner" && !s.args.contains("continued");
    holds += s.category == "lock_hold" && !s.args.contains("continued");
  }
  for (const auto& [lock, figures] : run.result["control"]["locks"].items())
    acquisitions += figures["acquisitions"].get<uint64_t>();
  EXPECT_GT(acquisitions, 100u);
  EXPECT_EQ(owners, acquisitions);
  EXPECT_EQ(holds, acquisitions);
  EXPECT_GT(check.counters, 0u);
  auto instant = [&check](const std::string& category) {
    return std::any_of(check.instants.begin(), check.instants.end(),
                       [&category](const Json& e) { return e["cat"] == category; });
  };
  auto admin_retried = std::any_of(check.slices.begin(), check.slices.end(), [](const TimelineSlice& s) {
    return s.category == "admin" && s.args.value("attempts", 0) > 1;
  });
  if (strategy == "v12-trylock") {
    EXPECT_TRUE(instant("trylock"));
    EXPECT_TRUE(admin_retried);
  }
  if (strategy == "naive-mutex") {
    const auto deadlock = std::find_if(check.instants.begin(), check.instants.end(),
                                       [](const Json& e) { return e["name"] == "DEADLOCK"; });
    ASSERT_NE(deadlock, check.instants.end());
    EXPECT_NE((*deadlock)["args"]["cycle"].get<std::string>().find(" holds "), std::string::npos);
    EXPECT_TRUE(std::any_of(check.slices.begin(), check.slices.end(), [](const TimelineSlice& s) {
      return s.category == "admin" && s.args.value("result", "") == "hung";
    }));
  } else {
    EXPECT_FALSE(instant("violation")) << strategy;
  }
  EXPECT_TRUE(run.trace["otherData"]["config_file"].get<std::string>().ends_with("random-storm.toml"));
}

INSTANTIATE_TEST_SUITE_P(BuiltInStrategies, StormTimeline,
                         ::testing::Values("linux-6.1", "linux-6.13", "naive-mutex", "ordered", "v12-trylock"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace_if(
                               name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return name;
                         });

} // namespace
} // namespace apq
