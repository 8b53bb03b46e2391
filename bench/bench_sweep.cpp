// bench_sweep [--mode test|perf]: what the experiment machinery costs on top of the simulations it runs.
//
// 1. The fixed cost of a sweep point beyond its simulation: many points of a scenario that simulates almost nothing
//    (configs/validation/mmc.toml cut to 1 ms), through run_replications with one job (a forked child per run, its
//    JSON parsed back), minus the time simulate() itself takes in such a child. Then the same points through run_sweep,
//    which `apqsim sweep` uses and which adds a file per point and the merge. For contrast, the same point run by
//    exec'ing the apqsim binary, which pays the dynamic loader of libsimgrid every time (sim/README.md).
// 2. Baselines shared by a sweep's points: configs/sweeps/reconfig-rate.toml (6 points over the control plane, 3
//    replications) run as the sweep runs it now (one pool, a baseline per seed) and as it ran before (one
//    run_replications per point, a baseline per point and seed), in the same session: children, wall, CPU.
//    Then the whole sweep with --jobs 1 and 2: one pool keeps both cores busy across points.
// 3. The speedup of --jobs 2 on a batch of equal runs, which the fork-per-run design should make close to 2 on 2
//    cores. Other work on the machine takes cores away: the load average and the children's CPU time are printed
//    next to it to tell that apart from a cost of the machinery.
//
// The parent never creates a SimGrid engine (only children simulate), as in the real machinery; each measurement
// runs in a forked child of its own, so that none inherits the heap the previous ones left behind.

#include "bench/measure.hpp"
#include "sim/experiment/design.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/sweep.hpp"
#include "sim/fork_runner.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sched.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace apq {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kFixedCostTarget = 2.0; // ms per point
constexpr double kSpeedupTarget = 1.8;

const std::string kScenario = std::string(APQSIM_SOURCE_DIR) + "/configs/validation/mmc.toml";

struct Options {
  bool perf = true;
};

/** Sizes of one mode. */
struct Plan {
  int repeats;               ///< each measurement this many times, the median reported
  std::size_t points;        ///< tiny points per measurement of the fixed cost
  int execs;                 ///< execs of the apqsim binary per measurement
  std::size_t batch;         ///< runs of the --jobs batch
  std::string horizon;       ///< of each batch run: about 0.5 s of simulation in perf mode
  std::string sweep_horizon; ///< of the reconfiguration sweep's runs
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/** Index of the median of `values` (odd count: the middle one), to report other figures of the same measurement. */
std::size_t median_index(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  return order[order.size() / 2];
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values)
    sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

/** The scenario of the fixed-cost figures: the M/M/c point, simulated for 1 ms (a handful of requests), so that
 * what remains of a point's wall time is the machinery's. */
std::vector<ConfigOverride> tiny_overrides() {
  return {{"run.horizon", "\"1ms\""}, {"run.warmup", "\"0s\""}};
}

/** What a child measured of one tiny run; the parent then times what it does with the document. */
struct ChildTimes {
  double simulate_s = 0;
  double to_json_s = 0;
  double dump_s = 0;
  double parse_s = 0;   // in the parent
  double figures_s = 0; // in the parent
  double bytes = 0;
};

/** Runs the child's side of run_replications by hand, timing each step; answers "times\njson". */
std::string timed_tiny_run(const Scenario& scenario, uint64_t seed) {
  const auto start = Clock::now();
  const RunResult result = simulate(with_seed(scenario, seed));
  const double simulate_s = seconds_since(start);
  const auto json_start = Clock::now();
  const Json document = to_json(result);
  const double to_json_s = seconds_since(json_start);
  const auto dump_start = Clock::now();
  const std::string text = document.dump();
  const double dump_s = seconds_since(dump_start);
  std::ostringstream out;
  out.precision(17);
  out << simulate_s << ' ' << to_json_s << ' ' << dump_s << '\n' << text;
  return out.str();
}

ChildTimes parent_side(const std::string& answer) {
  const std::size_t newline = answer.find('\n');
  if (newline == std::string::npos)
    throw std::runtime_error("cannot read a child's answer: '" + answer + "'");
  ChildTimes t;
  std::istringstream head(answer.substr(0, newline));
  head >> t.simulate_s >> t.to_json_s >> t.dump_s;
  if (!head)
    throw std::runtime_error("cannot read a child's times: '" + answer.substr(0, newline) + "'");
  const std::string text = answer.substr(newline + 1);
  t.bytes = static_cast<double>(text.size());
  // The parent's share of run_replications, on the same document.
  const auto parse_start = Clock::now();
  const Json document = Json::parse(text);
  t.parse_s = seconds_since(parse_start);
  const auto figures_start = Clock::now();
  std::map<std::string, double> figures = numeric_figures(document);
  add_derived_figures(figures);
  t.figures_s = seconds_since(figures_start);
  return t;
}

/** The mean of each step over `points` children run one at a time. */
ChildTimes breakdown(const Scenario& scenario, std::size_t points) {
  std::vector<ChildJob> jobs;
  for (std::size_t i = 0; i < points; ++i)
    jobs.emplace_back([&scenario, i] { return timed_tiny_run(scenario, scenario.run.seed + i); });
  std::vector<ChildTimes> times;
  for (const std::string& answer : run_in_children(jobs, 1))
    times.push_back(parent_side(answer));
  const auto average = [&](double ChildTimes::*field) {
    std::vector<double> values;
    for (const ChildTimes& t : times)
      values.push_back(t.*field);
    return mean(values);
  };
  ChildTimes out;
  for (double ChildTimes::*field : {&ChildTimes::simulate_s, &ChildTimes::to_json_s, &ChildTimes::dump_s,
                                    &ChildTimes::parse_s, &ChildTimes::figures_s, &ChildTimes::bytes})
    out.*field = average(field);
  return out;
}

/** Anonymous resident memory of this process: what a fork copies page tables for and its child tears down. */
double anon_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("RssAnon:"))
      return std::stod(line.substr(8)) / 1024.0; // kB
  return -1;
}

