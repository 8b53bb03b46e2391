// Erlang C and M/M/c response times against hand-derivable values, the M/M/1 limit, and self-consistency
// (the quantile inverts the ccdf; the ccdf integrates to the mean).
#include "models/analytic/queueing_formulas.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace apq::analytic {
namespace {

// Erlang C straight from its definition, in log space and long double, as an independent reference.
double erlang_c_by_definition(int c, double a) {
  long double log_term = 0; // log(a^k / k!)
  long double sum = 0;      // sum_{k<c} a^k/k!, scaled by exp(-shift) to stay finite
  const long double shift = c * std::log(static_cast<long double>(a)) - std::lgamma(static_cast<long double>(c) + 1);
  for (int k = 0; k < c; ++k) {
    sum += std::exp(log_term - shift);
    log_term += std::log(static_cast<long double>(a)) - std::log(static_cast<long double>(k + 1));
  }
  const long double last = static_cast<long double>(c) / (c - a); // (a^c/c!) c/(c-a), scaled by exp(-shift)
  return static_cast<double>(last / (sum + last));
}

TEST(ErlangC, KnownValues) {
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3.0, 1e-15);
  // c = 4, a = 3.6: sum_{k<4} a^k/k! = 1 + 3.6 + 6.48 + 7.776 = 18.856; a^4/4! * 4/(4-3.6) = 6.9984 * 10.
  EXPECT_NEAR(erlang_c(4, 3.6), 69.984 / (18.856 + 69.984), 1e-14);
  EXPECT_NEAR(erlang_c(1, 0.7), 0.7, 1e-15); // M/M/1: P(wait) = rho
  EXPECT_EQ(erlang_c(3, 0.0), 0.0);
}

TEST(ErlangC, StableForThousandServers) {
  for (double a : {500.0, 900.0, 950.0, 999.0}) {
    const double c_value = erlang_c(1000, a);
    EXPECT_GT(c_value, 0.0);
    EXPECT_LT(c_value, 1.0);
    EXPECT_NEAR(c_value, erlang_c_by_definition(1000, a), 1e-11) << "a=" << a;
  }
  EXPECT_NEAR(erlang_c(10, 7.5), erlang_c_by_definition(10, 7.5), 1e-14);
}

TEST(ErlangC, RejectsUnstableOrInvalidLoad) {
  EXPECT_THROW(erlang_c(2, 2.0), std::domain_error);
  EXPECT_THROW(erlang_c(2, -0.1), std::domain_error);
  EXPECT_THROW(erlang_c(0, 0.5), std::domain_error);
  EXPECT_THROW(erlang_c(2, std::numeric_limits<double>::quiet_NaN()), std::domain_error);
}

TEST(MmcQueue, SingleServerReducesToMm1) {
  const double lambda = 700.0, mu = 1000.0; // 1 ms service at 70% load
  EXPECT_NEAR(mmc_mean_wait(1, lambda, mu), (lambda / mu) / (mu - lambda), 1e-16);
  EXPECT_NEAR(mmc_mean_response(1, lambda, mu), 1.0 / (mu - lambda), 1e-16);
  for (double t : {0.0, 1e-4, 1e-3, 5e-3, 2e-2, 0.1}) {
    const double expected = std::exp(-(mu - lambda) * t);
    EXPECT_NEAR(mmc_response_ccdf(1, lambda, mu, t), expected, 1e-14 * expected + 1e-300) << "t=" << t;
  }
  for (double q : {0.5, 0.9, 0.99, 0.999999}) {
    const double expected = -std::log(1 - q) / (mu - lambda);
    EXPECT_NEAR(mmc_response_quantile(1, lambda, mu, q), expected, 1e-12 * expected) << "q=" << q;
  }
}

TEST(MmcQueue, ThetaEqualToMuIsAnErlangTwoMixture) {
  // c = 2, mu = 1, lambda = 1: theta = c mu - lambda = mu, C = 1/3, P(T > t) = e^{-t} + (1/3) t e^{-t}.
  for (double t : {0.1, 1.0, 3.0, 20.0}) {
    const double expected = std::exp(-t) * (1 + t / 3);
    EXPECT_NEAR(mmc_response_ccdf(2, 1.0, 1.0, t), expected, 1e-15 * expected) << "t=" << t;
    // Approaching the special case from both sides is continuous (no 0/0 blow-up); the ccdf itself moves by
    // about t * 1e-9 relative.
    EXPECT_NEAR(mmc_response_ccdf(2, 1.0 + 1e-9, 1.0, t), expected, 1e-7 * expected);
    EXPECT_NEAR(mmc_response_ccdf(2, 1.0 - 1e-9, 1.0, t), expected, 1e-7 * expected);
  }
}

TEST(MmcQueue, CcdfIntegratesToMeanResponse) {
  // E[T] = integral of P(T > t); composite Simpson far into the tail.
  struct Case {
    int c;
    double lambda, mu;
  };
  for (const Case& k : {Case{4, 3.6, 1.0}, Case{2, 1.0, 1.0}, Case{16, 10.0, 1.0}, Case{8, 7.9, 1.0}}) {
    const double end = 60.0 / (k.c * k.mu - k.lambda) + 60.0 / k.mu;
    const int steps = 200'000;
    const double h = end / steps;
    double integral = 0.0;
    for (int i = 0; i <= steps; ++i) {
      const double weight = (i == 0 || i == steps) ? 1.0 : (i % 2 ? 4.0 : 2.0);
      integral += weight * mmc_response_ccdf(k.c, k.lambda, k.mu, i * h);
    }
    integral *= h / 3.0;
    const double mean = mmc_mean_response(k.c, k.lambda, k.mu);
    EXPECT_NEAR(integral, mean, 1e-9 * mean) << "c=" << k.c << " lambda=" << k.lambda;
  }
}

TEST(MmcQueue, QuantileInvertsCcdf) {
  for (int c : {1, 3, 16, 1000})
    for (double load : {0.3, 0.9, 0.99})
      for (double q : {0.1, 0.5, 0.9, 0.99, 0.9999}) {
        const double mu = 2000.0, lambda = load * c * mu;
        const double t = mmc_response_quantile(c, lambda, mu, q);
        EXPECT_NEAR(mmc_response_ccdf(c, lambda, mu, t), 1 - q, 1e-11 * (1 - q))
            << "c=" << c << " load=" << load << " q=" << q;
      }
  EXPECT_EQ(mmc_response_quantile(3, 1.0, 1.0, 0.0), 0.0);
  EXPECT_EQ(mmc_response_quantile(3, 1.0, 1.0, 1.0), std::numeric_limits<double>::infinity());
}

TEST(MmcQueue, RejectsUnstableQueues) {
  EXPECT_THROW(mmc_mean_wait(2, 2.0, 1.0), std::domain_error);
  EXPECT_THROW(mmc_mean_response(1, 1.0, 0.0), std::domain_error);
  EXPECT_THROW(mmc_response_ccdf(0, 0.5, 1.0, 1.0), std::domain_error);
  EXPECT_THROW(mmc_response_quantile(1, 0.5, 1.0, 1.5), std::domain_error);
}

} // namespace
} // namespace apq::analytic
