#pragma once
// One simulation run: a fresh SimGrid engine, the world built from a scenario, run to the horizon.
// SimGrid allows one engine per process: call this once per process (a forked child for sweeps and baselines).

#include "analysis/run_result.hpp"
#include "sim/control/control_plane.hpp"
#include "sim/data_plane/trace.hpp"
#include "sim/scenario/scenario.hpp"

#include <functional>
#include <string>
#include <vector>

namespace apq {

struct RunOptions {
  std::vector<std::string> simgrid_args;    ///< "--cfg=..." / "--log=..." items, passed to SimGrid untouched
  TraceSink trace;                          ///< receives every request event when set
  ControlTraceSink control_trace;           ///< receives every control-plane step when set
  std::function<void(double now)> progress; ///< told the simulated time now and then (a progress line)
  /** The baseline: the same scenario with reconfiguration disabled, measuring latency inside these windows (the
   * reconfigured run's) as well. */
  bool baseline = false;
  std::vector<std::pair<double, double>> baseline_windows;
};

RunResult simulate(const Scenario& scenario, const RunOptions& options = {});

/** The manifest of a result of this scenario: version, commit, SimGrid version, config hash, seed, config. */
Manifest make_manifest(const Scenario& scenario);

} // namespace apq
