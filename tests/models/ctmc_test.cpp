// The CTMC solver against chains with closed-form stationary distributions: birth-death chains (the product formula
// pi_n = pi_0 prod lambda_{k-1} / mu_k, Gross & Harris 2.2), M/M/1/K's truncated geometric distribution, and a
// 2-D chain of two independent queues (the product of their marginals), which is also the ~20k-state size check.
#include "models/analytic/ctmc.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace apq::analytic {
namespace {

/** pi of a birth-death chain from the product formula, normalized. */
std::vector<double> birth_death_closed_form(const std::vector<double>& birth, const std::vector<double>& death) {
  std::vector<double> pi(birth.size() + 1, 1.0);
  for (std::size_t n = 1; n < pi.size(); ++n)
    pi[n] = pi[n - 1] * birth[n - 1] / death[n - 1];
  double sum = 0;
  for (double p : pi)
    sum += p;
  for (double& p : pi)
    p /= sum;
  return pi;
}

Ctmc birth_death_chain(const std::vector<double>& birth, const std::vector<double>& death) {
  Ctmc chain(static_cast<Eigen::Index>(birth.size() + 1));
  for (std::size_t n = 0; n < birth.size(); ++n) {
    chain.add_rate(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n + 1), birth[n]);
    chain.add_rate(static_cast<Eigen::Index>(n + 1), static_cast<Eigen::Index>(n), death[n]);
  }
  return chain;
}

TEST(Ctmc, Mm1kIsTruncatedGeometric) {
  // M/M/1/K: pi_n = (1 - rho) rho^n / (1 - rho^(K+1)).
  const int K = 10;
  const double lambda = 700, mu = 1000, rho = lambda / mu;
  const std::vector<double> birth(K, lambda), death(K, mu);
  const Eigen::VectorXd pi = birth_death_chain(birth, death).stationary();
  ASSERT_EQ(pi.size(), K + 1);
  for (int n = 0; n <= K; ++n)
    EXPECT_NEAR(pi[n], (1 - rho) * std::pow(rho, n) / (1 - std::pow(rho, K + 1)), 1e-14) << "n=" << n;
}

TEST(Ctmc, BirthDeathWithStateDependentRates) {
  // An M/M/3/12 with balking-like arrival rates: rates spanning four orders of magnitude.
  std::vector<double> birth, death;
  for (int n = 0; n < 12; ++n) {
    birth.push_back(5000.0 / (n + 1));
    death.push_back(std::min(n + 1, 3) * 900.0);
  }
  const std::vector<double> expected = birth_death_closed_form(birth, death);
  const Eigen::VectorXd sparse = birth_death_chain(birth, death).stationary();
  const Eigen::VectorXd dense = stationary_distribution(Eigen::MatrixXd(birth_death_chain(birth, death).generator()));
  for (std::size_t n = 0; n < expected.size(); ++n) {
    const auto i = static_cast<Eigen::Index>(n);
    EXPECT_NEAR(sparse[i], expected[n], 1e-14 + 1e-12 * expected[n]) << "n=" << n;
    EXPECT_NEAR(dense[i], expected[n], 1e-14 + 1e-12 * expected[n]) << "n=" << n;
  }
}

TEST(Ctmc, TinyProbabilitiesKeepTheirRelativeAccuracy) {
  // M/M/1/200 at rho 0.8: pi_200 is about 1e-20 of pi_0. A direct solve resolves it; we ask 1e-9 relative.
  const int K = 200;
  const double rho = 0.8;
  const Eigen::VectorXd pi = birth_death_chain(std::vector<double>(K, rho), std::vector<double>(K, 1.0)).stationary();
  for (int n : {0, 50, 100, 150, 200}) {
    const double expected = (1 - rho) * std::pow(rho, n) / (1 - std::pow(rho, K + 1));
    EXPECT_NEAR(pi[n], expected, 1e-9 * expected) << "n=" << n;
  }
}

