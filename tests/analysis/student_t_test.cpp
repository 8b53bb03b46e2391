// Student t quantiles against printed tables and closed forms, and confidence intervals against hand values
// and their coverage on normal samples.
#include "analysis/student_t.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

namespace apq {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(StudentT, QuantilesMatchPrintedTables) {
  // Six-decimal table values; the tolerance is their rounding.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706205, 5e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 5), 2.570582, 5e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.042272, 5e-7);
  EXPECT_NEAR(student_t_quantile(0.995, 10), 3.169273, 5e-7);
  EXPECT_NEAR(student_t_quantile(0.95, 4), 2.131847, 5e-7);
  EXPECT_NEAR(student_t_quantile(0.9995, 3), 12.923979, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.975, 1e6), 1.959964, 5e-6);
}

TEST(StudentT, InfiniteAndHugeDofGiveTheNormalQuantile) {
  constexpr double z975 = 1.959963984540054; // Phi^{-1}(0.975)
  EXPECT_NEAR(student_t_quantile(0.975, kInf), z975, 1e-13);
  EXPECT_NEAR(student_t_quantile(0.975, 1e12), z975, 1e-11);
  EXPECT_NEAR(student_t_quantile(0.995, kInf), 2.5758293035489004, 1e-13);
}

// Abramowitz & Stegun 26.7.5, written out independently of the implementation.
double cornish_fisher(double z, double v) {
  const double g1 = (std::pow(z, 3) + z) / 4;
  const double g2 = (5 * std::pow(z, 5) + 16 * std::pow(z, 3) + 3 * z) / 96;
  const double g3 = (3 * std::pow(z, 7) + 19 * std::pow(z, 5) + 17 * std::pow(z, 3) - 15 * z) / 384;
  const double g4 =
      (79 * std::pow(z, 9) + 776 * std::pow(z, 7) + 1482 * std::pow(z, 5) - 1920 * std::pow(z, 3) - 945 * z) / 92160;
  return z + g1 / v + g2 / (v * v) + g3 / std::pow(v, 3) + g4 / std::pow(v, 4);
}

TEST(StudentT, IncompleteBetaPathMeetsTheLargeDofExpansion) {
  // Below 1e5 dof the quantile comes from the incomplete beta, above from the expansion: both must agree with
  // the expansion where its truncation error (g5 / v^5) is negligible, so there is no seam at the switch.
  constexpr double z975 = 1.959963984540054, z9999 = 3.7190164854557084;
  for (double v : {2e3, 3e4, 99'999.0, 100'001.0, 1e6}) {
    EXPECT_NEAR(student_t_quantile(0.975, v), cornish_fisher(z975, v), 2e-10) << "v=" << v;
    EXPECT_NEAR(student_t_quantile(0.9999, v), cornish_fisher(z9999, v), 1e-9) << "v=" << v;
  }
}

TEST(StudentT, ClosedFormsForOneTwoAndFourDof) {
  for (double p : {0.6, 0.75, 0.9, 0.975, 0.999, 0.999999}) {
    const double cauchy = std::tan(std::numbers::pi * (p - 0.5));
    EXPECT_NEAR(student_t_quantile(p, 1), cauchy, 1e-10 * cauchy) << "p=" << p;
    const double two = (2 * p - 1) / std::sqrt(2 * p * (1 - p));
    EXPECT_NEAR(student_t_quantile(p, 2), two, 1e-10 * two) << "p=" << p;
    // dof = 4 (Hill 1970): with a = 4p(1-p), t = 2 sqrt(cos(acos(sqrt a)/3)/sqrt a - 1).
    const double a = 4 * p * (1 - p);
    const double four = 2 * std::sqrt(std::cos(std::acos(std::sqrt(a)) / 3) / std::sqrt(a) - 1);
    EXPECT_NEAR(student_t_quantile(p, 4), four, 1e-8 * four) << "p=" << p;
  }
}

TEST(StudentT, SymmetryAndLimits) {
  EXPECT_EQ(student_t_quantile(0.5, 3), 0.0);
  EXPECT_DOUBLE_EQ(student_t_quantile(0.025, 7), -student_t_quantile(0.975, 7));
  EXPECT_EQ(student_t_quantile(0.0, 3), -kInf);
  EXPECT_EQ(student_t_quantile(1.0, 3), kInf);
  EXPECT_THROW(student_t_quantile(1.5, 3), std::domain_error);
  EXPECT_THROW(student_t_quantile(0.9, 0), std::domain_error);
  EXPECT_THROW(student_t_quantile(std::numeric_limits<double>::quiet_NaN(), 3), std::domain_error);
}