/** CPU seconds (user + system) of the children this process has reaped so far. */
double children_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/** Runs one measurement in its own forked child and returns its numbers. A point's fixed cost grows with the
 * parent's heap (a fork copies its page tables, each child tears them down), so every measurement starts from the
 * same small parent instead of inheriting what the previous measurements left in the heap. */
std::vector<double> in_child(const std::function<std::vector<double>()>& measure) {
  std::fflush(stdout); // before forking, or a child could print the parent's buffer again
  const std::vector<std::string> answers = run_in_children({[&measure] {
                                                             std::ostringstream out;
                                                             out.precision(17);
                                                             for (double v : measure())
                                                               out << v << ' ';
                                                             return out.str();
                                                           }},
                                                           1);
  std::istringstream in(answers.at(0));
  std::vector<double> values;
  double v = 0;
  while (in >> v)
    values.push_back(v);
  return values;
}

/** Wall per child of children that do nothing: fork, pipe, _exit and waitpid from this parent. */
double empty_child_seconds(std::size_t points) {
  const std::vector<ChildJob> jobs(points, [] { return std::string(); });
  const auto start = Clock::now();
  run_in_children(jobs, 1);
  return seconds_since(start) / static_cast<double>(points);
}

/** Wall per point of `points` replications through run_replications, `jobs` children at once. */
double replications_seconds(const Scenario& scenario, std::size_t points, int jobs) {
  ExperimentOptions options;
  options.jobs = jobs;
  const auto start = Clock::now();
  const auto runs = run_replications({&scenario}, 0, points, options);
  const double wall = seconds_since(start);
  if (runs.size() != 1 || runs[0].size() != points)
    throw std::runtime_error("run_replications returned the wrong number of runs");
  return wall / static_cast<double>(points);
}

/** A sweep file of `points` tiny points (run.seed varies) in `dir`. */
fs::path write_sweep_file(const fs::path& dir, std::size_t points) {
  const fs::path file = dir / "tiny-sweep.toml";
  std::ofstream out(file);
  out << "include = \"" << kScenario << "\"\n\n[run]\nhorizon = \"1ms\"\nwarmup = \"0s\"\n\n";
  out << "[sweep]\nmode = \"grid\"\nreplications = 1\n\n[[sweep.factors]]\npath = \"run.seed\"\nvalues = [";
  for (std::size_t i = 0; i < points; ++i)
    out << (i == 0 ? "" : ", ") << i + 1;
  out << "]\n";
  if (!out)
    throw std::runtime_error("cannot write " + file.string());
  return file;
}

