// Reconfiguration impact: requests attributed to the operations that hurt them, wherever they completed, and
// paired with the same requests in the baseline. The baseline runs in a forked child, the reconfigured run here.

#include "analysis/report.hpp"
#include "sim/fork_runner.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <map>
#include <set>

namespace apq {
namespace {

// Card 0x01 fails at 4 s and is back at 8 s. web spreads over 0x00 and 0x01; db has only 0x01. Windows last the
// operation plus 100 ms, far shorter than the 3 s until the guests' bus scans notice: the requests stuck on the
// card complete (web) or fail (db) after the window has closed.
constexpr const char* kCardOffline = R"(
[run]
horizon = "12s"
warmup = "1s"
seed = 5
strategy = "linux-6.13"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web"
adapters = "0x00-0x01"
domains = "0x00"
arrival = { process = "poisson", rate = "8k/s" }
scan_interval = "3s"
[[guests]]
name = "db"
adapters = "0x01"
domains = "0x01"
arrival = { process = "poisson", rate = "2k/s" }
scan_interval = "3s"
[control]
window_after = "100ms"
[[reconfig.timeline]]
name = "card-fails"
at = "4s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "card-repaired"
at = "8s"
op = "card_online"
adapter = "0x01"
)";

struct PairedRun {
  test::TracedRun run;
  BaselineRun baseline;
};

PairedRun run_paired(const Scenario& scenario) {
  PairedRun out;
  out.baseline = BaselineRun::decode(run_in_children({[&scenario] { return run_baseline(scenario, {}); }}, 1).at(0));
  RunOptions options;
  options.pair_with = &out.baseline;
  options.trace = [&out](const TraceEvent& e) { out.run.events.push_back(e); };
  out.run.result = simulate(scenario, options);
  return out;
}

TEST(Impact, CardOfflineAttributesTheStuckRequestsToItsEventWhereverTheyComplete) {
  const Scenario scenario = test::scenario_from(kCardOffline);
  const PairedRun paired = run_paired(scenario);
  const RunResult& result = paired.run.result;
  const ReconfigImpact& impact = result.impact;
  ASSERT_EQ(impact.events.size(), 2u);
  const EventImpact& offline = impact.events[0];
  EXPECT_EQ(offline.event.op, "card_offline");
  EXPECT_EQ(offline.event.actor, "card-fails");
  EXPECT_NEAR(offline.event.start, 4.0, 1e-9);
  EXPECT_NEAR(offline.window_end, offline.event.end + 0.1, 1e-9);
  const uint32_t web = 0, db = 1;

  // The requests the card held when it failed, by guest, and when each ended.
  std::map<uint32_t, std::set<uint64_t>> discarded;
  for (const TraceEvent& e : paired.run.events)
    if (e.kind == TraceKind::discard && e.adapter == 1 && e.time < 4.1)
      discarded[e.guest].insert(e.request);
  ASSERT_FALSE(discarded[web].empty());
  std::map<uint64_t, double> issued, collected;
  for (const TraceEvent& e : paired.run.events)
    if (e.guest == web && discarded[web].contains(e.request)) {
      if (e.kind == TraceKind::issue)
        issued[e.request] = e.time;
      if (e.kind == TraceKind::collect)
        collected[e.request] = e.time;
    }
  double slowest = 0;
  for (uint64_t r : discarded[web]) {
    ASSERT_TRUE(collected.contains(r)) << "web retries them on 0x00 after its scan";
    EXPECT_GT(collected[r], offline.window_end) << "they complete after the window closed";
    slowest = std::max(slowest, collected[r] - issued[r]);
  }
  // ... and still belong to the event: lost in the card, retried, and the slowest requests it has.
  EXPECT_EQ(offline.guests[web].lost_in_card, discarded[web].size());
  EXPECT_GE(offline.guests[web].retried, discarded[web].size());
  EXPECT_EQ(impact.latency[web].max(), slowest);
  EXPECT_EQ(result.guests[web].latency.max(), slowest);
  EXPECT_GT(slowest, 0.1);

  // db loses its only card: everything it issues fails with -ENODEV until its scan finds the card back, and all of
  // it belongs to the operation that took the card, inside its window or long after.
  const RequestCounts& db_counts = result.guests[db].requests;
  EXPECT_GT(db_counts.failed_enodev, 1000u);
  EXPECT_EQ(offline.guests[db].failed_enodev, db_counts.failed_enodev);
  EXPECT_EQ(impact.guests[db].failed_enodev, db_counts.failed_enodev);

  // Paired with the same requests in the baseline: every completed request that belongs is paired, the stuck ones
  // alone make seconds of extra delay, and they are slow where the baseline's were not.
  EXPECT_TRUE(impact.paired);
  EXPECT_EQ(offline.guests[web].paired, offline.guests[web].completed);
  EXPECT_GT(offline.guests[web].extra_delay, slowest - 0.01);
  EXPECT_GE(offline.guests[web].slow, discarded[web].size());
  // The guests are back to the baseline's service only after the card is.
  ASSERT_EQ(offline.time_to_recover.size(), 2u);
  EXPECT_GT(offline.time_to_recover[db], 4.0 - 0.2);
}

TEST(Impact, JsonHasEventsPerGuestAndTheBaselineSeries) {
  const Scenario scenario = test::scenario_from(kCardOffline);
  const PairedRun paired = run_paired(scenario);
  const Json j = to_json(paired.run.result);
  const Json& events = j.at("reconfiguration").at("events");
  ASSERT_EQ(events.size(), 2u);
  for (const char* key : {"actor", "op", "target", "start_s", "end_s", "window_end_s", "result", "attempts", "all"})
    EXPECT_TRUE(events[0].contains(key)) << key;
  for (const char* key : {"offered", "completed", "failed_by_errno", "retried", "lost_in_card", "extra_delay_request_s",
                          "slow", "baseline_slow", "time_to_recover_s"})
    EXPECT_TRUE(events[0].at("guests").at("web").contains(key)) << key;
  for (const Json* series : {&j.at("series"), &j.at("baseline").at("series")}) {
    EXPECT_GT(series->at("window_s").get<double>(), 0);
    for (const char* column :
         {"completed", "failed", "mean_latency_s", "p50_latency_s", "p99_latency_s", "usable_queues", "in_flight"}) {
      EXPECT_EQ(series->at("guests").at("db").at(column).size(), series->at("all").at(column).size()) << column;
    }
  }
  // db's usable queues: 1 before the failure, 0 after, 1 again once its scan found the card back.
  const Json& usable = j.at("series").at("guests").at("db").at("usable_queues");
  const double window = j.at("series").at("window_s").get<double>();
  EXPECT_EQ(usable.at(static_cast<std::size_t>(3.9 / window)).get<int>(), 1);
  EXPECT_EQ(usable.at(static_cast<std::size_t>(7.9 / window)).get<int>(), 0);
  EXPECT_EQ(usable.back().get<int>(), 1);
  const Json& baseline_usable = j.at("baseline").at("series").at("guests").at("db").at("usable_queues");
  EXPECT_EQ(baseline_usable.at(static_cast<std::size_t>(7.9 / window)).get<int>(), 1);
}

TEST(Impact, ARunWithoutReconfigurationSaysNothingAboutWindows) {
  const RunResult result = simulate(load_scenario(test::source_dir() + "/configs/quickstart.toml",
                                                  {{"run.horizon", "\"2s\""}, {"run.warmup", "\"0.5s\""}}));
  const Json j = to_json(result);
  EXPECT_FALSE(j.contains("reconfiguration"));
  const std::string text = human_summary(result, 0);
  EXPECT_EQ(text.find("window"), std::string::npos);
  EXPECT_EQ(text.find("reconfiguration"), std::string::npos);
}

} // namespace
} // namespace apq
