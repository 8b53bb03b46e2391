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

struct CompareResult {
  std::filesystem::path file;
  CompareSpec spec;
  std::vector<Scenario> scenarios; ///< one per variant
  std::vector<std::vector<Replication>> runs;
  std::vector<std::map<std::string, ConfidenceInterval>> intervals;
  std::vector<std::map<std::string, ConfidenceInterval>> paired; ///< variant - first variant
  std::string incomplete; ///< why some replications are missing (a failed run, a signal); empty when complete
  int signal = 0;         ///< the signal that stopped the runs, if one did
};

CompareResult run_compare(const std::filesystem::path& file, const CompareSpec& spec, const ExperimentOptions& options);

Json compare_json(const CompareResult& result);
/** Long format: variant,replication,seed,metric,value. */
std::string compare_csv(const CompareResult& result);
std::string compare_table(const CompareResult& result);

} // namespace apq