/** Wall per point of `apqsim sweep` without its process start: read_sweep_spec as the CLI does (so the heap is
 * the CLI's), then the timed run_sweep with one job into a fresh directory (a file per point, merged at the end). */
double sweep_seconds(const fs::path& file, const fs::path& out_dir) {
  const SweepSpec spec = read_sweep_spec(file);
  fs::remove_all(out_dir);
  ExperimentOptions options;
  options.jobs = 1;
  const auto start = Clock::now();
  const SweepRun run = run_sweep(file, spec, out_dir, {1, 1}, options, {});
  const double wall = seconds_since(start);
  if (run.points_run != spec.points.size())
    throw std::runtime_error("run_sweep ran " + std::to_string(run.points_run) + " points of " +
                             std::to_string(spec.points.size()));
  return wall / static_cast<double>(spec.points.size());
}

/** Wall per exec of `apqsim run <tiny> -q`, one after the other. */
double exec_seconds(int execs) {
  const std::vector<std::string> args = {APQSIM_BINARY,         "run",   kScenario,           "--set",
                                         "run.horizon=\"1ms\"", "--set", "run.warmup=\"0s\"", "-q"};
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const auto start = Clock::now();
  for (int i = 0; i < execs; ++i) {
    pid_t pid = 0;
    const int error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    if (error != 0) {
      posix_spawn_file_actions_destroy(&actions);
      throw std::runtime_error(std::string("cannot spawn ") + argv[0] + ": " + std::strerror(error));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      throw std::runtime_error(std::string(argv[0]) + " run failed (status " + std::to_string(status) + ")");
    }
  }
  const double wall = seconds_since(start);
  posix_spawn_file_actions_destroy(&actions);
  return wall / execs;
}

/** CPUs this process may run on (what nproc says). */
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0)
    return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  return CPU_COUNT(&set);
}

/** The 1-minute load average: other work on the machine skews the --jobs speedup more than anything here. */
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

void fixed_cost(const Plan& plan, const fs::path& work_dir) {
  const Scenario tiny = load_scenario(kScenario, tiny_overrides());
  const fs::path sweep_file = write_sweep_file(work_dir, plan.points);

  std::vector<double> point_s, anon_mib, simulate_s, empty_s, sweep_s, exec_s;
  std::vector<ChildTimes> steps;
  for (int r = 0; r < plan.repeats; ++r) {
    const std::vector<double> point = in_child([&] {
      return std::vector<double>{anon_rss_mib(), replications_seconds(tiny, plan.points, 1)};
    });
    anon_mib.push_back(point.at(0));
    point_s.push_back(point.at(1));
    const std::vector<double> step = in_child([&] {
      const ChildTimes t = breakdown(tiny, plan.points);
      return std::vector<double>{t.simulate_s, t.to_json_s, t.dump_s, t.parse_s, t.figures_s, t.bytes};
    });
    steps.push_back(ChildTimes{step.at(0), step.at(1), step.at(2), step.at(3), step.at(4), step.at(5)});
    simulate_s.push_back(steps.back().simulate_s);
    empty_s.push_back(in_child([&] { return std::vector<double>{empty_child_seconds(plan.points)}; }).at(0));
    sweep_s.push_back(in_child([&] { return std::vector<double>{sweep_seconds(sweep_file, work_dir / "out")}; }).at(0));
    exec_s.push_back(exec_seconds(plan.execs));
  }
  const double point_ms = median(point_s) * 1e3;
  const std::size_t middle = median_index(simulate_s);
  const double simulate_ms = simulate_s[middle] * 1e3;
  const double exec_ms = median(exec_s) * 1e3;
  const double sweep_ms = median(sweep_s) * 1e3;
  const ChildTimes& step = steps[middle]; // the steps of that same measurement, so that they belong together

  std::printf("fixed_cost_ms_per_point=%.3f (target <= %.0f) wall_ms_per_point=%.3f simulate_ms=%.3f points=%zu "
              "path=run_replications(jobs=1)\n",
              point_ms - simulate_ms, kFixedCostTarget, point_ms, simulate_ms, plan.points);
  std::printf("  breakdown empty_child_ms=%.3f child_to_json_ms=%.3f child_dump_ms=%.3f json_bytes=%.0f "
              "parent_parse_ms=%.3f parent_figures_ms=%.3f parent_anon_rss_mib=%.1f\n",
              median(empty_s) * 1e3, step.to_json_s * 1e3, step.dump_s * 1e3, step.bytes, step.parse_s * 1e3,
              step.figures_s * 1e3, median(anon_mib));
  std::printf("sweep_fixed_cost_ms_per_point=%.3f wall_ms_per_point=%.3f points=%zu path=run_sweep(jobs=1, a file "
              "per point, merge)\n",
              sweep_ms - simulate_ms, sweep_ms, plan.points);
  std::printf("exec_cost_ms_per_point=%.3f wall_ms_per_exec=%.3f execs=%d path=posix_spawn(apqsim run -q)\n",
              exec_ms - simulate_ms, exec_ms, plan.execs);
  std::fflush(stdout);
}

