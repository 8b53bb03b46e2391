// The engine against queueing theory. Each check runs independent replications (forked children, one engine each)
// of a configs/validation scenario and compares the replication mean of the simulated figure with theory.
//
// Tolerance, justified by the sample: the replications give the figure's standard error SE (the spread between
// independent runs includes the autocorrelation inside each run). We accept |sim - theory| <= t(0.9995, R-1) * SE
// plus the histogram's resolution for percentiles (1%): a correct simulator fails by chance once in 1000 runs.
// To keep the check meaningful we also require SE <= 1% of theory, so a bias of about 5% cannot pass. Heavier
// loads relax more slowly, so their runs are longer (horizon scaled by 1/(1-rho)^2, as the relaxation time).

#include "analysis/student_t.hpp"
#include "models/analytic/queueing_formulas.hpp"
#include "sim/fork_runner.hpp"
#include "test_support.hpp"

#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

namespace apq {
namespace {

struct Figures {
  double mean;
  double p99;
};

/** Replication means of mean and p99 latency of guest g0 for the scenario with these overrides. */
std::vector<Figures> replicate(const std::string& config, std::vector<ConfigOverride> overrides, int replications) {
  std::vector<ChildJob> jobs;
  for (int r = 0; r < replications; ++r) {
    auto o = overrides;
    o.push_back({"run.seed", std::to_string(1000 + r)});
    jobs.push_back([config, o] {
      const RunResult result = simulate(load_scenario(test::source_dir() + "/configs/validation/" + config, o));
      char text[64];
      std::snprintf(text, sizeof text, "%.17g %.17g", result.guests[0].latency.mean(),
                    result.guests[0].latency.quantile(0.99));
      return std::string(text);
    });
  }
  std::vector<Figures> out;
  for (const std::string& text : run_in_children(jobs, 2)) {
    Figures f{};
    std::sscanf(text.c_str(), "%lf %lf", &f.mean, &f.p99);
    out.push_back(f);
  }
  return out;
}

void expect_matches(const std::vector<double>& samples, double theory, double resolution, const char* what) {
  const ConfidenceInterval ci = mean_confidence_interval(samples, 0.999);
  const double standard_error = ci.half_width / student_t_quantile(0.9995, static_cast<double>(samples.size() - 1));
  const double tolerance = ci.half_width + resolution * theory;
  EXPECT_NEAR(ci.mean, theory, tolerance) << what << ": simulated " << ci.mean << " +- " << ci.half_width
                                          << " (99.9% CI over " << samples.size() << " replications)";
  EXPECT_LT(standard_error, 0.01 * theory) << what << ": too few samples to tell a 5% bias";
  std::printf("%s: theory %.6g s, simulated %.6g s +- %.2g (99.9%% CI, %zu replications)\n", what, theory, ci.mean,
              ci.half_width, samples.size());
}

/** Horizon for a load: 200 s at rho 0.5 and beyond, longer as the queue relaxes more slowly. */
std::string horizon_for(double rho) {
  const double scale = std::max(1.0, 0.25 / ((1 - rho) * (1 - rho)) / 4);
  return "\"" + std::to_string(static_cast<int>(200 * scale)) + "s\"";
}

void check_mmc(double rho) {
  const int c = 4;
  const double mu = 1000.0; // mean service 1 ms
  const double lambda = rho * c * mu;
  const auto reps = replicate(
      "mmc.toml",
      {{"guests.0.arrival.rate", "\"" + std::to_string(lambda) + "/s\""}, {"run.horizon", horizon_for(rho)}}, 8);
  std::vector<double> means, p99s;
  for (const Figures& f : reps) {
    means.push_back(f.mean);
    p99s.push_back(f.p99);
  }
  expect_matches(means, analytic::mmc_mean_response(c, lambda, mu), 0.0, "mean response");
  expect_matches(p99s, analytic::mmc_response_quantile(c, lambda, mu, 0.99), 0.01, "p99 response");
}

TEST(Validation, MMcAtLoad05MatchesErlangC) {
  check_mmc(0.5);
}
TEST(Validation, MMcAtLoad08MatchesErlangC) {
  check_mmc(0.8);
}
TEST(Validation, MMcAtLoad09MatchesErlangC) {
  check_mmc(0.9);
}

void check_md1(double rho) {
  const double d = 1e-3;
  const double lambda = rho / d;
  const auto reps = replicate(
      "md1.toml",
      {{"guests.0.arrival.rate", "\"" + std::to_string(lambda) + "/s\""}, {"run.horizon", horizon_for(rho)}}, 8);
  std::vector<double> means, p99s;
  for (const Figures& f : reps) {
    means.push_back(f.mean);
    p99s.push_back(f.p99);
  }
  expect_matches(means, analytic::md1_mean_response(lambda, d), 0.0, "mean response");
  expect_matches(p99s, analytic::md1_response_quantile(lambda, d, 0.99), 0.01, "p99 response");
}

TEST(Validation, MD1AtLoad05MatchesPollaczekKhinchine) {
  check_md1(0.5);
}
TEST(Validation, MD1AtLoad09MatchesPollaczekKhinchine) {
  check_md1(0.9);
}

// CEX8A at light load: nothing waits, so every request takes the hand-computed time:
// RSA-2048 CRT rating 54 x 1 us x 4 engines = 216 us of service, plus the 10 us interrupt delay.
TEST(Validation, Cex8aLightLoadIsTheRatedServiceTime) {
  const RunResult r = simulate(load_scenario(test::source_dir() + "/configs/validation/cex8a-light.toml"));
  const GuestResult& g = r.guests[0];
  const double expected = 4 * 54e-6 + 10e-6;
  EXPECT_GT(g.requests.completed, 1700u); // 100/s over 19 s
  EXPECT_NEAR(g.latency.mean(), expected, 1e-12);
  EXPECT_NEAR(g.latency.min(), expected, 1e-12);
  EXPECT_NEAR(g.latency.max(), expected, 1e-12);
  EXPECT_NEAR(g.latency.quantile(0.99), expected, 0.01 * expected);
  // Throughput equals the offered rate: 100/s within Poisson noise (4 SE over 19 s: +-9/s).
  EXPECT_NEAR(static_cast<double>(g.requests.completed) / r.window(), 100.0, 4 * std::sqrt(100.0 / 19.0));
}

} // namespace
} // namespace apq