TEST(Ctmc, GeneratorRowsSumToZeroAndRepeatedRatesAccumulate) {
  Ctmc chain(3);
  chain.add_rate(0, 1, 2.0);
  chain.add_rate(0, 1, 3.0);
  chain.add_rate(1, 2, 1.0);
  chain.add_rate(2, 0, 4.0);
  chain.add_rate(2, 2, 9.0); // a self-loop changes nothing
  chain.add_rate(1, 0, 0.0); // nor does a zero rate
  const Eigen::MatrixXd q(chain.generator());
  EXPECT_DOUBLE_EQ(q(0, 1), 5.0);
  EXPECT_DOUBLE_EQ(q(0, 0), -5.0);
  EXPECT_DOUBLE_EQ(q(2, 2), -4.0);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(q.row(i).sum(), 0.0, 1e-15);
  // A cycle: pi_i proportional to 1 / (exit rate of i).
  const Eigen::VectorXd pi = chain.stationary();
  const double norm = 1 / 5.0 + 1 / 1.0 + 1 / 4.0;
  EXPECT_NEAR(pi[0], (1 / 5.0) / norm, 1e-15);
  EXPECT_NEAR(pi[1], (1 / 1.0) / norm, 1e-15);
  EXPECT_NEAR(pi[2], (1 / 4.0) / norm, 1e-15);
}

TEST(Ctmc, TransientStatesGetZero) {
  // 0 -> 1 <-> 2: state 0 is left and never re-entered.
  Ctmc chain(3);
  chain.add_rate(0, 1, 1.0);
  chain.add_rate(1, 2, 2.0);
  chain.add_rate(2, 1, 1.0);
  const Eigen::VectorXd pi = chain.stationary();
  EXPECT_NEAR(pi[0], 0.0, 1e-15);
  EXPECT_NEAR(pi[1], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(pi[2], 2.0 / 3.0, 1e-15);
}

TEST(Ctmc, TwentyThousandStatesMatchTheProductForm) {
  // Two independent M/M/1/140 queues on one 141 x 141 grid (19881 states): the joint distribution is the product
  // of two truncated geometric marginals.
  const int K = 140;
  const double l1 = 0.6, l2 = 0.9, mu = 1.0;
  auto at = [](int i, int j) { return static_cast<Eigen::Index>(i * (K + 1) + j); };
  Ctmc chain((K + 1) * (K + 1));
  for (int i = 0; i <= K; ++i)
    for (int j = 0; j <= K; ++j) {
      if (i < K)
        chain.add_rate(at(i, j), at(i + 1, j), l1);
      if (i > 0)
        chain.add_rate(at(i, j), at(i - 1, j), mu);
      if (j < K)
        chain.add_rate(at(i, j), at(i, j + 1), l2);
      if (j > 0)
        chain.add_rate(at(i, j), at(i, j - 1), mu);
    }
  // How fast is bench/bench_ctmc's business (no test asserts wall time): here, only the answer counts.
  const Eigen::VectorXd pi = chain.stationary();
  auto marginal = [](double rho, int n) { return (1 - rho) * std::pow(rho, n) / (1 - std::pow(rho, K + 1)); };
  for (int i : {0, 1, 7, 40, 140})
    for (int j : {0, 3, 20, 100, 140}) {
      const double expected = marginal(l1, i) * marginal(l2, j);
      EXPECT_NEAR(pi[at(i, j)], expected, 1e-13 + 1e-8 * expected) << "(" << i << ", " << j << ")";
    }
}

TEST(Ctmc, RejectsBadInputAndSeveralClosedClasses) {
  EXPECT_THROW(Ctmc(0), std::domain_error);
  Ctmc chain(2);
  EXPECT_THROW(chain.add_rate(0, 2, 1.0), std::domain_error);
  EXPECT_THROW(chain.add_rate(0, 1, -1.0), std::domain_error);
  EXPECT_THROW(chain.add_rate(0, 1, std::nan("")), std::domain_error);
  // Two separate two-state cycles: the balance equations have rank n - 2.
  Ctmc split(4);
  split.add_rate(0, 1, 1.0);
  split.add_rate(1, 0, 1.0);
  split.add_rate(2, 3, 1.0);
  split.add_rate(3, 2, 1.0);
  EXPECT_THROW(split.stationary(), std::runtime_error);
  EXPECT_THROW(stationary_distribution(Eigen::MatrixXd(split.generator())), std::runtime_error);
  // Not a generator: a row that does not sum to 0.
  Eigen::MatrixXd bad(2, 2);
  bad << -1, 2, 1, -1;
  EXPECT_THROW(stationary_distribution(bad), std::domain_error);
  EXPECT_THROW(stationary_distribution(Eigen::MatrixXd(2, 3)), std::domain_error);
}

} // namespace
} // namespace apq::analytic