void jobs_speedup(const Plan& plan) {
  const int cores = usable_cores();
  const Scenario scenario = load_scenario(kScenario, {{"run.horizon", plan.horizon}, {"run.warmup", "\"0s\""}});
  const auto batch = [&](int jobs) {
    return in_child([&] {
      const double wall = replications_seconds(scenario, plan.batch, jobs) * static_cast<double>(plan.batch);
      return std::vector<double>{wall, children_cpu_seconds()};
    });
  };
  std::vector<double> wall1, wall2, cpu1, cpu2;
  // Alternating, so that both see the same machine over the measurement. The children's CPU time tells a machine
  // busy with other work (CPU / wall of --jobs 2 well under 2) from a cost of the machinery (CPU time growing).
  for (int r = 0; r < plan.repeats; ++r) {
    const std::vector<double> one = batch(1);
    wall1.push_back(one.at(0));
    cpu1.push_back(one.at(1));
    const std::vector<double> two = batch(2);
    wall2.push_back(two.at(0));
    cpu2.push_back(two.at(1));
  }
  const std::size_t m1 = median_index(wall1);
  const std::size_t m2 = median_index(wall2);
  const double w1 = wall1[m1];
  const double w2 = wall2[m2];
  std::printf("cores=%d loadavg_1min=%.2f batch_runs=%zu horizon=%s run_s=%.3f\n", cores, load_average(), plan.batch,
              plan.horizon.c_str(), w1 / static_cast<double>(plan.batch));
  std::printf("wall_jobs1_s=%.3f wall_jobs2_s=%.3f\n", w1, w2);
  std::printf("  cpu children_cpu_jobs1_s=%.3f children_cpu_jobs2_s=%.3f busy_cores_jobs1=%.2f busy_cores_jobs2=%.2f\n",
              cpu1[m1], cpu2[m2], cpu1[m1] / w1, cpu2[m2] / w2);
  std::printf("speedup_jobs2=%.2f (target >= %.1f)%s\n", w1 / w2, kSpeedupTarget,
              cores < 2 ? " (1 core only: no speedup possible, not a failure)" : "");
  std::fflush(stdout);
}

/** Children run, wall and children's CPU of `scenarios` x `replications` through run_replications: all in one call
 * (one pool, shared baselines) or one call per scenario (the sweep before: a baseline per point and seed). */
std::vector<double> sweep_batch(const std::vector<Scenario>& scenarios, std::size_t replications, int jobs,
                                bool one_pool) {
  return in_child([&] {
    ExperimentOptions options;
    options.jobs = jobs;
    double children = 0;
    std::size_t total = 0;
    options.progress = [&total](std::size_t, std::size_t all) { total = all; };
    const auto start = Clock::now();
    if (one_pool) {
      std::vector<const Scenario*> all;
      for (const Scenario& s : scenarios)
        all.push_back(&s);
      run_replications(all, 0, replications, options);
      children = static_cast<double>(total);
    } else {
      for (const Scenario& s : scenarios) {
        run_replications({&s}, 0, replications, options);
        children += static_cast<double>(total);
      }
    }
    return std::vector<double>{children, seconds_since(start), children_cpu_seconds()};
  });
}

