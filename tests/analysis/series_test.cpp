// Reconfiguration windows per event, the per-guest time series, and time to recover, against hand-made cases.

#include "analysis/reconfig_windows.hpp"
#include "analysis/recovery.hpp"
#include "analysis/time_series.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace apq {
namespace {

TEST(ReconfigWindows, EventsKeepTheirOwnWindowsAndRequestsTheSetOfThoseOpenAtTheirArrival) {
  ReconfigWindows w(1.0); // window = operation + 1 s
  EXPECT_EQ(w.at(0.5), ReconfigWindows::kNone);
  const int a = w.open(1.0, "admin", "unassign_adapter", "0x01 -> mdev web");
  EXPECT_EQ(w.members(w.at(1.2)), std::vector<int>{a});
  const int b = w.open(1.5, "resetter#1", "vfio_reset", "mdev web");
  w.close(a, 1.6, "ok", 1); // a's window ends at 2.6
  EXPECT_EQ(w.members(w.at(2.0)), (std::vector<int>{a, b}));
  EXPECT_EQ(w.members(w.at(2.6)), (std::vector<int>{a, b})); // the end is inside
  w.close(b, 2.7, "EBUSY", 3);                               // b's window ends at 3.7
  EXPECT_EQ(w.members(w.at(2.8)), std::vector<int>{b});
  EXPECT_EQ(w.at(3.71), ReconfigWindows::kNone);
  // Not merged: each event keeps its start, end and outcome.
  ASSERT_EQ(w.events().size(), 2u);
  EXPECT_EQ(w.events()[1].result, "EBUSY");
  EXPECT_EQ(w.events()[1].attempts, 3);
  EXPECT_DOUBLE_EQ(w.window_end(a, 60), 2.6);
  // A request touched later by an event it was not issued in belongs to both; sets are interned.
  const auto set_a = w.with(ReconfigWindows::kNone, a);
  EXPECT_EQ(w.with(set_a, b), w.with(w.with(ReconfigWindows::kNone, b), a));
  EXPECT_EQ(w.members(w.with(set_a, b)), (std::vector<int>{a, b}));
  EXPECT_EQ(w.with(set_a, a), set_a);
}

TEST(ReconfigWindows, AnOperationThatNeverReturnsKeepsItsWindowToTheHorizon) {
  ReconfigWindows w(1.0);
  const int e = w.open(2.0, "admin", "assign_adapter", "0x01 -> mdev web");
  EXPECT_EQ(w.members(w.at(50.0)), std::vector<int>{e});
  EXPECT_DOUBLE_EQ(w.window_end(e, 60), 60);
  EXPECT_EQ(w.events()[0].result, "hung");
}

TEST(TimeSeries, DefaultWindowKeepsBetween500And1250Windows) {
  EXPECT_DOUBLE_EQ(default_series_window(60), 0.1);
  EXPECT_DOUBLE_EQ(default_series_window(20), 0.02);
  EXPECT_DOUBLE_EQ(default_series_window(3), 0.005);
  EXPECT_DOUBLE_EQ(default_series_window(3600), 5);
  for (double horizon : {0.01, 1.0, 7.0, 60.0, 86400.0}) {
    const double n = horizon / default_series_window(horizon);
    EXPECT_GE(n, 500 - 1e-6) << horizon;
    EXPECT_LE(n, 1250 + 1e-6) << horizon;
  }
}

TEST(TimeSeries, WindowsHoldCompletionsFailuresLatencyAndLevelsAtTheirEnd) {
  std::vector<SeriesRecorder::Levels> levels{{4, 0}, {2, 0}};
  SeriesRecorder recorder(1.0, 3.0, {"a", "b"}, [&](std::size_t g) { return levels[g]; });
  recorder.completed(0, 0.2, 1e-3);
  recorder.completed(0, 0.4, 3e-3);
  recorder.failed(1, 0.5);
  levels[0] = {3, 7};               // at the end of window 0
  recorder.advance(1.5);            // closes window 0
  levels[0] = {1, 9};               // changes during window 1
  recorder.completed(1, 2.5, 2e-3); // closes window 1, in window 2
  const TimeSeries s = recorder.finish();
  ASSERT_EQ(s.per_guest.size(), 2u);
  ASSERT_EQ(s.all.completed.size(), 3u);
  EXPECT_EQ(s.per_guest[0].completed, (std::vector<uint64_t>{2, 0, 0}));
  EXPECT_EQ(s.per_guest[1].failed, (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_NEAR(s.per_guest[0].mean_latency[0], 2e-3, 1e-15);
  EXPECT_TRUE(std::isnan(s.per_guest[0].mean_latency[1]));
  EXPECT_NEAR(s.per_guest[0].p99_latency[0], 3e-3, 3e-5); // the histogram's 1%
  EXPECT_EQ(s.per_guest[0].usable_queues, (std::vector<uint32_t>{3, 1, 1}));
  EXPECT_EQ(s.per_guest[0].in_flight, (std::vector<uint64_t>{7, 9, 9}));
  EXPECT_EQ(s.all.completed, (std::vector<uint64_t>{2, 0, 1}));
  EXPECT_EQ(s.all.usable_queues, (std::vector<uint32_t>{5, 3, 3}));
}

SeriesColumns steady(std::size_t n, uint64_t completed, double mean) {
  SeriesColumns c;
  for (std::size_t k = 0; k < n; ++k) {
    c.completed.push_back(completed);
    c.failed.push_back(0);
    c.mean_latency.push_back(mean * (1 + 0.01 * static_cast<double>(k % 3))); // a little noise
    c.p50_latency.push_back(mean);
    c.p99_latency.push_back(mean);
    c.usable_queues.push_back(4);
    c.in_flight.push_back(1);
  }
  return c;
}

TEST(Recovery, BackWhenThreeWindowsInARowMatchTheBaseline) {
  const SeriesColumns base = steady(20, 1000, 1e-3);
  SeriesColumns run = base;
  // An operation ends at 5.5 s (windows of 1 s): latency doubles in windows 5..8, failures in window 6.
  for (std::size_t k = 5; k <= 8; ++k)
    run.mean_latency[k] *= 2;
  run.failed[6] = 3;
  EXPECT_DOUBLE_EQ(time_to_recover(run, base, 1.0, 5.5), 9.0 - 5.5);
  // A short dip that returns: window 10 degraded alone after clean windows 9..: recovery still at 9.
  run.mean_latency[12] *= 2;
  EXPECT_DOUBLE_EQ(time_to_recover(run, base, 1.0, 5.5), 9.0 - 5.5);
  // Never degraded after the end: 0.
  EXPECT_DOUBLE_EQ(time_to_recover(run, base, 1.0, 13.5), 0.0);
  // A shortfall of completions within counting noise is no degradation; a large one is.
  SeriesColumns fewer = base;
  fewer.completed[15] = 1000 - 60; // 6% and < 3 sqrt(1000) = 95
  EXPECT_DOUBLE_EQ(time_to_recover(fewer, base, 1.0, 15.0), 0.0);
  fewer.completed[15] = 700;
  EXPECT_DOUBLE_EQ(time_to_recover(fewer, base, 1.0, 15.0), 1.0);
}

TEST(Recovery, NotBackByTheEndOfTheSeries) {
  const SeriesColumns base = steady(10, 1000, 1e-3);
  SeriesColumns run = base;
  for (std::size_t k = 4; k < 10; ++k)
    run.completed[k] = 0;
  EXPECT_TRUE(std::isnan(time_to_recover(run, base, 1.0, 4.0)));
}

} // namespace
} // namespace apq
