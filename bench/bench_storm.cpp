// bench_storm [--mode test|perf] [--horizon SECONDS] [--admin-rate-scale X]: what reconfiguration costs in
// simulation speed.
// configs/seed/random-storm.toml (two busy guests, three random admins) run with its admins, and the same scenario
// with the control plane off (the data plane alone, as its baseline runs), measured in the same invocation.
// Target (issue 11): the storm within 1.5x of its data-plane-only run, in CPU time.
//
// Each run is a forked child (one SimGrid engine per process); CPU time is the child's own, around simulate().

#include "bench/measure.hpp"
#include "sim/fork_runner.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {
namespace {

constexpr double kRatioTarget = 1.5;

struct Measurement {
  double cpu_seconds = 0;
  uint64_t events = 0;
  uint64_t completed = 0;
  uint64_t admin_ops = 0; ///< attempts of the control plane's operations
};

double cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/** A TOML duration, at full precision. */
std::string seconds(double value) {
  std::ostringstream out;
  out.precision(17);
  out << '"' << value << "s\"";
  return out.str();
}

struct Options {
  bool perf = true;
  double horizon = 0;          // 0: the mode's default
  double admin_rate_scale = 1; // the random admins' rates times this
};

std::string measure(const Options& options, bool with_admins) {
  std::vector<ConfigOverride> overrides{{"run.horizon", seconds(options.horizon)},
                                        {"run.warmup", seconds(options.horizon / 10)}};
  // The storm's admins: 20/s, 10/s and 2/s (configs/seed/random-storm.toml).
  const double rates[] = {20, 10, 2};
  for (std::size_t i = 0; i < std::size(rates); ++i) {
    std::ostringstream rate;
    rate.precision(17);
    rate << '"' << rates[i] * options.admin_rate_scale << "/s\"";
    overrides.push_back({"reconfig.random." + std::to_string(i) + ".rate", rate.str()});
  }
  const Scenario scenario =
      load_scenario(std::string(APQSIM_SOURCE_DIR) + "/configs/seed/random-storm.toml", overrides);
  RunOptions run_options;
  run_options.baseline = !with_admins; // the same scenario, reconfiguration off: no actor at all
  const double start = cpu_seconds();
  const RunResult result = simulate(scenario, run_options);
  Measurement m;
  m.cpu_seconds = cpu_seconds() - start;
  m.events = result.events;
  for (const GuestResult& guest : result.guests)
    m.completed += guest.requests.completed;
  for (const auto& [op, figures] : result.control.ops)
    m.admin_ops += figures.attempts;
  std::ostringstream out;
  out.precision(17);
  out << m.cpu_seconds << ' ' << m.events << ' ' << m.completed << ' ' << m.admin_ops;
  return out.str();
}

Measurement decode(const std::string& text) {
  std::istringstream in(text);
  Measurement m;
  in >> m.cpu_seconds >> m.events >> m.completed >> m.admin_ops;
  if (!in)
    throw std::runtime_error("cannot read a child's answer: '" + text + "'");
  return m;
}

Measurement fastest(const std::vector<Measurement>& runs) {
  return *std::min_element(runs.begin(), runs.end(),
                           [](const Measurement& a, const Measurement& b) { return a.cpu_seconds < b.cpu_seconds; });
}

void print_line(const char* impl, const Measurement& m) {
  std::printf("storm impl=%s cpu_s=%.3f events=%llu ns_per_event=%.0f completed=%llu admin_ops=%llu\n", impl,
              m.cpu_seconds, static_cast<unsigned long long>(m.events),
              m.cpu_seconds * 1e9 / static_cast<double>(std::max<uint64_t>(m.events, 1)),
              static_cast<unsigned long long>(m.completed), static_cast<unsigned long long>(m.admin_ops));
}

double positive(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value > 0))
    throw std::invalid_argument(flag + ": '" + text + "' is not a positive number");
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--mode" || arg == "--horizon" || arg == "--admin-rate-scale") && i + 1 >= argc)
      throw std::invalid_argument(arg + " needs a value");
    if (arg == "--mode") {
      options.perf = bench::perf_mode(argv[++i]);
    } else if (arg == "--horizon") {
      options.horizon = positive(arg, argv[++i]);
    } else if (arg == "--admin-rate-scale") {
      options.admin_rate_scale = positive(arg, argv[++i]);
    } else {
      throw std::invalid_argument(
          "unknown argument '" + arg +
          "'; usage: bench_storm [--mode test|perf] [--horizon SECONDS] [--admin-rate-scale X]");
    }
  }
  if (options.horizon == 0)
    options.horizon = options.perf ? 60 : 2;
  return options;
}

int run(const Options& options) {
  const int runs = options.perf ? 3 : 1;
  std::printf("bench_storm: configs/seed/random-storm.toml, horizon %gs, admin rates x%g; mode %s: %s\n",
              options.horizon, options.admin_rate_scale, options.perf ? "perf" : "test",
              options.perf ? "CPU = min of 3 runs, alternating" : "one run each, figures are not meaningful timings");
  std::fflush(stdout); // before forking, or the children would print the parent's buffer again

  std::vector<ChildJob> jobs;
  for (int r = 0; r < runs; ++r) {
    jobs.emplace_back([&options] { return measure(options, false); });
    jobs.emplace_back([&options] { return measure(options, true); });
  }
  const std::vector<std::string> outputs = run_in_children(jobs, 1);
  std::vector<Measurement> data_plane_runs;
  std::vector<Measurement> storm_runs;
  for (std::size_t i = 0; i < outputs.size(); ++i)
    (i % 2 == 0 ? data_plane_runs : storm_runs).push_back(decode(outputs[i]));
  const Measurement data_plane = fastest(data_plane_runs);
  const Measurement storm = fastest(storm_runs);
  if (data_plane.completed == 0 || storm.completed == 0 || storm.admin_ops == 0)
    throw std::runtime_error("a run completed no request, or the admins did nothing");
  print_line("data_plane_only", data_plane);
  print_line("with_admins", storm);
  std::printf("ratio storm with admins / data plane only cpu = %.2f (target <= %.1f)\n",
              storm.cpu_seconds / data_plane.cpu_seconds, kRatioTarget);
  return 0;
}

} // namespace
} // namespace apq

int main(int argc, char** argv) {
  return apq::bench::bench_main("bench_storm", [&] { return apq::run(apq::parse_options(argc, argv)); });
}
