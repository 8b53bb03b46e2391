// apqsim compare, sweep and merge: experiments of many runs, each run in a forked child.

#include "analysis/output_file.hpp"
#include "analysis/report.hpp"
#include "models/config_node.hpp"
#include "models/units.hpp"
#include "sim/cli/commands.hpp"
#include "sim/experiment/analytic_report.hpp"
#include "sim/experiment/compare.hpp"
#include "sim/experiment/plan.hpp"
#include "sim/experiment/sweep.hpp"

#include <iostream>
#include <unistd.h>

namespace apq::cli {

int compare_command(const CompareCommandOptions& options) {
  CompareSpec spec = read_compare_spec(options.file);
  if (options.replications) {
    if (*options.replications < 2)
      throw ConfigError("--replications " + std::to_string(*options.replications), "at least 2 for a comparison");
    spec.replications = *options.replications;
  }
  check_compare_variants(options.file, spec); // every variant must be valid before anything runs
  for (const Variant& variant : spec.variants)
    for (const StatWarning& w : overload_warnings(load_scenario(options.file, variant.overrides)))
      std::cerr << "apqsim: warning: variant " << variant.name << ": " << w.message << "\n";
  check_replications(spec.replications, load_scenario(options.file), "--replications");
  check_writable_destination(options.json_file, "--json");
  check_writable_destination(options.csv_file, "--csv");
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  const CompareResult result = run_compare(options.file, spec, experiment);
  if (!options.quiet)
    std::cout << compare_table(result) << std::flush;
  for (std::size_t v = 0; v < result.figures.size(); ++v)
    for (const StatWarning& w : result.figures[v].warnings)
      std::cerr << "apqsim: warning: " << spec.variants[v].name << ": " << (w.figure.empty() ? "" : w.figure + ": ")
                << w.message << "\n";
  if (!options.json_file.empty())
    write_output_file(options.json_file, compare_json(result).dump(2) + "\n", "--json");
  if (!options.csv_file.empty())
    write_output_file(options.csv_file, compare_csv(result), "--csv");
  if (!result.incomplete.empty()) {
    std::cerr << "apqsim: incomplete: " << result.spec.replications
              << " replications per variant completed and are reported (" << result.incomplete << ")\n";
    return incomplete_exit_code(result.signal);
  }
  if (result.unexpected.empty())
    return kExitOk;
  std::cerr << "apqsim: the monitors found violations the variants do not expect ([run] expect = [...] declares "
               "expected violations):\n";
  for (const std::string& u : result.unexpected)
    std::cerr << "  " << u << "\n";
  return kExitViolation;
}

int sweep_command(const SweepCommandOptions& options) {
  const SweepSpec spec = read_sweep_spec(options.file);
  std::pair<std::size_t, std::size_t> shard{1, 1};
  if (!options.shard.empty())
    shard = parse_shard(options.shard);
  check_replications(spec.replications, load_scenario(options.file), "[sweep] replications");
  prepare_output_directory(options.out_dir, "--out");
  for (const SweepPoint& point : spec.points)
    for (const StatWarning& w : overload_warnings(load_scenario(options.file, point.overrides)))
      std::cerr << "apqsim: warning: point " << point.index << ": " << w.message << "\n";
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  // A progress line on a terminal only: logs and CI get the final line alone.
  const bool terminal = ::isatty(STDERR_FILENO) && !options.quiet;
  auto progress = [terminal](std::size_t done, std::size_t total, double elapsed) {
    if (!terminal)
      return;
    const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total - done) : 0;
    std::cerr << "\r  points " << done << "/" << total << " done, ETA " << units::format_duration(eta) << "    "
              << std::flush;
  };
  const SweepRun run = run_sweep(options.file, spec, options.out_dir, shard, experiment, progress);
  if (terminal)
    std::cerr << "\n";
  if (!options.quiet)
    std::cout << "sweep " << options.file << " (shard " << shard.first << "/" << shard.second << "): " << run.points_run
              << " points run, " << run.points_skipped << " already done, of " << run.points_in_shard
              << " in this shard (" << spec.points.size() << " in the sweep) -> " << options.out_dir << "\n"
              << std::flush;
  std::cerr << warnings_text(run.warnings);
  return kExitOk;
}

int merge_command(const MergeCommandOptions& options) {
  std::vector<std::filesystem::path> dirs(options.dirs.begin(), options.dirs.end());
  const std::filesystem::path out = options.out_dir.empty() ? dirs.front() : std::filesystem::path(options.out_dir);
  try {
    const std::size_t points = merge_sweep(dirs, out);
    std::cout << "merged " << points << " points into " << out.string() << "/results.{csv,json}\n";
    return kExitOk;
  } catch (const IoError&) {
    throw;
  } catch (const std::runtime_error& e) { // directories that do not make one sweep
    std::cerr << "apqsim merge: error: " << e.what() << "\n";
    return kExitUsage;
  }
}

int analytic_command(const AnalyticCommandOptions& options) {
  const Scenario scenario = load_scenario(options.scenario.file, overrides_of(options.scenario));
  check_writable_destination(options.json_file, "--json");
  const std::string text = analytic_report_text(scenario);
  std::cout << text << std::flush;
  if (!options.json_file.empty())
    write_output_file(options.json_file, analytic_report_json(scenario).dump(2) + "\n", "--json");
  return kExitOk;
}

int plan_command(const PlanCommandOptions& options) {
  const PlanSpec spec = read_plan_spec(options.file);
  check_replications(spec.replications, load_scenario(options.file), "[plan] replications");
  check_writable_destination(options.json_file, "--json");
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  const PlanResult result = run_plan(options.file, spec, experiment);
  if (!options.quiet)
    std::cout << plan_report(result) << std::flush;
  if (!options.json_file.empty())
    write_output_file(options.json_file, plan_json(result).dump(2) + "\n", "--json");
  std::cerr << warnings_text(plan_warnings(result));
  return kExitOk;
}

} // namespace apq::cli
