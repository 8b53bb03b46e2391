#pragma once
// apqsim plan: the smallest resources (the factors the plan names: cards, domains, engines...) that meet the SLOs
// under a workload and a reconfiguration schedule. A capacity bound brackets the search (a candidate whose offered
// work exceeds its cards' capacity cannot meet any SLO), replicated simulation judges the rest.
//
// A latency SLO "p99 <= 1 ms" is judged as what it means, P(T > 1 ms) <= 1%: the fraction of requests slower than
// 1 ms, a mean over replications with a valid interval (tail_statistics.hpp). Each SLO gets one of three verdicts:
// meets (the whole interval within it), fails (the whole interval beyond it), undecided (the interval straddles
// it: the replications likely needed to decide are given). The SLOs of a candidate are judged together, each at
// level 1 - (1 - confidence) / k for k SLOs (Bonferroni), so that "meets all" holds at the stated confidence.
// SLOs are measured over the measured period of each replication (warm-up to horizon), reconfiguration included.

#include "sim/experiment/experiment.hpp"

#include <cmath>
#include <filesystem>
#include <optional>

namespace apq {

struct PlanCandidate {
  std::size_t index = 0;
  double cost = 0;                       ///< sum of the factors' value positions: what "smaller" means
  std::vector<ConfigOverride> overrides; ///< the factor values
  std::string label;                     ///< "cards.0.ids=0x00-0x01, ..."
};

/** One service-level objective: a latency quantile, the completed-request deficit against the baseline (loss), or
 * the fraction of requests failed, over all guests, one guest, or a group of guests taken together. */
struct Slo {
  enum class Kind { quantile, loss, failed };
  Kind kind = Kind::quantile;
  std::string scope;               ///< "all", "guest web", "group frontends"
  std::vector<std::string> guests; ///< the guests whose requests count; empty: all
  double quantile = 0.99;          ///< for Kind::quantile
  double limit = 0;                ///< seconds (quantile), or a fraction
  std::string label() const;       ///< "web p99 <= 1ms"
  /** The fraction a verdict estimates: "P(T > 1ms)", "completed-request deficit", "failed fraction". */
  std::string measure() const;
};

struct PlanSpec {
  std::vector<PlanCandidate> candidates; ///< sorted by cost, then by order
  std::vector<Slo> slos;
  int replications = 10;
  double confidence = 0.95;
};

/** Reads [plan]. `slo` holds the SLOs over all guests (p50, p90, p99, p999 as durations; loss and failed as
 * fractions), `slo.guests.NAME` per guest, where NAME may be a pattern with * and ? applying to every guest it
 * matches, and `slo.groups.NAME` with `guests = [names or patterns]` over those guests' requests together. */
PlanSpec read_plan_spec(const std::filesystem::path& file);

/** One SLO judged on one candidate. */
struct SloVerdict {
  const Slo* slo = nullptr;
  enum class Verdict { meets, fails, undecided, not_applicable };
  Verdict verdict = Verdict::undecided;
  double estimate = 0; ///< the fraction above the limit (quantile SLOs), or the figure
  double lower = 0, upper = 0;
  double compared_with = 0;                       ///< 1 - q for quantile SLOs, the limit otherwise
  std::optional<std::size_t> replications_needed; ///< undecided: about how many would decide
  double tail_samples = INFINITY;      ///< quantile SLOs: fewest requests one replication is expected to have above x
  double effective_samples = INFINITY; ///< quantile SLOs: R / cv^2 of the replications' fractions above x
  std::string text;                    ///< one line for people
};

struct CandidateOutcome {
  const PlanCandidate* candidate = nullptr;
  bool bracketed_out = false; ///< skipped: over capacity
  std::string bracket_reason;
  bool simulated = false;
  SloVerdict::Verdict verdict = SloVerdict::Verdict::fails;
  std::optional<std::size_t> replications_needed; ///< undecided: the most any SLO needs
  std::vector<SloVerdict> verdicts;
  std::map<std::string, ConfidenceInterval> intervals;
  std::vector<StatWarning> warnings;
  std::size_t replications = 0;
};

struct PlanResult {
  std::filesystem::path file;
  PlanSpec spec;
  double warmup = 0, horizon = 0;
  std::vector<CandidateOutcome> outcomes;            ///< in search order
  const CandidateOutcome* answer = nullptr;          ///< the smallest that meets
  const CandidateOutcome* nearest_failing = nullptr; ///< the largest that fails before it
  std::vector<const CandidateOutcome*> undecided;    ///< undecided ones before the answer
};

/** Judges the candidates smallest first, until one meets the SLOs; `on_candidate` is told each candidate (with its
 *  position in the search) before it is judged. */
PlanResult run_plan(const std::filesystem::path& file, const PlanSpec& spec, const ExperimentOptions& options,
                    const std::function<void(std::size_t, const PlanCandidate&)>& on_candidate = {});
std::string plan_report(const PlanResult& result);
Json plan_json(const PlanResult& result);
/** Statistical warnings of every simulated candidate (and too few replications), for stderr. */
std::vector<StatWarning> plan_warnings(const PlanResult& result);

} // namespace apq
