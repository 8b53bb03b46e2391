#include "models/distribution.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace apq {
namespace {

using test::error_of;
using test::moments_of;
using test::parse_toml;

constexpr int kDraws = 200'000;

std::vector<double> samples(const Distribution& d, uint64_t seed) {
  NamedStream rng(seed, "distribution-test");
  std::vector<double> xs(kDraws);
  for (double& x : xs)
    x = d.sample(rng);
  return xs;
}

// The sample mean and standard deviation agree with the distribution's mean() and cv() within 4 standard errors.
void expect_moments(const Distribution& d, uint64_t seed) {
  auto m = moments_of(samples(d, seed));
  EXPECT_NEAR(m.mean, d.mean(), 4 * m.se_mean) << d.describe();
  double expected_variance = std::pow(d.cv() * d.mean(), 2);
  EXPECT_NEAR(m.variance, expected_variance, 4 * m.se_variance + 1e-30) << d.describe();
}

DistributionPtr from_toml(std::string_view text, std::optional<double> default_mean = {}) {
  auto doc = parse_toml(text, "dist.toml");
  return make_distribution(ConfigNode(doc), default_mean);
}

TEST(Distribution, Deterministic) {
  auto d = from_toml(R"(dist = "deterministic"
value = "216us")");
  EXPECT_EQ(d->mean(), 216e-6);
  EXPECT_EQ(d->cv(), 0.0);
  NamedStream rng(1, "x");
  EXPECT_EQ(d->sample(rng), 216e-6);
  EXPECT_EQ(from_toml("dist = \"deterministic\"\nmean = \"1ms\"")->mean(), 1e-3);
  EXPECT_EQ(d->describe(), "deterministic(216us)");
}

TEST(Distribution, SampleMomentsMatch) {
  expect_moments(*from_toml("dist = \"exponential\"\nmean = \"100us\""), 1);
  expect_moments(*from_toml("dist = \"lognormal\"\nmean = \"250us\"\ncv = 0.4"), 2);
  expect_moments(*from_toml("dist = \"uniform\"\nmin = \"100us\"\nmax = \"300us\""), 3);
  auto centred = from_toml("dist = \"uniform\"\nmean = \"200us\"\ncv = 0.2");
  EXPECT_DOUBLE_EQ(centred->mean(), 200e-6);
  EXPECT_DOUBLE_EQ(centred->cv(), 0.2);
  expect_moments(*centred, 4);
}

TEST(Distribution, ShapeTakesTheDefaultMean) {
  auto d = from_toml("dist = \"lognormal\"\ncv = 0.3", 216e-6);
  EXPECT_EQ(d->mean(), 216e-6);
  EXPECT_EQ(d->cv(), 0.3);
  EXPECT_EQ(from_toml("dist = \"deterministic\"", 5e-6)->mean(), 5e-6);
  EXPECT_EQ(from_toml("dist = \"exponential\"\nmean = \"1ms\"", 5e-6)->mean(), 1e-3); // an explicit mean wins
  EXPECT_EQ(error_of([] { from_toml("dist = \"lognormal\"\ncv = 0.3"); }),
            "dist.toml:1:1: error: missing required key 'mean'");
}

TEST(Distribution, ScaledToMeanKeepsTheShape) {
  for (const char* text : {"dist = \"exponential\"\nmean = \"1ms\"", "dist = \"lognormal\"\nmean = \"1ms\"\ncv = 2",
                           "dist = \"uniform\"\nmin = \"1ms\"\nmax = \"3ms\"", "dist = \"deterministic\"\nvalue = 0"}) {
    auto d = from_toml(text);
    auto scaled = d->scaled_to_mean(54e-6);
    EXPECT_DOUBLE_EQ(scaled->mean(), 54e-6) << d->describe();
    EXPECT_DOUBLE_EQ(scaled->cv(), d->cv()) << d->describe();
  }
  EXPECT_THROW(uniform_distribution(0, 0)->scaled_to_mean(1), std::invalid_argument);
}

TEST(Distribution, EmpiricalResamplesAFile) {
  test::TempFile file("empirical.txt", "# service times of one card\n100us\n0.0002 # seconds\n\n300us\n");
  toml::table doc;
  doc.insert("dist", "empirical");
  doc.insert("file", file.path().string());
  auto d = make_distribution(ConfigNode(doc));
  EXPECT_DOUBLE_EQ(d->mean(), 200e-6);
  EXPECT_DOUBLE_EQ(d->cv(), std::sqrt(2.0 / 3) / 2);
  std::map<double, int> counts;
  for (double x : samples(*d, 5))
    ++counts[x];
  ASSERT_EQ(counts.size(), 3u);
  double se = std::sqrt(kDraws * (1.0 / 3) * (2.0 / 3));
  for (auto [value, count] : counts)
    EXPECT_NEAR(count, kDraws / 3.0, 4 * se) << value;
  auto scaled = d->scaled_to_mean(2e-3);
  EXPECT_DOUBLE_EQ(scaled->mean(), 2e-3);
  EXPECT_DOUBLE_EQ(scaled->cv(), d->cv());
}

TEST(Distribution, EmpiricalErrorsNameTheLine) {
  test::TempFile file("bad_empirical.txt", "100us\n# fine\n30 parsecs\n");
  EXPECT_EQ(error_of([&] { read_duration_file(file.path()); }),
            file.path().string() +
                R"(:3:1: error: bad duration "30 parsecs": expected a number and a unit (ns, us, ms, s, min, h), )"
                R"(like "250us")");
  test::TempFile empty("empty_empirical.txt", "# nothing\n");
  EXPECT_EQ(error_of([&] { read_duration_file(empty.path()); }),
            empty.path().string() + ": error: no values in the file");
  EXPECT_EQ(error_of([] { from_toml("dist = \"empirical\"\nfile = \"no/such/file.txt\""); }),
            "dist.toml:2:8: error: file: cannot read 'no/such/file.txt': no such file");
}

TEST(Distribution, ConfigErrors) {
  EXPECT_EQ(error_of([] { from_toml("dist = \"exponential\"\nmean = \"1ms\"\ncv = 1"); }),
            "dist.toml:3:1: error: unknown key 'cv' at top level; valid keys: dist, mean");
  EXPECT_EQ(error_of([] { from_toml("dist = \"gamma\""); }),
            "dist.toml:1:8: error: dist: unknown distribution 'gamma'; valid: deterministic, exponential, lognormal, "
            "uniform, empirical");
  EXPECT_EQ(error_of([] { from_toml("dist = \"uniform\"\nmean = \"1ms\"\ncv = 0.9"); }),
            "dist.toml:3:6: error: cv: must be at most 0.5773502691896258, got 0.9");
  EXPECT_EQ(error_of([] { from_toml("dist = \"uniform\"\nmin = \"2ms\"\nmax = \"1ms\""); }),
            "dist.toml:3:7: error: max: must be >= min (2ms)");
  EXPECT_EQ(error_of([] { from_toml("dist = \"deterministic\"\nvalue = \"1ms\"\nmean = \"1ms\""); }),
            "dist.toml:3:8: error: mean: give either value or mean, not both");
  EXPECT_EQ(error_of([] { from_toml("dist = \"lognormal\"\nmean = \"1ms\"\ncv = -1"); }),
            "dist.toml:3:6: error: cv: must be a finite number >= 0, got -1");
  EXPECT_EQ(error_of([] { from_toml("dist = \"exponential\"\nmean = 0"); }), "dist.toml:2:8: error: mean: must be > 0");
}

} // namespace
} // namespace apq
