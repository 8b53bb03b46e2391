// The CTMC queueing models against closed forms (M/M/1/K, M/M/c/K, Erlang C), a hand-computed M/M/2/5, the limits
// Allen-Cunneen must reproduce, and the limits in which the depth-limited card is an exactly known queue.
#include "models/analytic/queueing_models.hpp"

#include "models/analytic/queueing_formulas.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq::analytic {
namespace {

/** Checks the identities every solution must satisfy: Little's law and flow balance (busy servers * mu = admitted
 *  rate). */
void expect_consistent(const QueueFigures& f, int servers, double mu, const std::string& what) {
  EXPECT_NEAR(f.mean_in_system, f.throughput * f.mean_response, 1e-12 * (1 + f.mean_in_system)) << what;
  EXPECT_NEAR(f.mean_waiting, f.throughput * f.mean_wait, 1e-12 * (1 + f.mean_waiting)) << what;
  EXPECT_NEAR(f.utilization * servers * mu, f.throughput, 1e-9 * f.throughput) << what;
  EXPECT_NEAR(f.mean_response - f.mean_wait, 1 / mu, 1e-9 / mu) << what; // the mean service time
}

// --- M/M/c/K ----------------------------------------------------------------------------------------------------

TEST(Mmck, Mm1kMatchesClosedForm) {
  // Gross & Harris 2.5: P_n = (1 - rho) rho^n / (1 - rho^(K+1)),
  // L = rho / (1 - rho) - (K + 1) rho^(K+1) / (1 - rho^(K+1)).
  for (double rho : {0.3, 0.8, 1.5}) {
    const int K = 7;
    const double mu = 1000, lambda = rho * mu;
    const QueueFigures f = mmck(1, K, lambda, mu);
    const double pk = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
    const double L = rho / (1 - rho) - (K + 1) * std::pow(rho, K + 1) / (1 - std::pow(rho, K + 1));
    EXPECT_NEAR(f.blocking, pk, 1e-14) << rho;
    EXPECT_NEAR(f.mean_in_system, L, 1e-12) << rho;
    EXPECT_NEAR(f.throughput, lambda * (1 - pk), 1e-9) << rho;
    EXPECT_NEAR(f.mean_response, L / (lambda * (1 - pk)), 1e-15) << rho;
    expect_consistent(f, 1, mu, "M/M/1/7 rho " + std::to_string(rho));
  }
  // rho = 1: uniform over 0..K.
  const QueueFigures f = mmck(1, 4, 50, 50);
  EXPECT_NEAR(f.blocking, 0.2, 1e-14);
  EXPECT_NEAR(f.mean_in_system, 2.0, 1e-13);
}

TEST(Mmck, Mm25HandComputed) {
  // lambda = 3, mu = 2: a = 1.5, rho = 0.75. P_n is proportional to a^n/n! for n <= 2, then times rho per step:
  // 1, 1.5, 1.125, 0.84375, 0.6328125, 0.474609375, i.e. (times 512) 512, 768, 576, 432, 324, 243; sum 2855.
  const QueueFigures f = mmck(2, 5, 3.0, 2.0);
  EXPECT_NEAR(f.blocking, 243.0 / 2855, 1e-15);
  EXPECT_NEAR(f.mean_in_system, (768 + 2 * 576 + 3 * 432 + 4 * 324 + 5 * 243) / 2855.0, 1e-14); // 5727/2855
  EXPECT_NEAR(f.mean_waiting, (432 + 2 * 324 + 3 * 243) / 2855.0, 1e-14);                       // 1809/2855
  EXPECT_NEAR(f.throughput, 3.0 * 2612 / 2855, 1e-14);
  EXPECT_NEAR(f.utilization, (768 + 2 * (576 + 432 + 324 + 243)) / 2855.0 / 2, 1e-14); // 1959/2855
  EXPECT_NEAR(f.mean_response, 5727.0 / 7836, 1e-14);
  EXPECT_NEAR(f.mean_wait, 1809.0 / 7836, 1e-14);
}

TEST(Mmck, MatchesGrossHarrisClosedForm) {
  // Gross & Harris 2.5: p_n = a^n / n! p_0 (n < c), a^n / (c^(n-c) c!) p_0 (c <= n <= K).
  const int c = 4, K = 12;
  const double lambda = 5, mu = 1.3, a = lambda / mu;
  std::vector<double> p(K + 1);
  double sum = 0;
  for (int n = 0; n <= K; ++n) {
    p[n] = n < c ? std::pow(a, n) / std::tgamma(n + 1) : std::pow(a, n) / (std::pow(c, n - c) * std::tgamma(c + 1));
    sum += p[n];
  }
  double L = 0, Lq = 0;
  for (int n = 0; n <= K; ++n) {
    p[n] /= sum;
    L += n * p[n];
    Lq += std::max(0, n - c) * p[n];
  }
  const QueueFigures f = mmck(c, K, lambda, mu);
  EXPECT_NEAR(f.blocking, p[K], 1e-14);
  EXPECT_NEAR(f.mean_in_system, L, 1e-12);
  EXPECT_NEAR(f.mean_waiting, Lq, 1e-12);
  EXPECT_NEAR(f.mean_wait, Lq / (lambda * (1 - p[K])), 1e-12);
  expect_consistent(f, c, mu, "M/M/4/12");
}

TEST(Mmck, NoTrafficGivesTheLoneRequestLimit) {
  const QueueFigures f = mmck(2, 3, 0.0, 4.0);
  EXPECT_EQ(f.throughput, 0.0);
  EXPECT_EQ(f.mean_in_system, 0.0);
  EXPECT_EQ(f.mean_response, 0.25);
  EXPECT_EQ(f.mean_wait, 0.0);
}

TEST(Mmck, RejectsBadParameters) {
  EXPECT_THROW(mmck(0, 5, 1, 1), std::domain_error);
  EXPECT_THROW(mmck(1, 0, 1, 1), std::domain_error);
  EXPECT_THROW(mmck(1, 5, -1, 1), std::domain_error);
  EXPECT_THROW(mmck(1, 5, 1, 0), std::domain_error);
}

// --- M/M/c by truncation ------------------------------------------------------------------------------------------

TEST(MmcCtmc, AgreesWithErlangCTo1e9) {
  struct Case {
    int c;
    double rho;
  };
  for (const Case& k : std::vector<Case>{{1, 0.5}, {4, 0.8}, {4, 0.9}, {16, 0.95}, {2, 0.99}, {64, 0.7}}) {
    const double mu = 1000, lambda = k.rho * k.c * mu;
    const QueueFigures f = mmc_ctmc(k.c, lambda, mu);
    const std::string what = "c=" + std::to_string(k.c) + " rho=" + std::to_string(k.rho);
    EXPECT_NEAR(f.mean_response, mmc_mean_response(k.c, lambda, mu), 1e-9 * mmc_mean_response(k.c, lambda, mu)) << what;
    EXPECT_NEAR(f.mean_wait, mmc_mean_wait(k.c, lambda, mu), 1e-9 * mmc_mean_response(k.c, lambda, mu)) << what;
    EXPECT_LT(f.blocking, 1e-12) << what;
    EXPECT_NEAR(f.utilization, k.rho, 1e-9) << what;
    expect_consistent(f, k.c, mu, what);
  }
}

TEST(MmcCtmc, RejectsUnstableLoad) {
  EXPECT_THROW(mmc_ctmc(2, 2000, 1000), std::domain_error);
  EXPECT_THROW(mmc_ctmc(0, 1, 1000), std::domain_error);
}

// --- Allen-Cunneen ------------------------------------------------------------------------------------------------

TEST(AllenCunneen, ExponentialServiceIsErlangC) {
  for (int c : {1, 2, 4, 10}) {
    const double mean_s = 1e-3, lambda = 0.85 * c / mean_s;
    const QueueFigures f = mgc_allen_cunneen(c, lambda, mean_s, 1.0);
    EXPECT_NEAR(f.mean_response, mmc_mean_response(c, lambda, 1 / mean_s), 1e-15) << c;
    EXPECT_NEAR(f.utilization, 0.85, 1e-15) << c;
    EXPECT_EQ(f.blocking, 0.0);
    expect_consistent(f, c, 1 / mean_s, "M/M/" + std::to_string(c));
  }
}

TEST(AllenCunneen, SingleServerIsPollaczekKhinchine) {
  const double mean_s = 2e-3, lambda = 400; // rho 0.8
  for (double cv : {0.0, 0.3, 1.0, 2.5}) {
    const QueueFigures f = mgc_allen_cunneen(1, lambda, mean_s, cv);
    const double second_moment = mean_s * mean_s * (1 + cv * cv);
    EXPECT_NEAR(f.mean_wait, mg1_mean_wait(lambda, mean_s, second_moment), 1e-15) << cv;
  }
  // M/D/1: md1.toml's 5.5 ms at rho 0.9.
  EXPECT_NEAR(mgc_allen_cunneen(1, 900, 1e-3, 0.0).mean_response, md1_mean_response(900, 1e-3), 1e-15);
  EXPECT_NEAR(mgc_allen_cunneen(1, 900, 1e-3, 0.0).mean_response, 5.5e-3, 1e-15);
}

TEST(AllenCunneen, DeterministicServiceIsHalfTheMmcWait) {
  // The classical M/D/c approximation Wq(M/D/c) ~= Wq(M/M/c) / 2, and Cosmetatos's refinement of it (factor
  // 1 + (1-rho)(c-1)(sqrt(4+5c)-2)/(16 rho c)) stays within 2% at c = 4, rho = 0.9.
  const int c = 4;
  const double mean_s = 1e-3, rho = 0.9, lambda = rho * c / mean_s;
  const QueueFigures f = mgc_allen_cunneen(c, lambda, mean_s, 0.0);
  EXPECT_NEAR(f.mean_wait, mmc_mean_wait(c, lambda, 1 / mean_s) / 2, 1e-18);
  const double cosmetatos = f.mean_wait * (1 + (1 - rho) * (c - 1) * (std::sqrt(4.0 + 5 * c) - 2) / (16 * rho * c));
  EXPECT_NEAR(f.mean_wait, cosmetatos, 0.02 * cosmetatos);
  // Periodic arrivals and constant service (D/D/c below capacity) never wait.
  EXPECT_EQ(mgc_allen_cunneen(c, lambda, mean_s, 0.0, 0.0).mean_wait, 0.0);
}

TEST(AllenCunneen, RejectsUnstableOrInvalid) {
  EXPECT_THROW(mgc_allen_cunneen(2, 2000, 1e-3, 1.0), std::domain_error);
  EXPECT_THROW(mgc_allen_cunneen(2, 100, 0.0, 1.0), std::domain_error);
  EXPECT_THROW(mgc_allen_cunneen(2, 100, 1e-3, -1.0), std::domain_error);
  EXPECT_THROW(mgc_allen_cunneen(0, 100, 1e-3, 1.0), std::domain_error);
}

// --- the card with a queue depth ------------------------------------------------------------------------------------

TEST(CardWithQueueDepth, DepthAtLeastEnginesIsMmc) {
  // With depth >= engines every engine is busy whenever at least `engines` requests are present: the card's total
  // is M/M/c at the summed rate, whatever the split over queues.
  struct Case {
    int engines, queues, depth;
    double rho;
  };
  for (const Case& k : std::vector<Case>{{2, 2, 2, 0.7}, {3, 2, 5, 0.8}, {2, 3, 2, 0.5}, {1, 2, 1, 0.9}}) {
    const double mu = 1000, lambda_q = k.rho * k.engines * mu / k.queues;
    const QueueFigures f = card_with_queue_depth(k.engines, k.queues, k.depth, lambda_q, mu);
    const double expected = mmc_mean_response(k.engines, k.queues * lambda_q, mu);
    const std::string what = std::to_string(k.engines) + " engines, " + std::to_string(k.queues) + " queues, depth " +
                             std::to_string(k.depth);
    EXPECT_NEAR(f.mean_response, expected, 1e-9 * expected) << what;
    EXPECT_NEAR(f.utilization, k.rho, 1e-9) << what;
    EXPECT_LT(f.blocking, 1e-12) << what;
    expect_consistent(f, k.engines, mu, what);
  }
}

TEST(CardWithQueueDepth, UncontendedEnginesMakeIndependentMmdQueues) {
  // queues * depth <= engines: each queue has `depth` engines to itself, an M/M/depth.
  const double mu = 1000, lambda_q = 1500; // per queue: 0.75 of its 2 engines
  const QueueFigures f = card_with_queue_depth(4, 2, 2, lambda_q, mu);
  EXPECT_NEAR(f.mean_response, mmc_mean_response(2, lambda_q, mu), 1e-9 * mmc_mean_response(2, lambda_q, mu));
  EXPECT_NEAR(f.utilization, 2 * lambda_q / (4 * mu), 1e-9);
  // One queue of depth 2 on 5 engines: an M/M/2.
  const QueueFigures one = card_with_queue_depth(5, 1, 2, lambda_q, mu);
  EXPECT_NEAR(one.mean_response, mmc_mean_response(2, lambda_q, mu), 1e-9 * mmc_mean_response(2, lambda_q, mu));
}

TEST(CardWithQueueDepth, DepthCapsTheEnginesInUse) {
  // 2 queues of depth 2 on 8 engines: at most 4 engines ever busy. At 0.8 of the queues' capacity (2 mu each) the
  // card is 40% busy, never more than half, and beyond that capacity it is unstable although 4 engines idle.
  const double mu = 1000;
  const QueueFigures f = card_with_queue_depth(8, 2, 2, 0.8 * 2 * mu, mu);
  EXPECT_NEAR(f.utilization, 0.8 * 4 / 8, 1e-9);
  EXPECT_THROW(card_with_queue_depth(8, 2, 2, 2 * mu, mu), std::domain_error);
  // Each queue is an M/M/2 at 0.8, far slower than the same card without the limit (an M/M/8 at 0.4).
  EXPECT_NEAR(f.mean_response, mmc_mean_response(2, 1600, mu), 1e-9 * mmc_mean_response(2, 1600, mu));
  EXPECT_GT(f.mean_response, 2.5 * mmc_mean_response(8, 3200, mu));
}

TEST(CardWithQueueDepth, ContendedCardLiesBetweenItsLimits) {
  // 3 engines, 2 queues of depth 2 (depth < engines < queues * depth): the engines are shared but no queue can hold
  // all of them. Deeper queues only add flexibility, so the response time lies between depth 3 (M/M/3 at the summed
  // rate) and depth 1 (two independent M/M/1).
  const double mu = 1000, lambda_q = 0.6 * 3 * mu / 2;
  const QueueFigures f = card_with_queue_depth(3, 2, 2, lambda_q, mu);
  const double pooled = mmc_mean_response(3, 2 * lambda_q, mu);
  const double separate = mmc_mean_response(1, lambda_q, mu);
  EXPECT_GT(f.mean_response, pooled * (1 + 1e-6));
  EXPECT_LT(f.mean_response, separate);
  EXPECT_NEAR(card_with_queue_depth(3, 2, 3, lambda_q, mu).mean_response, pooled, 1e-9 * pooled);
  EXPECT_NEAR(card_with_queue_depth(3, 2, 1, lambda_q, mu).mean_response, separate, 1e-9 * separate);
  EXPECT_NEAR(f.utilization, 0.6, 1e-9);
  expect_consistent(f, 3, mu, "3 engines, 2 queues, depth 2");
}

TEST(CardWithQueueDepth, RejectsUnstableInvalidOrTooLarge) {
  EXPECT_THROW(card_with_queue_depth(2, 2, 2, 1000, 1000), std::domain_error); // rho = 1
  EXPECT_THROW(card_with_queue_depth(0, 2, 2, 100, 1000), std::domain_error);
  EXPECT_THROW(card_with_queue_depth(2, 0, 2, 100, 1000), std::domain_error);
  EXPECT_THROW(card_with_queue_depth(2, 2, 0, 100, 1000), std::domain_error);
  EXPECT_THROW(card_with_queue_depth(2, 2, 2, -1, 1000), std::domain_error);
  try {
    card_with_queue_depth(16, 10, 4, 0.9 * 16 * 1000 / 10, 1000);
    ADD_FAILURE() << "a 10-queue card at rho 0.9 should exceed the state limit";
  } catch (const std::domain_error& e) {
    EXPECT_NE(std::string(e.what()).find("states"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace apq::analytic