void baseline_sharing(const Plan& plan) {
  const std::string file = std::string(APQSIM_SOURCE_DIR) + "/configs/sweeps/reconfig-rate.toml";
  const SweepSpec spec = read_sweep_spec(file);
  std::vector<Scenario> scenarios;
  for (const SweepPoint& point : spec.points) {
    std::vector<ConfigOverride> overrides = point.overrides;
    overrides.push_back({"run.horizon", plan.sweep_horizon});
    overrides.push_back({"run.warmup", "\"0.1s\""});
    scenarios.push_back(load_scenario(file, overrides));
  }
  const auto reps = static_cast<std::size_t>(spec.replications);
  std::vector<std::vector<double>> before, shared, shared1;
  for (int r = 0; r < plan.repeats; ++r) { // alternating, so that all see the same machine
    before.push_back(sweep_batch(scenarios, reps, 2, false));
    shared.push_back(sweep_batch(scenarios, reps, 2, true));
    shared1.push_back(sweep_batch(scenarios, reps, 1, true));
  }
  const auto pick = [](const std::vector<std::vector<double>>& runs) { // the measurement of median wall
    std::vector<double> walls;
    for (const auto& run : runs)
      walls.push_back(run.at(1));
    return runs[median_index(walls)];
  };
  const std::vector<double> b = pick(before), s = pick(shared), s1 = pick(shared1);
  std::printf("baseline_sharing sweep=reconfig-rate points=%zu replications=%zu horizon=%s children_before=%.0f "
              "children_after=%.0f\n",
              scenarios.size(), reps, plan.sweep_horizon.c_str(), b[0], s[0]);
  std::printf("  jobs=2 wall_before_s=%.3f wall_after_s=%.3f cpu_before_s=%.3f cpu_after_s=%.3f "
              "cpu_saved=%.1f%% wall_ratio_after/before=%.2f\n",
              b[1], s[1], b[2], s[2], 100 * (1 - s[2] / b[2]), s[1] / b[1]);
  std::printf("sweep_speedup_jobs2=%.2f wall_jobs1_s=%.3f wall_jobs2_s=%.3f busy_cores_jobs1=%.2f "
              "busy_cores_jobs2=%.2f cores=%d (one pool across points and replications)\n",
              s1[1] / s[1], s1[1], s[1], s1[2] / s1[1], s[2] / s[1], usable_cores());
  std::fflush(stdout);
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mode" && i + 1 >= argc)
      throw std::invalid_argument(arg + " needs a value");
    if (arg == "--mode") {
      options.perf = bench::perf_mode(argv[++i]);
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'; usage: bench_sweep [--mode test|perf]");
    }
  }
  return options;
}

/** A private scratch directory, removed when the benchmark ends however it ends. */
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "bench_sweep.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error(std::string("cannot create a scratch directory: ") + std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

int run(const Options& options) {
  // Perf: 200 points make ~0.6 s of machinery per measurement; batch runs of ~0.5 s each (M/M/c at 3.2k/s runs
  // ~700 simulated seconds per wall second on the 2-core dev VM) make the fork and parse costs negligible, so the
  // speedup shows the parallelism alone. Test: a tenth of the horizon, one measurement each, a few seconds in all.
  // The reconfiguration sweep: its runs as shipped (10 s) in perf mode, 0.5 s in test mode.
  const Plan plan =
      options.perf ? Plan{3, 200, 20, 8, "\"350s\"", "\"10s\""} : Plan{1, 20, 3, 8, "\"35s\"", "\"0.5s\""};
  std::printf("bench_sweep: mode %s: %s\n", options.perf ? "perf" : "test",
              options.perf ? "each figure the median of 3 measurements"
                           : "one small measurement each, figures are not meaningful timings");
  std::fflush(stdout);
  const ScratchDir scratch;
  fixed_cost(plan, scratch.path());
  jobs_speedup(plan);
  baseline_sharing(plan);
  return 0;
}

} // namespace
} // namespace apq

int main(int argc, char** argv) {
  return apq::bench::bench_main("bench_sweep", [&] { return apq::run(apq::parse_options(argc, argv)); });
}
