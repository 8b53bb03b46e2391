#pragma once
// The apqsim subcommands, each a function from parsed options to an exit code
// (0 ran; 1 ran and a monitor found a violation the scenario did not expect; 2 usage or config error).

#include "analysis/report.hpp"
#include "sim/scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace apq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitUsage = 2;

struct ScenarioOptions {
  std::string file;
  std::vector<std::string> set; ///< --set PATH=VALUE overrides, applied after includes
  std::optional<uint64_t> seed; ///< --seed, same as --set run.seed=N
};

struct RunCommandOptions {
  ScenarioOptions scenario;
  std::string json_file;
  std::string trace_file;
  std::string timeline_file;   ///< --timeline: Chrome trace-event JSON (Perfetto)
  std::string timeseries_file; ///< --timeseries: the series in long-format CSV
  std::string report_file;     ///< --report: the HTML report
  bool quiet = false;
  std::vector<std::string> simgrid_args;
  std::optional<int> replications; ///< --replications, else [run] replications
  int jobs = 1;                    ///< --jobs: children at once
};

struct CompareCommandOptions {
  std::string file;
  std::string json_file;
  std::string csv_file;
  std::string report_file;
  std::optional<int> replications;
  int jobs = 1;
  bool quiet = false;
};

struct SweepCommandOptions {
  std::string file;
  std::string out_dir;
  std::string report_file;
  std::string shard;
  int jobs = 1;
  bool quiet = false;
};

struct MergeCommandOptions {
  std::vector<std::string> dirs;
  std::string out_dir;
};

struct AnalyticCommandOptions {
  ScenarioOptions scenario;
  std::string json_file;
};

struct PlanCommandOptions {
  std::string file;
  std::string json_file;
  std::string report_file;
  int jobs = 1;
  bool quiet = false;
};

struct ReportCommandOptions {
  std::string result;      ///< a result JSON file, or a sweep's output directory
  std::string output_file; ///< -o
};

int run_command(const RunCommandOptions& options);
int check_command(const ScenarioOptions& options);
int list_command(const std::string& kind);
int compare_command(const CompareCommandOptions& options);
int sweep_command(const SweepCommandOptions& options);
int merge_command(const MergeCommandOptions& options);
int analytic_command(const AnalyticCommandOptions& options);
int plan_command(const PlanCommandOptions& options);
int report_command(const ReportCommandOptions& options);

// Shared by the commands (commands.cpp).
std::vector<ConfigOverride> overrides_of(const ScenarioOptions& options);
/** Fails before a long run, not after, when the result could not be written. */
void check_writable_destination(const std::string& file, const std::string& flag);
/** The default of --jobs: every core. */
int default_jobs();
/** Writes the HTML report of `document` to `file` (given by `flag`); false (after saying why) if it could not. */
bool write_report(const Json& document, const std::string& file, const std::string& flag);

} // namespace apq::cli
