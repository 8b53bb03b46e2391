// Tail figures across replications against hand-computed values.

#include "analysis/figures.hpp"
#include "analysis/tail_statistics.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace apq {
namespace {

/** A replication with `fast` samples of 1 ms and `slow` samples of 10 ms. */
LatencyHistogram replication(int fast, int slow) {
  LatencyHistogram h;
  for (int i = 0; i < fast; ++i)
    h.record(1e-3);
  for (int i = 0; i < slow; ++i)
    h.record(10e-3);
  return h;
}

std::vector<const LatencyHistogram*> pointers(const std::vector<LatencyHistogram>& runs) {
  std::vector<const LatencyHistogram*> out;
  for (const LatencyHistogram& h : runs)
    out.push_back(&h);
  return out;
}

// Fractions above 1 ms (and below 10 ms): 0.10, 0.08, 0.12, of 100 samples each. Their interval (modified Cox, on
// y = ln(p + 0.5/100)): y = ln 0.105, ln 0.085, ln 0.125; mean -2.2625, s^2 = 0.0372977; t(0.975, 2) = 4.302653;
// exp(-2.2625 + s^2/2 -+ t sqrt(s^2/3 + s^4/4)) - 0.005 = [0.0599667, 0.1668645]. A plain t interval would be
// 0.1 +- 0.0497: symmetric, where the fractions of rare events are not.
const double kLower = 0.0599667, kUpper = 0.1668645;

TEST(TailStatistics, QuantileIntervalInvertsTheExceedanceIntervalsAtBucketEdges) {
  const std::vector<LatencyHistogram> runs{replication(90, 10), replication(92, 8), replication(88, 12)};
  const LatencyHistogram& g = runs[0];
  // p90: 270 of the 300 pooled samples are 1 ms: the estimate is the 1 ms bucket.
  const QuantileInterval qi = quantile_interval(pointers(runs), 0.9, 0.95);
  EXPECT_NEAR(qi.estimate, 1e-3, 1e-5);
  EXPECT_EQ(qi.replications, 3u);
  EXPECT_NEAR(qi.min_tail_samples, 100 * (1 - 0.9), 1e-9);
  // Below the 1 ms bucket every sample is above: P(T > x) = 1 > 0.1, so x_0.9 is above the 1 ms bucket's lower
  // edge. Between 1 ms and 10 ms, P(T > x) in [0.060, 0.167] contains 0.1: no edge there is excluded.
  // Above the 10 ms bucket nothing is: [0, 0] < 0.1, so x_0.9 is at most the 10 ms bucket's upper edge.
  EXPECT_DOUBLE_EQ(qi.lower, g.bucket_lower(g.bucket_index(1e-3)));
  EXPECT_DOUBLE_EQ(qi.upper, g.bucket_upper(g.bucket_index(10e-3)));
}

TEST(TailStatistics, QuantileIntervalIsNeverNarrowerThanItsBucket) {
  // Replications that agree exactly: a Student-t interval over their quantiles would have width 0.
  const std::vector<LatencyHistogram> runs{replication(990, 10), replication(990, 10), replication(990, 10),
                                           replication(990, 10)};
  const QuantileInterval qi = quantile_interval(pointers(runs), 0.5, 0.95);
  const LatencyHistogram& g = runs[0];
  const std::size_t b = g.bucket_index(1e-3);
  EXPECT_DOUBLE_EQ(qi.lower, g.bucket_lower(b));
  EXPECT_DOUBLE_EQ(qi.upper, g.bucket_upper(b));
  EXPECT_NEAR(qi.upper / qi.lower, (1 + 0.01) / (1 - 0.01), 1e-4); // one bucket: 2% relative
  EXPECT_LE(qi.lower, qi.estimate);
  EXPECT_GE(qi.upper, qi.estimate);
}

TEST(TailStatistics, OneReplicationHasNoInterval) {
  const std::vector<LatencyHistogram> runs{replication(90, 10)};
  const QuantileInterval qi = quantile_interval(pointers(runs), 0.99, 0.95);
  EXPECT_NEAR(qi.estimate, 10e-3, 1e-4);
  EXPECT_TRUE(std::isinf(qi.lower) && qi.lower < 0);
  EXPECT_TRUE(std::isinf(qi.upper) && qi.upper > 0);
}

TEST(TailStatistics, ExceedanceIsTheMeanOfTheReplicationsFractions) {
  const std::vector<LatencyHistogram> runs{replication(90, 10), replication(92, 8), replication(88, 12)};
  // 5 ms lies between the two values: every replication's fraction above it is exact.
  const ExceedanceInterval e = exceedance_interval(pointers(runs), 5e-3, 0.95);
  EXPECT_NEAR(e.estimate, 0.10, 1e-12);
  EXPECT_NEAR(e.lower, kLower, 1e-6);
  EXPECT_NEAR(e.upper, kUpper, 1e-6);
  EXPECT_EQ(e.replications, 3u);
  EXPECT_DOUBLE_EQ(e.min_samples, 100);
}

TEST(TailStatistics, ExceedanceAtAThresholdInsideABucketWidensByTheBucket) {
  // Threshold 1 ms sits in the bucket holding the 1 ms samples: P(T > 1 ms) is between the fraction above that
  // bucket (0.10) and the fraction above its lower edge (1.0). The interval says so instead of guessing.
  const std::vector<LatencyHistogram> runs{replication(90, 10), replication(92, 8), replication(88, 12)};
  const ExceedanceInterval e = exceedance_interval(pointers(runs), 1e-3, 0.95);
  EXPECT_NEAR(e.lower, kLower, 1e-6);
  EXPECT_DOUBLE_EQ(e.upper, 1.0);
  EXPECT_GT(e.estimate, 0.10);
  EXPECT_LT(e.estimate, 1.0);
}

TEST(TailStatistics, ReplicationsNeededScaleWithTheSquaredRatio) {
  // Half-width 0.004 around 0.012, limit 0.01: the interval must shrink by 2, that is 4 x the replications.
  EXPECT_EQ(replications_needed(4, 0.012, 0.004, 0.01), std::optional<std::size_t>(16));
  EXPECT_EQ(replications_needed(10, 0.02, 0.001, 0.01), std::optional<std::size_t>(11)); // already decided: n + 1
  EXPECT_FALSE(replications_needed(4, 0.01, 0.004, 0.01));                               // on the limit
}

TEST(ReplicatedFigures, WarnsAboutAnOutlierThatPutsTheLowerBoundBelowZero) {
  // Means 1, 1, 1, 10 ms: mean 3.25, s = 4.5, t(0.975, 3) = 3.182446: half-width 7.16 > mean, lower < 0.
  std::vector<std::map<std::string, double>> figures;
  for (double v : {1e-3, 1e-3, 1e-3, 10e-3})
    figures.push_back({{"summary.latency_s.mean", v}, {"control.locks.matrix.wait_s.mean", v}});
  const ReplicatedFigures f = summarize_replications({}, figures, 0.95);
  const ConfidenceInterval& ci = f.intervals.at("summary.latency_s.mean");
  EXPECT_NEAR(ci.mean, 3.25e-3, 1e-15);
  EXPECT_NEAR(ci.half_width, 3.182446 * 4.5e-3 / 2, 1e-8);
  ASSERT_EQ(f.warnings.size(), 1u); // the lock's figure is not one people read in a summary
  EXPECT_EQ(f.warnings[0].figure, "summary.latency_s.mean");
  EXPECT_NE(f.warnings[0].message.find("below 0"), std::string::npos);
}

TEST(ReplicatedFigures, QuantilesComePooledWithTheirMethodAndTooFewTailSamplesAreWarnedAbout) {
  std::vector<Json> results;
  for (int r = 0; r < 3; ++r) {
    LatencyHistogram h = replication(90 + r, 10 - r);
    results.push_back(Json{{"histograms", {{"all", histogram_json(h)}, {"guests", {{"g", histogram_json(h)}}}}}});
  }
  std::vector<const Json*> pointers_;
  for (const Json& j : results)
    pointers_.push_back(&j);
  const ReplicatedFigures f = summarize_replications(pointers_, {{}, {}, {}}, 0.95);
  EXPECT_EQ(f.methods.at("summary.latency_s.p99"), "exceedance");
  EXPECT_EQ(f.methods.at("guests.g.latency_s.max"), "largest");
  EXPECT_DOUBLE_EQ(f.intervals.at("summary.latency_s.max").mean, 10e-3);
  // 100 samples per replication hold 1 expected sample above a p99: warned, once (the only guest's figures are the
  // overall ones).
  int tail_warnings = 0;
  for (const StatWarning& w : f.warnings)
    if (w.figure.ends_with(".p99") && w.message.find("samples expected above") != std::string::npos)
      ++tail_warnings;
  EXPECT_EQ(tail_warnings, 1);
}

TEST(MultipleComparisons, HolmStepsDownAndStopsAtTheFirstKeptHypothesis) {
  // alpha 0.05, m = 4. Sorted: 0.005 <= 0.05/4 = 0.0125 rejected; 0.01 <= 0.05/3 = 0.0167 rejected; 0.03 > 0.05/2 =
  // 0.025 kept, and so is 0.04 (<= 0.05/1, but the procedure has stopped). Bonferroni (0.0125) would reject one.
  EXPECT_EQ(holm_rejections({0.01, 0.04, 0.03, 0.005}, 0.05), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(holm_rejections({}, 0.05), std::vector<bool>{});
}

TEST(MultipleComparisons, PairedTTestPValue) {
  // Differences 1, 2, 3: mean 2, s = 1, t = 2 / (1 / sqrt 3) = 3.4641 on 2 degrees of freedom: p = 0.07418.
  EXPECT_NEAR(paired_t_p_value({1, 2, 3}), 0.074180, 1e-5);
  EXPECT_DOUBLE_EQ(paired_t_p_value({0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(paired_t_p_value({2, 2, 2}), 0.0);
  EXPECT_DOUBLE_EQ(paired_t_p_value({5}), 1.0);
}

} // namespace
} // namespace apq
