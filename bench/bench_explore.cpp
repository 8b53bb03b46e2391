// bench_explore [--mode test|perf]: how fast `apqsim explore` covers the schedules of the shipped explore configs, and
// how much partial-order reduction shrinks them.
//
// For each config and strategy: states and steps (transitions) explored, CPU seconds, the schedules the search
// covers without reduction (every interleaving, counted on the state graph) and with it (one per class of schedules
// that differ only in the order of independent steps), schedules per second of each, and the reduction factor.
// CPU time, not wall time: the machine is shared, and the search is single-threaded. The target: the
// exhaustive exploration of three operations of a built-in strategy in seconds (the four-way race has four racing
// operations, one more than that).
//
// --mode test: the two-operation race only (a smoke test of the figure lines). --mode perf: both configs.

#include "sim/explore/explorer.hpp"
#include "sim/scenario/scenario.hpp"

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Config {
  const char* file;
  std::vector<std::string> before;
};

} // namespace

int main(int argc, char** argv) {
  const std::string mode = argc >= 3 && std::string(argv[1]) == "--mode" ? argv[2] : "perf";
  if (mode != "test" && mode != "perf") {
    std::fprintf(stderr, "usage: bench_explore [--mode test|perf]\n");
    return 2;
  }
  std::vector<Config> configs = {{"configs/explore/abba-stolen.toml", {}}};
  if (mode == "perf")
    configs.push_back({"configs/explore/four-way-race.toml", {"stop-web"}});
  const char* strategies[] = {"naive-mutex", "v12-trylock", "ordered", "linux-6.1", "linux-6.13"};
  double all_cpu = 0;
  long double all_schedules = 0, all_reduced = 0;
  for (const Config& config : configs)
    for (const char* strategy : strategies) {
      const apq::Scenario scenario = apq::load_scenario(std::string(APQSIM_SOURCE_DIR) + "/" + config.file,
                                                        {{"run.strategy", std::string("\"") + strategy + "\""}});
      apq::ExploreOptions options;
      options.before = config.before;
      const double t0 = cpu_seconds();
      apq::Explorer explorer(scenario, *scenario.control.strategy, options);
      const apq::ExploreResult r = explorer.run();
      const double cpu = cpu_seconds() - t0;
      all_cpu += cpu;
      all_schedules += r.schedules;
      all_reduced += r.reduced;
      std::printf("config=%s strategy=%s exhaustive=%d states=%llu steps=%llu cpu_s=%.3f states_per_s=%.0f "
                  "schedules=%.4Le reduced_schedules=%.0Lf schedules_per_s=%.4Le reduced_schedules_per_s=%.0Lf "
                  "reduction_factor=%.4Le classes=%zu\n",
                  config.file, strategy, r.exhaustive ? 1 : 0, static_cast<unsigned long long>(r.states),
                  static_cast<unsigned long long>(r.transitions), cpu, static_cast<double>(r.states) / cpu, r.schedules,
                  r.reduced, r.schedules / cpu, r.reduced / cpu, r.schedules / r.reduced, r.classes.size());
    }
  std::printf("total cpu_s=%.3f schedules_per_s=%.4Le reduced_schedules_per_s=%.0Lf reduction_factor=%.4Le\n", all_cpu,
              all_schedules / all_cpu, all_reduced / all_cpu, all_schedules / all_reduced);
  return 0;
}