TEST(StudentT, CdfInvertsQuantileForFractionalDof) {
  for (double dof : {0.5, 1.0, 2.5, 7.0, 29.3, 1000.0, 1e6})
    for (double p : {0.01, 0.3, 0.6, 0.9, 0.975, 0.9999}) {
      const double t = student_t_quantile(p, dof);
      // The cdf loses about 1e-16 dof ln(dof) relative through lgamma (7e-10 at 1e6 dof).
      const double tolerance = dof > 1e5 ? 1e-9 : 1e-12;
      EXPECT_NEAR(student_t_cdf(t, dof), p, tolerance) << "dof=" << dof << " p=" << p;
    }
}

TEST(StudentT, IncompleteBetaSpecialCases) {
  for (double x : {0.0, 0.1, 0.37, 0.5, 0.9, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-15);
    EXPECT_NEAR(regularized_incomplete_beta(3.5, 1, x), std::pow(x, 3.5), 1e-14);
    EXPECT_NEAR(regularized_incomplete_beta(1, 2.5, x), 1 - std::pow(1 - x, 2.5), 1e-14);
  }
  EXPECT_NEAR(regularized_incomplete_beta(40, 40, 0.5), 0.5, 1e-13);  // lgamma(80) ~ 316 costs digits
  EXPECT_NEAR(regularized_incomplete_beta(2, 3, 0.4), 0.5248, 1e-14); // 1 - sum_{j<2} C(4,j) .4^j .6^(4-j)
  EXPECT_THROW(regularized_incomplete_beta(0, 1, 0.5), std::domain_error);
  EXPECT_THROW(regularized_incomplete_beta(1, 1, 1.5), std::domain_error);
}

TEST(StudentTConfidence, FiveSamplesByHand) {
  // mean 3, s^2 = 2.5, t_{0.975,4} = 2.7764451051977987: half width = t * sqrt(2.5 / 5).
  const ConfidenceInterval ci = mean_confidence_interval({1, 2, 3, 4, 5});
  EXPECT_EQ(ci.n, 5);
  EXPECT_DOUBLE_EQ(ci.mean, 3.0);
  EXPECT_NEAR(ci.half_width, 2.7764451051977987 * std::sqrt(0.5), 1e-12);
  EXPECT_DOUBLE_EQ(ci.lower, ci.mean - ci.half_width);
  EXPECT_DOUBLE_EQ(ci.upper, ci.mean + ci.half_width);
  EXPECT_GT(mean_confidence_interval({1, 2, 3, 4, 5}, 0.99).half_width, ci.half_width);
}

TEST(StudentTConfidence, FewerThanTwoSamplesHaveInfiniteWidth) {
  const ConfidenceInterval one = mean_confidence_interval({4.2});
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.mean, 4.2);
  EXPECT_EQ(one.half_width, kInf);
  EXPECT_EQ(one.lower, -kInf);
  EXPECT_EQ(one.upper, kInf);
  const ConfidenceInterval none = mean_confidence_interval({});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_EQ(none.half_width, kInf);
  EXPECT_THROW(mean_confidence_interval({1, 2}, 1.0), std::domain_error);
}

TEST(StudentTConfidence, CoverageOfNormalSamplesIsNominal) {
  // 4000 intervals of 5 samples each: a normal approximation would cover about 88%, Student t 95%.
  std::mt19937_64 rng(1234);
  std::normal_distribution<double> value(10.0, 2.0);
  int covered = 0;
  const int trials = 4000;
  for (int i = 0; i < trials; ++i) {
    std::vector<double> samples(5);
    for (double& x : samples)
      x = value(rng);
    const ConfidenceInterval ci = mean_confidence_interval(samples);
    covered += ci.lower <= 10.0 && 10.0 <= ci.upper;
  }
  EXPECT_NEAR(static_cast<double>(covered) / trials, 0.95, 0.012); // 3.5 binomial standard errors
}

} // namespace
} // namespace apq
