#pragma once
// Helpers for scenario tests: scenarios from inline TOML, runs with their event trace.

#include "sim/scenario/scenario.hpp"
#include "sim/simulation.hpp"

#include <string>
#include <vector>

namespace apq::test {

inline std::string source_dir() {
  return APQSIM_SOURCE_DIR;
}

inline Scenario scenario_from(const std::string& toml, const std::vector<ConfigOverride>& overrides = {}) {
  return load_scenario_text(toml, "inline.toml", overrides);
}

struct TracedRun {
  RunResult result;
  std::vector<TraceEvent> events;
};

/** Runs in this process (one engine per process: one call per TEST). */
inline TracedRun run_traced(const Scenario& scenario) {
  TracedRun run;
  RunOptions options;
  options.trace = [&run](const TraceEvent& e) { run.events.push_back(e); };
  run.result = simulate(scenario, options);
  return run;
}

} // namespace apq::test
