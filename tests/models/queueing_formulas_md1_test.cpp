// M/G/1 and M/D/1 formulas: Pollaczek-Khinchine against M/M/1, the M/D/1 waiting-time CDF against Erlang's
// alternating sum (where long double can still evaluate it), against a Lindley-recursion simulation, and for
// consistency (continuous, monotone, in [0, 1], integrates to the PK mean, inverted by the quantile).
#include "models/analytic/queueing_formulas.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace apq::analytic {
namespace {

// Erlang's formula as printed: (1-rho) sum_{k=0}^{floor(t/d)} [lambda(kd - t)]^k / k! e^{-lambda(kd - t)}.
long double md1_wait_cdf_erlang(double lambda, double d, double t) {
  const long double rho = static_cast<long double>(lambda) * d;
  long double sum = 0;
  for (int k = 0; k <= static_cast<int>(std::floor(t / d)); ++k) {
    const long double x = static_cast<long double>(lambda) * (k * static_cast<long double>(d) - t);
    sum += std::pow(x, k) / std::tgamma(static_cast<long double>(k + 1)) * std::exp(-x);
  }
  return (1 - rho) * sum;
}

TEST(Mg1Queue, PollaczekKhinchine) {
  // Exponential service: E[S^2] = 2/mu^2 gives back M/M/1.
  EXPECT_NEAR(mg1_mean_wait(0.7, 1.0, 2.0), mmc_mean_wait(1, 0.7, 1.0), 1e-15);
  // Deterministic service halves the M/M/1 wait.
  EXPECT_NEAR(mg1_mean_wait(0.7, 1.0, 1.0), 0.5 * mmc_mean_wait(1, 0.7, 1.0), 1e-15);
  EXPECT_NEAR(md1_mean_response(500.0, 1e-3), 1e-3 + 0.5 * 1e-3 / (2 * 0.5), 1e-18); // rho = 0.5
  EXPECT_THROW(mg1_mean_wait(1.0, 1.0, 2.0), std::domain_error);
  EXPECT_THROW(mg1_mean_wait(0.5, 1.0, 0.5), std::domain_error); // E[S^2] < E[S]^2
  EXPECT_THROW(md1_mean_response(2.0, 0.5), std::domain_error);
}

TEST(Md1Queue, AtomAtZeroAndFirstPeriodClosedForm) {
  const double lambda = 0.8, d = 1.0;
  EXPECT_NEAR(md1_wait_cdf(lambda, d, 0.0), 0.2, 1e-15);
  EXPECT_EQ(md1_wait_cdf(lambda, d, -1.0), 0.0);
  for (double t : {0.1, 0.5, 0.999}) // (1 - rho) e^{lambda t} on [0, d)
    EXPECT_NEAR(md1_wait_cdf(lambda, d, t), 0.2 * std::exp(lambda * t), 1e-15) << "t=" << t;
  EXPECT_EQ(md1_wait_cdf(0.0, d, 0.0), 1.0);
}

TEST(Md1Queue, MatchesErlangFormulaWhereItIsStillAccurate) {
  // The alternating sum keeps about 1e-13 in long double up to t ~ 10 d at these loads.
  for (double rho : {0.2, 0.5, 0.8, 0.95})
    for (double t = 0.0; t <= 10.0; t += 0.0625 + 0.001) {
      const double d = 2e-3, lambda = rho / d;
      const double reference = static_cast<double>(md1_wait_cdf_erlang(lambda, d, t * d));
      EXPECT_NEAR(md1_wait_cdf(lambda, d, t * d), reference, 1e-12) << "rho=" << rho << " t/d=" << t;
    }
}

TEST(Md1Queue, ContinuousMonotoneAndInRangeUpToThe9999Quantile) {
  for (double rho : {0.3, 0.8, 0.95, 0.99}) {
    const double d = 1.0, lambda = rho;
    const double end = md1_response_quantile(lambda, d, 0.9999) - d;
    ASSERT_TRUE(std::isfinite(end));
    double previous = 0.0;
    for (double t = 0.0; t <= end; t += d / 64) {
      const double cdf = md1_wait_cdf(lambda, d, t);
      EXPECT_GE(cdf, previous) << "rho=" << rho << " t=" << t;
      EXPECT_LE(cdf, 1.0);
      previous = cdf;
    }
    EXPECT_NEAR(previous, 0.9999, 2e-4);
    // No jump at the multiples of d, where the sum gains a term.
    for (int k = 1; k < static_cast<int>(end); k += 7)
      EXPECT_NEAR(md1_wait_cdf(lambda, d, k * d - 1e-9), md1_wait_cdf(lambda, d, k * d), 1e-8)
          << "rho=" << rho << " k=" << k;
  }
}

TEST(Md1Queue, MeanOfTheCdfEqualsPollaczekKhinchine) {
  // E[W] = integral of (1 - F); Simpson on each period [kd, (k+1)d], where F is smooth.
  for (double rho : {0.5, 0.8}) {
    const double d = 1.0, lambda = rho;
    const int per_period = 32;
    double integral = 0.0;
    for (int k = 0; k < 400; ++k) {
      double piece = 0.0;
      for (int i = 0; i <= per_period; ++i) {
        const double weight = (i == 0 || i == per_period) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        // Stay just inside the period so each piece sees one smooth branch.
        const double t = k * d + std::min(static_cast<double>(i) / per_period, 1.0 - 1e-13) * d;
        piece += weight * (1.0 - md1_wait_cdf(lambda, d, t));
      }
      integral += piece * d / per_period / 3.0;
      if (piece < 1e-18)
        break;
    }
    const double pk = mg1_mean_wait(lambda, d, d * d);
    EXPECT_NEAR(integral, pk, 1e-9 * pk) << "rho=" << rho;
  }
}

TEST(Md1Queue, AgreesWithLindleySimulation) {
  // W_{n+1} = max(0, W_n + d - A_{n+1}); 2e6 customers at rho = 0.8, fixed seed.
  const double d = 1.0, lambda = 0.8;
  std::mt19937_64 rng(2718);
  std::exponential_distribution<double> interarrival(lambda);
  const std::vector<double> probes{0.0, 0.5, 1.0, 2.5, 5.0, 10.0};
  std::vector<long> below(probes.size(), 0);
  double wait = 0.0;
  const long runs = 2'000'000;
  for (long n = 0; n < runs; ++n) {
    for (std::size_t i = 0; i < probes.size(); ++i)
      below[i] += wait <= probes[i];
    wait = std::max(0.0, wait + d - interarrival(rng));
  }
  for (std::size_t i = 0; i < probes.size(); ++i)
    EXPECT_NEAR(static_cast<double>(below[i]) / runs, md1_wait_cdf(lambda, d, probes[i]), 0.01) << "t=" << probes[i];
}

TEST(Md1Queue, ResponseQuantileInvertsTheCdf) {
  const double d = 250e-6; // a 250 us card operation
  for (double rho : {0.2, 0.6, 0.95})
    for (double q : {0.1, 0.5, 0.9, 0.99, 0.9999}) {
      const double lambda = rho / d;
      const double response = md1_response_quantile(lambda, d, q);
      if (q <= 1 - rho) {
        EXPECT_EQ(response, d) << "rho=" << rho << " q=" << q; // no wait at all
        continue;
      }
      EXPECT_NEAR(md1_wait_cdf(lambda, d, response - d), q, 1e-11) << "rho=" << rho << " q=" << q;
      EXPECT_LT(md1_wait_cdf(lambda, d, (response - d) * (1 - 1e-9)), q);
    }
  EXPECT_EQ(md1_response_quantile(0.5, 1.0, 1.0), std::numeric_limits<double>::infinity());
  EXPECT_THROW(md1_response_quantile(1.0, 1.0, 0.5), std::domain_error);
  EXPECT_THROW(md1_wait_cdf(0.5, 0.0, 1.0), std::domain_error);
}

} // namespace
} // namespace apq::analytic
