#pragma once
// apqsim plan: the smallest resources (the factors the plan names: cards, domains, engines...) that meet the SLOs
// (per-guest p99 and/or throughput loss) under a workload and a reconfiguration schedule. A capacity bound brackets
// the search (a candidate whose offered work exceeds its cards' capacity cannot meet any SLO), replicated
// simulation confirms, and an SLO counts as met only when its whole confidence interval is within it.

#include "sim/experiment/experiment.hpp"

#include <filesystem>

namespace apq {

struct PlanCandidate {
  std::size_t index = 0;
  double cost = 0;                       ///< sum of the factors' value positions: what "smaller" means
  std::vector<ConfigOverride> overrides; ///< the factor values
  std::string label;                     ///< "cards.0.ids=0x00-0x01, ..."
};

struct PlanSpec {
  std::vector<PlanCandidate> candidates;   ///< sorted by cost, then by order
  std::map<std::string, double> guest_p99; ///< guest -> SLO on its p99 latency, seconds
  double p99 = 0;                          ///< SLO on the overall p99, seconds (0 = none)
  double loss = -1;                        ///< SLO on the throughput loss (fraction; < 0 = none)
  int replications = 4;
  double confidence = 0.95;
};

PlanSpec read_plan_spec(const std::filesystem::path& file);

struct CandidateOutcome {
  const PlanCandidate* candidate = nullptr;
  bool bracketed_out = false; ///< skipped: over capacity
  std::string bracket_reason;
  bool simulated = false;
  bool meets = false;
  std::vector<std::string> verdicts; ///< one line per SLO
  std::map<std::string, ConfidenceInterval> intervals;
};

struct PlanResult {
  std::filesystem::path file;
  PlanSpec spec;
  std::vector<CandidateOutcome> outcomes; ///< in search order
  const CandidateOutcome* answer = nullptr;
  const CandidateOutcome* nearest_failing = nullptr;
};

/** Judges the candidates smallest first, until one meets the SLOs; `on_candidate` is told each candidate (with its
 *  position in the search) before it is judged. */
PlanResult run_plan(const std::filesystem::path& file, const PlanSpec& spec, const ExperimentOptions& options,
                    const std::function<void(std::size_t, const PlanCandidate&)>& on_candidate = {});
std::string plan_report(const PlanResult& result);
Json plan_json(const PlanResult& result);

/** Offered work / capacity per card, from the card types' ratings and the guests' rates and mixes, each guest's
 * work spread over its usable cards in proportion to their capacity (zcrypt balances by weight). */
std::map<int, double> capacity_utilization(const Scenario& scenario);

} // namespace apq
