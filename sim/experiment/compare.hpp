#pragma once
// apqsim compare: one workload under several variants (strategies, retry policies, any override), replication r of
// every variant with the same seed (common random numbers), paired-difference intervals against the first variant.

#include "sim/experiment/experiment.hpp"

#include <filesystem>

namespace apq {

struct Variant {
  std::string name;
  std::vector<ConfigOverride> overrides;
};

struct CompareSpec {
  std::vector<Variant> variants;
  int replications = 5;
  double confidence = 0.95;
};

/** Reads [compare]: `strategies = [...]` (a variant each) and/or `[[compare.variants]]` with `name` and `set`. */
CompareSpec read_compare_spec(const std::filesystem::path& file);

/** One paired comparison of a table column: variant - reference, tested for a difference. */
struct PairedComparison {
  std::size_t variant = 0;
  std::string path;
  ConfidenceInterval difference; ///< at the Bonferroni-adjusted level
  double p_value = 1;            ///< paired t test of "no difference"
  bool different = false;        ///< rejected by Holm's step-down procedure at 1 - confidence familywise
};

struct CompareResult {
  std::filesystem::path file;
  CompareSpec spec;
  std::vector<Scenario> scenarios; ///< one per variant
  std::vector<std::vector<Replication>> runs;
  std::vector<ReplicatedFigures> figures;                        ///< per variant: intervals, methods, warnings
  std::vector<std::map<std::string, ConfidenceInterval>> paired; ///< variant - first variant, every figure, unadjusted
  /** The table's comparisons ((variants - 1) x columns), adjusted for their number: Holm for the tests, Bonferroni
   * for the intervals shown. */
  std::vector<PairedComparison> comparisons;
  std::size_t comparison_count = 0;
  double comparison_level = 0;         ///< each interval's level: 1 - (1 - confidence) / comparison_count
  std::vector<std::string> unexpected; ///< "variant: violation" found but not in the variant's [run] expect
  std::string incomplete; ///< why some replications are missing (a failed run, a signal); empty when complete
  int signal = 0;         ///< the signal that stopped the runs, if one did
};

/** A figure's differences, replication by replication (same seed), over the pairs where both runs have it: a run
 *  whose reconfiguration touched no request has no extra delay per request, and its pair is left out. */
std::vector<double> pair_differences(const std::vector<std::map<std::string, double>>& mine,
                                     const std::vector<std::map<std::string, double>>& theirs, const std::string& path);

CompareResult run_compare(const std::filesystem::path& file, const CompareSpec& spec, const ExperimentOptions& options);

Json compare_json(const CompareResult& result);
/** Long format: variant,replication,seed,metric,value. */
std::string compare_csv(const CompareResult& result);
std::string compare_table(const CompareResult& result);

} // namespace apq
