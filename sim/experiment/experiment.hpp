#pragma once
// Designed experiments on top of single runs: independent replications in forked children (one SimGrid engine
// each, parallel up to --jobs), each reconfigured run paired with its baseline (same seed, no reconfiguration) for
// the throughput loss, figures gathered into confidence intervals. Replication r of any scenario uses seed
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

/** One replication of one scenario: the run's document (with its loss against its baseline added) and its
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

/** Runs replications [first, first + count) of every scenario; returns [scenario][replication]. Baselines are shared
 * between scenarios that differ only in their control plane (strategy, reconfiguration), which compare does.
 * Throws IncompleteExperiment, with the replications that completed, when not all did. */
std::vector<std::vector<Replication>> run_replications(const std::vector<const Scenario*>& scenarios, std::size_t first,
                                                       std::size_t count, const ExperimentOptions& options);

/** When to stop adding replications. */
struct StoppingRule {
  std::size_t replications = 1; ///< at least (and, without a target, exactly) this many
  double target_half_width = 0; ///< relative half-width of `target_metric` to reach; 0 = none
  std::string target_metric = "summary.latency_s.p99";
  std::size_t max_replications = 100;
};

struct ReplicatedResult {
  std::vector<Replication> runs;
  std::map<std::string, ConfidenceInterval> intervals;
  bool target_reached = true;
  double warmup = 0; ///< the warm-up used (detected by MSER-5 or as configured)
  bool warmup_detected = false;
  bool warmup_reliable = true;
  std::string incomplete; ///< why fewer replications than asked are here (a failure, a signal); empty when complete
  int signal = 0;         ///< the signal that stopped it, if one did
};

/** Replications of one scenario by the stopping rule; a warm-up of "mser5" ([run] warmup) is detected on a pilot
 * run first and then used for every replication. When runs fail or a signal stops them, the result holds the
 * replications that completed and says why it is incomplete (IncompleteExperiment if none did). */
ReplicatedResult replicate(const Scenario& scenario, const StoppingRule& rule, const ExperimentOptions& options);

/** The scenario with another seed: same configuration, streams seeded from `seed`. */
Scenario with_seed(const Scenario& scenario, uint64_t seed);

/** The replication summary document of `apqsim run` with replications. */
Json replicated_json(const ReplicatedResult& result, const StoppingRule& rule, double confidence);
std::string replicated_summary(const Scenario& scenario, const ReplicatedResult& result, double confidence);

} // namespace apq
