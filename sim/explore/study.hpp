#pragma once
// `apqsim explore FILE`: one scenario's timeline under one or more strategies, each explored (explorer.hpp), the
// outcome classes numbered across strategies so that one table shows which strategy reaches which outcome, and
// the results written for people (text), for programs (JSON) and for `apqsim run` (one reproducer per class).
//
// The strategies, bounds and expectations come from the command line or from the scenario's [explore] table:
//   [explore]
//   strategies = ["naive-mutex", "v12-trylock", "ordered", "linux-6.1", "linux-6.13"]   # names or files
//   preemptions = 2          # optional bound
//   max_schedules = 1000000  # optional bound
//   respect_times = false
//   [explore.expect]         # violations a strategy may reach without failing the command; else [run] expect
//   naive-mutex = ["deadlock", "lock_order_inversion"]

#include "analysis/report.hpp"
#include "sim/explore/explorer.hpp"
#include "sim/scenario/scenario.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace apq {

struct ExploreRequest {
  std::filesystem::path file;
  std::vector<ConfigOverride> overrides; ///< --set, --seed
  std::vector<std::string> strategies;   ///< --strategy: names or files (relative to the working directory)
  std::optional<int> preemptions;        ///< --preemptions
  std::optional<uint64_t> max_schedules; ///< --max-schedules
  bool respect_times = false;            ///< --respect-times
};

/** One strategy's exploration. */
struct StrategyExploration {
  std::string label;               ///< the strategy as the user named it
  std::vector<std::string> expect; ///< violations it may reach
  ExploreResult result;
  std::vector<int> class_ids;                      ///< for result.classes[k]: its number across strategies (1-based)
  std::vector<std::vector<WitnessStep>> witnesses; ///< for result.classes[k]: its shortest witness, narrated
  std::vector<std::string> unexpected;             ///< violations it reaches that it may not
  std::vector<std::string> reproducers;            ///< for result.classes[k]: the file --emit wrote
  std::shared_ptr<const Scenario> scenario;        ///< the scenario under this strategy
};

struct ExploreStudy {
  std::filesystem::path file;
  Manifest manifest;
  ExploreOptions limits;
  std::vector<Outcome> classes; ///< numbered 1.. in order of first appearance
  std::vector<StrategyExploration> strategies;
  std::vector<std::string> warnings;
  bool unexpected() const;
};

/** Reads the scenario and its [explore] table, explores under each strategy; `progress` hears of each strategy
 *  as it starts. Bad input throws ConfigError (file:line:col, or the flag). */
/** `progress` is told each strategy before it is explored, `states` the states its search found so far, now and
 *  then. */
ExploreStudy run_explore(const ExploreRequest& request, const std::function<void(const std::string&)>& progress = {},
                         const std::function<void(uint64_t states)>& states = {});

/** The report: per strategy the search figures and each outcome class with its shortest witness (condensed to the
 *  switches between operations and the steps that matter, unless `full_witness`); then strategies x classes. */
std::string explore_text(const ExploreStudy& study, bool full_witness);

/** The JSON document (configs/README.md, "apqsim explore: the JSON result"). */
Json explore_json(const ExploreStudy& study);

/** Writes one reproducer per strategy and outcome class into `dir` (created if missing): a scenario with a
 *  [replay] table that `apqsim run` follows to that outcome. Records the file names in the study. */
void emit_reproducers(ExploreStudy& study, const std::filesystem::path& dir);

} // namespace apq
