// coverage_study [--experiments N] [--replications R] [--jobs J] [--case NAME]...
//
// Do apqsim's confidence intervals hold? Many independent experiments of an M/M/4 queue (configs/validation/mmc.toml:
// exponential service of mean 1 ms, Poisson arrivals), each one `apqsim run --replications R` as the tool does it
// (replicate(): R forked runs, figures with their intervals and warnings), at loads rho 0.8 and 0.95, for short and
// long runs. The truth is known (Erlang C: the response time's mean and quantiles), so the fraction of experiments
// whose 95% interval contains it is the interval's coverage. With N experiments, a correct 95% interval shows a
// coverage within 0.95 +- 1.96 sqrt(0.95 x 0.05 / N) (+-0.030 at N = 200) nineteen times in twenty.
//
// Coverage is printed over all experiments and over those where the tool printed no warning for the figure: the
// tool's promise is that an interval it does not warn about holds. The run takes a few minutes on 2 cores (about
// 8000 simulated runs at the defaults); it is a study, not a unit test, and asserts nothing.

#include "analysis/tail_statistics.hpp"
#include "models/analytic/queueing_formulas.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/scenario/scenario.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace apq {
namespace {

const std::string kScenario = std::string(APQSIM_SOURCE_DIR) + "/configs/validation/mmc.toml";
constexpr int kEngines = 4;
constexpr double kServiceRate = 1000; // 1 / (1 ms)

struct Case {
  const char* name;
  double rho;
  const char* horizon;
  const char* warmup;
};

const Case kCases[] = {
    {"rho0.80-short", 0.80, "3s", "0.3s"},
    {"rho0.80-long", 0.80, "20s", "2s"},
    {"rho0.95-short", 0.95, "2s", "0.2s"},
    {"rho0.95-long", 0.95, "20s", "2s"},
};

struct Figure {
  const char* label;
  const char* path;
  double q; // 0: the mean
};

const Figure kFigures[] = {
    {"mean", "summary.latency_s.mean", 0},
    {"p99", "summary.latency_s.p99", 0.99},
    {"p999", "summary.latency_s.p999", 0.999},
};

struct Tally {
  int experiments = 0, covered = 0;
  int quiet = 0, quiet_covered = 0; // experiments without a warning on this figure
  int below = 0;                    // misses where the whole interval lies below the truth
  int bins[4][2] = {};              // by effective tail samples (<10, <20, <50, more): experiments, covered
  double relative_error_sum = 0;    // of the point estimate, to see a bias
};

struct Options {
  int experiments = 200;
  int replications = 10;
  int jobs = 2;
  std::vector<std::string> cases;
};

/** The interval the tool reports for `path`, and whether it warned about that figure. */
struct Reported {
  double estimate = NAN, lower = NAN, upper = NAN;
  bool warned = false;
  double effective = INFINITY; // quantiles: the effective number of tail samples over the replications
};

Reported reported(const ReplicatedResult& result, const std::string& path, double q) {
  Reported out;
  if (q > 0) {
    std::vector<const Json*> results;
    for (const Replication& r : result.runs)
      results.push_back(&r.result);
    const auto histograms = replication_histograms(results).at("summary.latency_s");
    std::vector<const LatencyHistogram*> runs;
    for (const LatencyHistogram& h : histograms)
      runs.push_back(&h);
    out.effective = quantile_interval(runs, q, 0.95).effective_tail_samples;
  }
  const auto it = result.intervals().find(path);
  if (it == result.intervals().end())
    return out;
  out.estimate = it->second.mean;
  out.lower = it->second.lower;
  out.upper = it->second.upper;
  for (const StatWarning& w : result.figures.warnings)
    if (w.figure.empty() || w.figure == path)
      out.warned = true;
  return out;
}

void run_case(const Case& c, const Options& options) {
  const double lambda = c.rho * kEngines * kServiceRate;
  char rate[64];
  std::snprintf(rate, sizeof rate, "\"%.6g/s\"", lambda);
  std::vector<double> truth;
  for (const Figure& f : kFigures)
    truth.push_back(f.q == 0 ? analytic::mmc_mean_response(kEngines, lambda, kServiceRate)
                             : analytic::mmc_response_quantile(kEngines, lambda, kServiceRate, f.q));
  std::vector<Tally> tallies(std::size(kFigures));
  for (int e = 0; e < options.experiments; ++e) {
    const Scenario scenario = load_scenario(kScenario, {{"guests.0.arrival.rate", rate},
                                                        {"run.horizon", std::string("\"") + c.horizon + "\""},
                                                        {"run.warmup", std::string("\"") + c.warmup + "\""},
                                                        {"run.seed", std::to_string(1 + 1000 * e)}});
    StoppingRule rule;
    rule.replications = static_cast<std::size_t>(options.replications);
    ExperimentOptions experiment;
    experiment.jobs = options.jobs;
    const ReplicatedResult result = replicate(scenario, rule, experiment);
    for (std::size_t f = 0; f < std::size(kFigures); ++f) {
      const Reported r = reported(result, kFigures[f].path, kFigures[f].q);
      const int bin = r.effective < 10 ? 0 : r.effective < 20 ? 1 : r.effective < 50 ? 2 : 3;
      tallies[f].bins[bin][0] += 1;
      tallies[f].bins[bin][1] += r.lower <= truth[f] && truth[f] <= r.upper;
      const bool covered = r.lower <= truth[f] && truth[f] <= r.upper;
      Tally& t = tallies[f];
      ++t.experiments;
      t.covered += covered;
      t.below += r.upper < truth[f];
      t.relative_error_sum += (r.estimate - truth[f]) / truth[f];
      if (!r.warned) {
        ++t.quiet;
        t.quiet_covered += covered;
      }
    }
  }
  for (std::size_t f = 0; f < std::size(kFigures); ++f) {
    const Tally& t = tallies[f];
    const double coverage = static_cast<double>(t.covered) / t.experiments;
    const double uncertainty = 1.96 * std::sqrt(0.95 * 0.05 / t.experiments);
    char quiet[64] = "-";
    if (t.quiet > 0)
      std::snprintf(quiet, sizeof quiet, "%.3f (%d, +-%.3f)", static_cast<double>(t.quiet_covered) / t.quiet, t.quiet,
                    1.96 * std::sqrt(0.95 * 0.05 / t.quiet));
    std::printf("%-14s %-5s truth %9.4g ms  coverage %.3f (+-%.3f)  without warning %-22s  bias %+.2f%%  "
                "misses below %d of %d\n",
                c.name, kFigures[f].label, truth[f] * 1e3, coverage, uncertainty, quiet,
                100 * t.relative_error_sum / t.experiments, t.below, t.experiments - t.covered);
    if (kFigures[f].q > 0)
      std::printf("    by effective tail samples: <10 %d/%d, 10-20 %d/%d, 20-50 %d/%d, >=50 %d/%d\n", t.bins[0][1],
                  t.bins[0][0], t.bins[1][1], t.bins[1][0], t.bins[2][1], t.bins[2][0], t.bins[3][1], t.bins[3][0]);
  }
  std::fflush(stdout);
}

int main_impl(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "coverage_study: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--experiments")
      options.experiments = std::atoi(value().c_str());
    else if (arg == "--replications")
      options.replications = std::atoi(value().c_str());
    else if (arg == "--jobs" || arg == "-j")
      options.jobs = std::atoi(value().c_str());
    else if (arg == "--case")
      options.cases.push_back(value());
    else {
      std::fprintf(stderr, "usage: coverage_study [--experiments N] [--replications R] [--jobs J] [--case NAME]...\n");
      return 2;
    }
  }
  if (options.experiments < 1 || options.replications < 2 || options.jobs < 1) {
    std::fprintf(stderr, "coverage_study: need --experiments >= 1, --replications >= 2, --jobs >= 1\n");
    return 2;
  }
  std::printf("coverage of nominal 95%% intervals: M/M/%d, mean service 1 ms, %d experiments of %d replications "
              "per case\n",
              kEngines, options.experiments, options.replications);
  for (const Case& c : kCases) {
    bool wanted = options.cases.empty();
    for (const std::string& name : options.cases)
      wanted = wanted || name == c.name;
    if (wanted)
      run_case(c, options);
  }
  return 0;
}

} // namespace
} // namespace apq

int main(int argc, char** argv) {
  return apq::main_impl(argc, argv);
}
