#pragma once
// The apqsim subcommands, each a function from parsed options to an exit code. Failures are exceptions, turned
// into a message and an exit code in one place (exit_code_of_failure):
//   0 ran; 1 ran and a monitor found a violation the scenario did not expect; 2 usage or config error;
//   3 I/O or resource error (a file that cannot be written, a run that failed or died, a [limits] cap reached);
//   4 internal error (a bug); 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP).

#include "analysis/report.hpp"
#include "sim/scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace apq {
struct CompareSpec;
}

namespace apq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIo = 3;
inline constexpr int kExitInternal = 4;

/** The exit-code table, for --help and the README. */
inline constexpr const char* kExitCodeTable =
    "Exit codes: 0 ran; 1 ran and a monitor found a violation the scenario does not expect (explore: a schedule\n"
    "reaches one; run: a replay did not reproduce); 2 usage or config error; 3 I/O or resource error (cannot write a\n"
    "file, a run failed or died, a [limits] cap was reached); 4 internal error (please report it); 130/143/129\n"
    "stopped by SIGINT/SIGTERM/SIGHUP (complete results kept).";

/** Prints the failure in flight (call inside a catch block) naming its culprit, and returns its exit code. */
int exit_code_of_failure() noexcept;

struct ScenarioOptions {
  std::string file;
  std::vector<std::string> set; ///< --set PATH=VALUE overrides, applied after includes
  std::optional<int64_t> seed;  ///< --seed, same as --set run.seed=N
  std::string series_window;    ///< --series-window, same as --set run.series_window=...
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

struct ExploreCommandOptions {
  ScenarioOptions scenario;
  std::vector<std::string> strategies;
  std::optional<int> preemptions;
  std::optional<uint64_t> max_schedules;
  bool respect_times = false;
  std::string emit_dir;
  std::string json_file;
  std::string report_file;
  bool full_witness = false;
  bool quiet = false;
};

struct ReportCommandOptions {
  std::string result;      ///< a result JSON file, or a sweep's output directory
  std::string output_file; ///< -o
};

int run_command(const RunCommandOptions& options);
int explore_command(const ExploreCommandOptions& options);
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
/** Fails before a long run, not after, when the result could not be written (IoError naming the flag). */
void check_writable_destination(const std::string& file, const std::string& flag);
/** Writes the HTML report of `document` (any result report_kind() knows) to `file` through an OutputFile: whole or
 *  absent; IoError naming `flag` if it cannot. Nothing when `file` is empty. */
void write_report(const Json& document, const std::string& file, const std::string& flag);
/** A result document written earlier (--json, a sweep's results.json); ConfigError naming the file if it cannot be
 *  read or is not JSON. */
Json read_result_file(const std::string& file);
/** The default of --jobs: every core. */
int default_jobs();
/** A replication count from `flag` within [limits] replications (ConfigError naming the flag otherwise). */
void check_replications(int replications, const Scenario& scenario, const std::string& flag);
/** Warnings, on stderr, for cards offered more work than they can serve: their queues grow until [limits]
 *  in_flight stops the run. Returns how many cards are overloaded. */
int warn_overload(const Scenario& scenario);
/** Every variant of [compare] is a valid scenario, and no two are named alike or are the same scenario. */
void check_compare_variants(const std::string& file, const CompareSpec& spec);
/** Exit code of an experiment that kept only part of its runs: 128 + signal, or 3 for a failed run. */
int incomplete_exit_code(int signal);

} // namespace apq::cli
