// Figures across runs: flattening a result, Student-t intervals, paired differences, MSER-5.

#include "analysis/figures.hpp"
#include "analysis/mser.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace apq {
namespace {

TEST(Figures, FlattenKeepsNumbersAndLeavesOutTheManifestAndArrays) {
  const Json result = Json::parse(R"({
    "manifest": {"seed": 3}, "run": {"events": 10},
    "summary": {"completed": 12, "latency_s": {"p99": 0.5}, "throughput_loss": null},
    "control": {"enabled": true, "timeline": [{"start_s": 1}]},
    "monitors": {"deadlocks": [{"time_s": 1}, {"time_s": 2}], "stolen_queues": [], "lock_order_inversions": []}
  })");
  const auto f = numeric_figures(result);
  EXPECT_EQ(f.at("summary.completed"), 12);
  EXPECT_EQ(f.at("summary.latency_s.p99"), 0.5);
  EXPECT_EQ(f.at("control.enabled"), 1);
  EXPECT_EQ(f.at("monitors.deadlocks"), 2);
  EXPECT_EQ(f.at("monitors.stolen_queues"), 0);
  EXPECT_FALSE(f.contains("manifest.seed"));
  EXPECT_FALSE(f.contains("run.events"));
  EXPECT_FALSE(f.contains("summary.throughput_loss")); // null: not a figure
}

// Values 1, 2, 3, 4: mean 2.5, s = 1.29099, t(0.975, 3) = 3.18245, half-width = 3.18245 * 1.29099 / 2 = 2.05426.
TEST(Figures, IntervalsAreStudentT) {
  std::vector<std::map<std::string, double>> runs;
  for (double x : {1.0, 2.0, 3.0, 4.0})
    runs.push_back({{"a", x}, {"b", 7.0}});
  runs.push_back({{"b", 7.0}}); // a figure missing in one run is summarized over the others
  const auto ci = figure_intervals(runs, 0.95);
  EXPECT_DOUBLE_EQ(ci.at("a").mean, 2.5);
  EXPECT_NEAR(ci.at("a").half_width, 2.05426, 1e-5);
  EXPECT_EQ(ci.at("a").n, 4);
  EXPECT_DOUBLE_EQ(ci.at("b").half_width, 0.0);
  EXPECT_EQ(ci.at("b").n, 5);
}

// Common random numbers: differences (3-1, 5-2, 4-3) = (2, 3, 1): mean 2, s = 1, t(0.975, 2) = 4.30265.
TEST(Figures, PairedDifferencesPairRunByRun) {
  const std::vector<std::map<std::string, double>> variant{{{"x", 3}}, {{"x", 5}}, {{"x", 4}}};
  const std::vector<std::map<std::string, double>> reference{{{"x", 1}}, {{"x", 2}}, {{"x", 3}}};
  const auto d = paired_differences(variant, reference, 0.95);
  EXPECT_DOUBLE_EQ(d.at("x").mean, 2.0);
  EXPECT_NEAR(d.at("x").half_width, 4.30265 / std::sqrt(3.0), 1e-5);
}

TEST(Figures, DerivedTotalsSumOverPaths) {
  const std::map<std::string, double> f{{"control.ops.a.ebusy", 2}, {"control.ops.b.ebusy", 3}, {"control.ops.a.x", 9}};
  EXPECT_EQ(total_over(f, "control.ops.", ".ebusy"), 5);
}

// A transient of 100 high observations, then 400 around 1: MSER-5 cuts the transient and no more.
TEST(Mser5, CutsTheTransient) {
  std::vector<double> y;
  for (int i = 0; i < 100; ++i)
    y.push_back(10.0 - 0.05 * i);
  for (int i = 0; i < 400; ++i)
    y.push_back(1.0 + 0.1 * ((i * 7919) % 11 - 5) / 5.0);
  const MserResult r = mser(y);
  EXPECT_TRUE(r.reliable);
  EXPECT_GE(r.truncate, 95u);
  EXPECT_LE(r.truncate, 110u);
  EXPECT_EQ(r.truncate % 5, 0u);
}

TEST(Mser5, StationarySeriesNeedsNoWarmup) {
  std::vector<double> y;
  for (int i = 0; i < 500; ++i)
    y.push_back(1.0 + 0.1 * ((i * 7919) % 11 - 5) / 5.0);
  EXPECT_LE(mser(y).truncate, 50u);
}

TEST(Mser5, WarmupInSecondsSkipsEmptyWindowsAtTheStart) {
  // Windows of 2 s: nothing completes in the first 3 windows, then a transient of 50 windows, then steady.
  std::vector<uint64_t> completed(3, 0);
  std::vector<double> mean(3, NAN);
  for (int i = 0; i < 50; ++i) {
    completed.push_back(10);
    mean.push_back(5.0 - 0.08 * i);
  }
  for (int i = 0; i < 400; ++i) {
    completed.push_back(10);
    mean.push_back(1.0 + 0.01 * (i % 3));
  }
  const WarmupDetection d = mser5_warmup(completed, mean, 2.0);
  EXPECT_TRUE(d.reliable);
  EXPECT_GE(d.warmup, 2.0 * (3 + 45));
  EXPECT_LE(d.warmup, 2.0 * (3 + 60));
}

TEST(Mser5, HandComputedBatchMeans) {
  // Batch means (batch 5): 9, 1, 2, 1, 2, 1. Scores s(d) = sum of squared deviations of means[d..] / n^2:
  // d=0: mean 16/6, SS = 81+1+4+1+4+1 - 256/6 = 49.33, /36 = 1.370; d=1: mean 7/5, SS = 11 - 49/5 = 1.2, /25 = 0.048;
  // d=2: 6/4, SS = 10 - 9 = 1, /16 = 0.0625; d=3: 4/3, SS = 6 - 16/3 = 0.667, /9 = 0.074; d=4: 3/2, SS = 0.5, /4 =
  // 0.125. The minimum is d = 1 (within the first half, m/2 = 3): cut 5 observations.
  std::vector<double> y;
  for (double m : {9.0, 1.0, 2.0, 1.0, 2.0, 1.0})
    for (int j = 0; j < 5; ++j)
      y.push_back(m);
  const MserResult r = mser(y);
  EXPECT_EQ(r.truncate, 5u);
  EXPECT_EQ(r.global_minimum, 5u);
  EXPECT_TRUE(r.reliable);
}

TEST(Mser5, MinimumBeyondTheFirstHalfIsRefusedAndTheCutStaysInIt) {
  // A transient that lasts 80% of the run: the marginal standard error keeps falling past the middle. The result
  // says so (unreliable) and never cuts beyond the first half.
  std::vector<double> y;
  for (int i = 0; i < 400; ++i)
    y.push_back(10.0 - 0.02 * i);
  for (int i = 0; i < 100; ++i)
    y.push_back(2.0 + 0.01 * (i % 3));
  const MserResult r = mser(y);
  EXPECT_FALSE(r.reliable);
  EXPECT_GT(r.global_minimum, 250u);
  EXPECT_LE(r.truncate, 250u);
}

} // namespace
} // namespace apq
