#pragma once
// One simulation run: a fresh SimGrid engine, the world built from a scenario, run to the horizon.
// SimGrid allows one engine per process: call this once per process (a forked child for sweeps and baselines).

#include "analysis/run_result.hpp"
#include "sim/control/control_plane.hpp"
#include "sim/data_plane/attribution.hpp"
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
  /** The baseline: the same scenario with reconfiguration disabled. */
  bool baseline = false;
  /** With `baseline`: every request's latency goes there, for a reconfigured run to pair with. */
  BaselineLatencies* latencies_out = nullptr;
  /** A reconfigured run compared with its baseline, run before it (run_baseline): requests are paired with their
   * own latency there, thresholds and time to recover come from its figures and series. */
  const BaselineRun* pair_with = nullptr;
  /** Tests: zcrypt's queue selection by the kernel's full pass only, without the selection index. */
  bool scan_picks = false;
};

RunResult simulate(const Scenario& scenario, const RunOptions& options = {});

/** Simulates the baseline of a reconfigured scenario (same seeds, no reconfiguration) and returns it as
 * BaselineRun::encode() bytes: the job of a forked child, before the reconfigured run. */
std::string run_baseline(const Scenario& scenario, const std::vector<std::string>& simgrid_args);
/** Throws ConfigError naming a --cfg/--log item SimGrid refuses (tried in a forked child: one engine per process),
 *  so that a bad item fails before any run rather than in every child. */
void check_simgrid_args(const std::vector<std::string>& simgrid_args);

/** The manifest of a result of this scenario: version, commit, SimGrid version, config hash, seed, config. */
Manifest make_manifest(const Scenario& scenario);

} // namespace apq
