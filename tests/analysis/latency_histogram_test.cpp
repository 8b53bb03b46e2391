// LatencyHistogram against exact order statistics: every quantile must be within relative_error of the
// nearest-rank value of the sorted samples, memory must not depend on the sample count.
#include "analysis/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace apq {
namespace {

// Nearest rank: the ceil(q*n)-th smallest sample (1-based), q*n taken as an exact integer when it is one.
double exact_quantile(const std::vector<double>& sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const double exact = q * n;
  const double rank = std::abs(exact - std::round(exact)) <= 1e-9 * exact ? std::round(exact) : std::ceil(exact);
  return sorted[static_cast<std::size_t>(std::clamp(rank, 1.0, n)) - 1];
}

void expect_within_relative_error(const LatencyHistogram& histogram, std::vector<double> samples,
                                  const std::vector<double>& quantiles) {
  std::sort(samples.begin(), samples.end());
  for (double q : quantiles) {
    const double expected = exact_quantile(samples, q);
    EXPECT_NEAR(histogram.quantile(q), expected, histogram.relative_error() * expected) << "q=" << q;
  }
}

TEST(LatencyHistogram, UniformGridQuantilesWithinOnePercent) {
  for (double unit : {1.0, 1e-6}) { // seconds and microseconds
    LatencyHistogram histogram;
    std::vector<double> samples;
    for (int i = 1; i <= 100'000; ++i) {
      samples.push_back(i * unit);
      histogram.record(i * unit);
    }
    EXPECT_EQ(histogram.count(), 100'000u);
    EXPECT_NEAR(histogram.quantile(0.5), 50'000 * unit, 0.01 * 50'000 * unit);
    EXPECT_NEAR(histogram.quantile(0.99), 99'000 * unit, 0.01 * 99'000 * unit);
    EXPECT_NEAR(histogram.quantile(0.999), 99'900 * unit, 0.01 * 99'900 * unit);
    expect_within_relative_error(histogram, samples, {0.00001, 0.001, 0.01, 0.1, 0.25, 0.75, 0.9, 0.9999});
    EXPECT_DOUBLE_EQ(histogram.mean(), 50'000.5 * unit);
  }
}

TEST(LatencyHistogram, LognormalMillionSamplesMatchSortedQuantiles) {
  std::mt19937_64 rng(20240517);
  std::lognormal_distribution<double> latency(std::log(200e-6), 1.5); // median 200 us, heavy right tail
  LatencyHistogram histogram;
  std::vector<double> samples(1'000'000);
  for (double& x : samples) {
    x = latency(rng);
    histogram.record(x);
  }
  std::vector<double> quantiles;
  for (int k = 1; k < 1000; ++k)
    quantiles.push_back(k / 1000.0);
  for (double q : {0.9999, 0.99999, 0.999999, 1e-5})
    quantiles.push_back(q);
  expect_within_relative_error(histogram, samples, quantiles);

  EXPECT_EQ(histogram.min(), *std::min_element(samples.begin(), samples.end()));
  EXPECT_EQ(histogram.max(), *std::max_element(samples.begin(), samples.end()));
  long double sum = 0;
  for (double x : samples)
    sum += x;
  EXPECT_NEAR(histogram.mean(), static_cast<double>(sum / samples.size()), 1e-14 * histogram.mean());
}

TEST(LatencyHistogram, RelativeErrorBoundHoldsAcrossTheWholeRange) {
  // Brackets each probe value between a tiny and a huge sample so the median lands in the probe's own bucket
  // and is not clamped: this checks the raw bucket representative, including values exactly at the range ends.
  for (double relative_error : {0.01, 0.001, 0.05}) {
    LatencyHistogram histogram(1e-9, 1e6, relative_error);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> log10_value(-9.0, 6.0);
    std::vector<double> probes{1e-9, 1e6, 1.0, 1e-3};
    for (int i = 0; i < 3000; ++i)
      probes.push_back(std::pow(10.0, log10_value(rng)));
    for (double x : probes) {
      histogram.clear();
      histogram.record(0.0);
      histogram.record(x);
      histogram.record(1e7);
      EXPECT_LE(std::abs(histogram.quantile(0.5) - x), relative_error * x) << "x=" << x;
    }
  }
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(99);
  std::exponential_distribution<double> latency(1.0 / 3e-3);
  LatencyHistogram all;
  LatencyHistogram part_a;
  LatencyHistogram part_b;
  for (int i = 0; i < 200'000; ++i) {
    const double x = latency(rng) * (i % 7 == 0 ? 100.0 : 1.0);
    all.record(x);
    (i % 3 == 0 ? part_a : part_b).record(x);
  }
  part_b.record(0.0);
  part_b.record(5e6); // underflow and overflow buckets merge too
  all.record(0.0);
  all.record(5e6);

  part_a.merge(part_b);
  EXPECT_EQ(part_a.count(), all.count());
  EXPECT_EQ(part_a.min(), all.min());
  EXPECT_EQ(part_a.max(), all.max());
  EXPECT_NEAR(part_a.mean(), all.mean(), 1e-14 * all.mean());
  for (int k = 0; k <= 1000; ++k)
    EXPECT_EQ(part_a.quantile(k / 1000.0), all.quantile(k / 1000.0)) << "q=" << k / 1000.0;
}

TEST(LatencyHistogram, MergeRejectsDifferentGeometry) {
  LatencyHistogram standard;
  EXPECT_THROW(standard.merge(LatencyHistogram(1e-9, 1e6, 0.001)), std::invalid_argument);
  EXPECT_THROW(standard.merge(LatencyHistogram(1e-6, 1e6, 0.01)), std::invalid_argument);
  EXPECT_THROW(standard.merge(LatencyHistogram(1e-9, 1e3, 0.01)), std::invalid_argument);
  EXPECT_NO_THROW(standard.merge(LatencyHistogram()));
}

TEST(LatencyHistogram, MemoryIsIndependentOfSampleCount) {
  LatencyHistogram few;
  LatencyHistogram many;
  const LatencyHistogram empty;
  for (int i = 0; i < 10; ++i)
    few.record(1e-4 * (i + 1));
  // A geometric sweep from below `lowest` to above `highest`, repeated: touches every bucket, cheaply.
  double x = 1e-10;
  std::size_t after_first_sweep = 0;
  for (int i = 0; i < 10'000'000; ++i) {
    many.record(x);
    if (x > 1e7) {
      x = 1e-10;
      if (after_first_sweep == 0)
        after_first_sweep = many.memory_bytes();
    } else {
      x *= 1.00002;
    }
  }
  EXPECT_EQ(many.count(), 10'000'000u);
  ASSERT_GT(after_first_sweep, 0u);
  EXPECT_EQ(many.memory_bytes(), after_first_sweep); // more samples over the same range: no more memory
  EXPECT_EQ(few.bucket_count(), many.bucket_count());
  // Counters only for the buckets in use: none when empty, about 115 for one decade (plus a margin), all of them
  // for the full sweep.
  EXPECT_EQ(empty.memory_bytes(), sizeof(LatencyHistogram));
  EXPECT_LT(few.memory_bytes(), sizeof(LatencyHistogram) + 200 * sizeof(uint64_t));
  EXPECT_EQ(many.memory_bytes(), sizeof(LatencyHistogram) + many.bucket_count() * sizeof(uint64_t));
  // 1e-9..1e6 at 1%: about 1700 buckets, i.e. under 16 KiB whatever the run length.
  EXPECT_LT(many.memory_bytes(), 16u * 1024u);
}

TEST(LatencyHistogram, SparseCountersGiveTheSameFiguresAsTheWholeRange) {
  // Values arriving in an order that widens the kept range downwards and upwards, merged and restored: every
  // bucket count, quantile and the merge match a histogram that saw all values in ascending order.
  LatencyHistogram drifting;
  LatencyHistogram ascending;
  std::vector<double> values;
  for (int i = 0; i < 400; ++i)
    values.push_back(1e-3 * std::pow(1.013, (i % 2 == 0 ? i : -i)));
  values.push_back(0.0);
  values.push_back(5e6);
  for (double v : values)
    drifting.record(v);
  std::sort(values.begin(), values.end());
  for (double v : values)
    ascending.record(v);
  EXPECT_EQ(drifting.bucket_counts(), ascending.bucket_counts());
  for (double q : {0.001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999})
    EXPECT_EQ(drifting.quantile(q), ascending.quantile(q)) << q;
  LatencyHistogram merged;
  merged.merge(drifting);
  merged.merge(ascending);
  std::vector<uint64_t> doubled = ascending.bucket_counts();
  for (uint64_t& c : doubled)
    c *= 2;
  EXPECT_EQ(merged.bucket_counts(), doubled);
  EXPECT_EQ(merged.underflow_max(), 0.0);
  EXPECT_EQ(merged.quantile(0.5), ascending.quantile(0.5));
}

TEST(LatencyHistogram, EmptyHistogramReportsZeros) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
  EXPECT_EQ(histogram.min(), 0.0);
  EXPECT_EQ(histogram.max(), 0.0);
  EXPECT_EQ(histogram.quantile(0.0), 0.0);
  EXPECT_EQ(histogram.quantile(0.5), 0.0);
  EXPECT_EQ(histogram.quantile(1.0), 0.0);
  EXPECT_EQ(histogram.relative_error(), 0.01);
}

TEST(LatencyHistogram, ZeroLatenciesAreReportedExactly) {
  LatencyHistogram histogram;
  for (int i = 0; i < 6; ++i)
    histogram.record(0.0);
  EXPECT_EQ(histogram.quantile(0.5), 0.0);
  EXPECT_EQ(histogram.quantile(1.0), 0.0);
  for (int i = 0; i < 4; ++i)
    histogram.record(2e-3);
  EXPECT_EQ(histogram.min(), 0.0);
  EXPECT_EQ(histogram.quantile(0.6), 0.0); // 6 of 10 samples are zero waits
  EXPECT_NEAR(histogram.quantile(0.7), 2e-3, 0.01 * 2e-3);
  EXPECT_EQ(histogram.quantile(1.0), 2e-3);
  EXPECT_DOUBLE_EQ(histogram.mean(), 8e-4);
}

TEST(LatencyHistogram, UnderflowIsRepresentedByItsLargestValue) {
  LatencyHistogram histogram; // lowest = 1 ns
  histogram.record(1e-10);
  histogram.record(4e-10);
  histogram.record(1.0);
  EXPECT_EQ(histogram.quantile(0.5), 4e-10); // absolute error below `lowest`, never above the true values
  EXPECT_EQ(histogram.min(), 1e-10);
}

TEST(LatencyHistogram, OverflowIsRepresentedByMax) {
  LatencyHistogram histogram; // highest = 1e6 s
  histogram.record(1.0);
  histogram.record(2e6);
  histogram.record(5e6);
  EXPECT_EQ(histogram.quantile(0.34), 5e6);
  EXPECT_EQ(histogram.quantile(1.0), 5e6);
  EXPECT_NEAR(histogram.quantile(0.2), 1.0, 0.01);
  EXPECT_DOUBLE_EQ(histogram.mean(), (1.0 + 2e6 + 5e6) / 3);
}

TEST(LatencyHistogram, ExtremeQuantilesAreExactMinAndMax) {
  LatencyHistogram histogram;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> latency(1e-5, 1e-3);
  double lo = std::numeric_limits<double>::infinity();
  double hi = 0.0;
  for (int i = 0; i < 1000; ++i) {
    const double x = latency(rng);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    histogram.record(x);
  }
  EXPECT_EQ(histogram.quantile(0.0), lo);
  EXPECT_EQ(histogram.quantile(1.0), hi);
  EXPECT_GE(histogram.quantile(0.0001), lo); // clamped into [min, max]
  EXPECT_LE(histogram.quantile(0.9999), hi);
}

TEST(LatencyHistogram, ClearForgetsSamplesButKeepsGeometry) {
  LatencyHistogram histogram(1e-6, 10.0, 0.02);
  histogram.record(1.0);
  histogram.record(0.0);
  const std::size_t bytes = histogram.memory_bytes();
  histogram.clear();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.quantile(0.5), 0.0);
  EXPECT_EQ(histogram.memory_bytes(), bytes);
  histogram.record(3.0);
  EXPECT_EQ(histogram.min(), 3.0);
  EXPECT_EQ(histogram.quantile(0.5), 3.0);
  EXPECT_EQ(histogram.relative_error(), 0.02);
}

TEST(LatencyHistogram, RejectsInvalidInput) {
  LatencyHistogram histogram;
  EXPECT_THROW(histogram.record(-1e-6), std::invalid_argument);
  EXPECT_THROW(histogram.record(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(histogram.record(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_THROW((void)histogram.quantile(1.5), std::domain_error);
  EXPECT_THROW((void)histogram.quantile(-0.1), std::domain_error);
  EXPECT_THROW(LatencyHistogram(0.0, 1.0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1e-9, 1e6, 0.0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1e-9, 1e6, 1.0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1e-9, 1e6, 1e-9), std::invalid_argument); // would need ~1e10 buckets
}

} // namespace
} // namespace apq
