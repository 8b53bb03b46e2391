// RunningStats against the two-pass formulas evaluated in long double.
#include "analysis/running_stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace apq {
namespace {

struct TwoPass {
  double mean;
  double variance;
};

TwoPass two_pass(const std::vector<double>& samples) {
  long double sum = 0;
  for (double x : samples)
    sum += x;
  const long double mean = sum / samples.size();
  long double squares = 0;
  for (double x : samples)
    squares += (x - mean) * (x - mean);
  return {static_cast<double>(mean), static_cast<double>(squares / (samples.size() - 1))};
}

TEST(RunningStats, TextbookExample) {
  RunningStats stats;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0})
    stats.add(x);
  EXPECT_EQ(stats.count(), 8u);
  EXPECT_DOUBLE_EQ(stats.mean(), 5.0);
  EXPECT_DOUBLE_EQ(stats.variance(), 32.0 / 7.0);
  EXPECT_DOUBLE_EQ(stats.stddev(), std::sqrt(32.0 / 7.0));
  EXPECT_EQ(stats.min(), 2.0);
  EXPECT_EQ(stats.max(), 9.0);
}

TEST(RunningStats, MatchesTwoPassWithLargeOffset) {
  // A mean of 1e6 with unit spread defeats the naive sum-of-squares formula; Welford must not care.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> value(1e6, 1.0);
  std::vector<double> samples(100'000);
  RunningStats stats;
  for (double& x : samples) {
    x = value(rng);
    stats.add(x);
  }
  const TwoPass exact = two_pass(samples);
  EXPECT_NEAR(stats.mean(), exact.mean, 1e-12 * exact.mean);
  EXPECT_NEAR(stats.variance(), exact.variance, 1e-7 * exact.variance);
  EXPECT_EQ(stats.min(), *std::min_element(samples.begin(), samples.end()));
  EXPECT_EQ(stats.max(), *std::max_element(samples.begin(), samples.end()));
}

TEST(RunningStats, MergeMatchesSequentialAdds) {
  std::mt19937_64 rng(8);
  std::exponential_distribution<double> value(2.0);
  std::vector<double> samples(30'001);
  RunningStats all;
  RunningStats parts[3];
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = value(rng) + (i < 1000 ? 50.0 : 0.0); // parts with very different means
    all.add(samples[i]);
    parts[i < 1000 ? 0 : (i < 21'000 ? 1 : 2)].add(samples[i]);
  }
  RunningStats merged;
  for (const RunningStats& part : parts)
    merged.merge(part);
  const TwoPass exact = two_pass(samples);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_NEAR(merged.mean(), exact.mean, 1e-12 * exact.mean);
  EXPECT_NEAR(merged.variance(), exact.variance, 1e-12 * exact.variance);
  EXPECT_NEAR(all.variance(), exact.variance, 1e-12 * exact.variance);
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
}

TEST(RunningStats, EmptyAndSingleSample) {
  RunningStats stats;
  EXPECT_EQ(stats.count(), 0u);
  EXPECT_EQ(stats.mean(), 0.0);
  EXPECT_EQ(stats.variance(), 0.0);
  EXPECT_EQ(stats.min(), 0.0);
  EXPECT_EQ(stats.max(), 0.0);

  RunningStats empty;
  stats.add(-3.5);
  stats.merge(empty);
  EXPECT_EQ(stats.count(), 1u);
  EXPECT_EQ(stats.mean(), -3.5);
  EXPECT_EQ(stats.variance(), 0.0);
  EXPECT_EQ(stats.min(), -3.5);
  EXPECT_EQ(stats.max(), -3.5);

  empty.merge(stats);
  EXPECT_EQ(empty.count(), 1u);
  EXPECT_EQ(empty.mean(), -3.5);
}

} // namespace
} // namespace apq
