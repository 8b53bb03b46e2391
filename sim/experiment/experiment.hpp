#pragma once
// Designed experiments on top of single runs: independent replications in forked children (one SimGrid engine
// each, parallel up to --jobs), each reconfigured run paired with its baseline (same seed, no reconfiguration, run
// first) request by request, figures gathered into confidence intervals. Replication r of any scenario uses seed
// (run.seed + r), so variants of one workload see the same requests: common random numbers by construction.

#include "analysis/figures.hpp"
#include "analysis/report.hpp"
#include "sim/scenario/scenario.hpp"

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {

struct ExperimentOptions {
  int jobs = 1;                                                      ///< children at once
  double confidence = 0.95;                                          ///< level of the intervals
  std::vector<std::string> simgrid_args;                             ///< passed to every run
  std::function<void(std::size_t done, std::size_t total)> progress; ///< after each finished run
};

/** One replication of one scenario: the run's document (compared with its baseline when it reconfigures) and its
 * figures by path. */
struct Replication {
  uint64_t seed = 0;
  Json result;
  std::map<std::string, double> figures;
};

/** Runs that did not all complete: a child failed or died, or a signal stopped them. complete() holds, per scenario,
 * the replications that did (with their baselines), in seed order; signal() is the signal, 0 for a failure. */
class IncompleteExperiment : public std::runtime_error {
public:
  IncompleteExperiment(const std::string& what, std::vector<std::vector<Replication>> complete, int signal)
      : std::runtime_error(what), complete_(std::move(complete)), signal_(signal) {}
  const std::vector<std::vector<Replication>>& complete() const { return complete_; }
  int signal() const { return signal_; }

private:
  std::vector<std::vector<Replication>> complete_;
  int signal_;
};

/** Called as soon as every replication of scenario `index` is in (seed order); it may move them out of `runs`. */
using ScenarioDone = std::function<void(std::size_t index, std::vector<Replication>& runs)>;

/** Runs replications [first, first + count) of every scenario; returns [scenario][replication]. All runs share one
 * pool of --jobs children. A reconfigured run pairs its requests with its baseline, run once per seed for all the
 * scenarios that differ only in their control plane (strategy, reconfiguration: compare's variants, a sweep's
 * points), just before the first run that needs it. Throws IncompleteExperiment, with the replications that
 * completed, when not all did. */
std::vector<std::vector<Replication>> run_replications(const std::vector<const Scenario*>& scenarios, std::size_t first,
                                                       std::size_t count, const ExperimentOptions& options,
                                                       const ScenarioDone& scenario_done = {});

/** When to stop adding replications (Law and Kelton, "Simulation Modeling and Analysis", §9.4.1: the sequential
 * procedure for a relative error gamma). Approximate: the interval of the replications where the rule stops covers
 * somewhat less often than its nominal level, which starting at 10 replications keeps small. */
struct StoppingRule {
  std::size_t replications = 1;     ///< at least (and, without a target, exactly) this many
  double target_relative_error = 0; ///< gamma; 0 = none. Stops when half-width <= gamma / (1 + gamma) x |mean|
  std::string target_metric = "summary.latency_s.mean";
  std::size_t min_replications = 10; ///< with a target, the rule looks at no fewer
  std::size_t max_replications = 100;
};

struct ReplicatedResult {
  std::vector<Replication> runs;
  ReplicatedFigures figures; ///< intervals, how they were made, warnings
  bool target_reached = true;
  double warmup = 0; ///< the warm-up used (detected by MSER-5 or as configured)
  bool warmup_detected = false;
  bool warmup_reliable = true;
  uint64_t pilot_seed = 0; ///< the MSER-5 pilot's seed, which no replication uses
  std::string incomplete;  ///< why fewer replications than asked are here (a failure, a signal); empty when complete
  int signal = 0;          ///< the signal that stopped it, if one did
  /** Shorthand for figures.intervals. */
  const std::map<std::string, ConfidenceInterval>& intervals() const { return figures.intervals; }
};

/** Replications of one scenario by the stopping rule; a warm-up of "mser5" ([run] warmup) is detected on a pilot
 * run first and then used for every replication. The result does not depend on options.jobs. When runs fail or a
 * signal stops them, the result holds the replications that completed and says why it is incomplete
 * (IncompleteExperiment if none did). */
ReplicatedResult replicate(const Scenario& scenario, const StoppingRule& rule, const ExperimentOptions& options);

/** The scenario with another seed: same configuration, streams seeded from `seed`. */
Scenario with_seed(const Scenario& scenario, uint64_t seed);

/** Runs are warned about when they measure fewer than this many times twice the latency's correlation time. */
inline constexpr double kMinIndependentStretches = 40;

/** Figures over replications with their warnings (summarize_replications), plus two checks of the runs' length:
 * against the latency's correlation time (too few independent stretches per run), and, for scenarios without
 * scripted reconfiguration, against the start-up transient (MSER-5 on each replication's whole series places its
 * end after the warm-up, for most replications). */
ReplicatedFigures summarize(const Scenario& scenario, const std::vector<Replication>& runs, double confidence);

/** The replication summary document of `apqsim run` with replications. */
Json replicated_json(const ReplicatedResult& result, const StoppingRule& rule, double confidence);
std::string replicated_summary(const Scenario& scenario, const ReplicatedResult& result, double confidence);

/** "apqsim: warning: FIGURE: MESSAGE" lines, for stderr. */
std::string warnings_text(const std::vector<StatWarning>& warnings);

/** Offered load against each card's capacity (capacity_utilization): a warning per card at or above 100%, whose
 * queue then grows without bound and whose figures describe a transient; empty when every card keeps up. */
std::vector<StatWarning> overload_warnings(const Scenario& scenario);

/** Offered work / capacity per card, from the card types' ratings and the guests' rates and mixes, each guest's
 * work spread over its usable cards in proportion to their capacity (zcrypt balances by weight). */
std::map<int, double> capacity_utilization(const Scenario& scenario);

} // namespace apq
