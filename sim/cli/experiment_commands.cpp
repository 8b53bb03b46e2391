// apqsim compare, sweep and merge: experiments of many runs, each run in a forked child.

#include "analysis/output_file.hpp"
#include "analysis/report.hpp"
#include "models/config_node.hpp"
#include "models/units.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/experiment/analytic_report.hpp"
#include "sim/experiment/compare.hpp"
#include "sim/experiment/plan.hpp"
#include "sim/experiment/sweep.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

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
  check_writable_destination(options.report_file, "--report");
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  ProgressLine progress(options.quiet);
  const std::string what = "compare " + std::to_string(spec.variants.size()) + " variants:";
  experiment.progress = [&progress, &what](std::size_t done, std::size_t total) { progress.count(what, done, total); };
  const CompareResult result = run_compare(options.file, spec, experiment);
  progress.clear();
  if (!options.quiet)
    std::cout << compare_table(result) << std::flush;
  for (std::size_t v = 0; v < result.figures.size(); ++v)
    for (const StatWarning& w : result.figures[v].warnings)
      std::cerr << "apqsim: warning: " << spec.variants[v].name << ": " << (w.figure.empty() ? "" : w.figure + ": ")
                << w.message << "\n";
  const Json document = compare_json(result);
  if (!options.json_file.empty())
    write_output_file(options.json_file, document.dump(2) + "\n", "--json");
  if (!options.csv_file.empty())
    write_output_file(options.csv_file, compare_csv(result), "--csv");
  write_report(document, options.report_file, "--report");
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
  check_writable_destination(options.report_file, "--report");
  for (const SweepPoint& point : spec.points)
    for (const StatWarning& w : overload_warnings(load_scenario(options.file, point.overrides)))
      std::cerr << "apqsim: warning: point " << point.index << ": " << w.message << "\n";
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  // A progress line on a terminal only: logs and CI get the final lines alone.
  ProgressLine progress(options.quiet);
  const SweepRun run = run_sweep(
      options.file, spec, options.out_dir, shard, experiment,
      [&progress](std::size_t done, std::size_t total, double) { progress.count("sweep:", done, total, "points"); });
  progress.clear();
  // The merged results are there once every point of the sweep is (this run, or the last shard into this directory).
  const std::filesystem::path merged = std::filesystem::path(options.out_dir) / "results.json";
  Json results;
  if (std::filesystem::exists(merged))
    results = read_result_file(merged.string());
  if (!options.quiet) {
    std::cout << "sweep " << options.file << " (shard " << shard.first << "/" << shard.second << "): " << run.points_run
              << " points run, " << run.points_skipped << " already done, of " << run.points_in_shard
              << " in this shard (" << spec.points.size() << " in the sweep) -> " << options.out_dir << "\n";
    if (!results.is_null())
      std::cout << "\n" << sweep_table(results);
    std::cout << std::flush;
  }
  std::cerr << warnings_text(run.warnings);
  if (!results.is_null())
    for (const auto& slo : spec.slo) {
      const std::string& path = slo.first; // not a structured binding: clang 14 cannot capture one in a lambda
      if (std::none_of(results["points"].begin(), results["points"].end(),
                       [&path](const Json& point) { return point["figures"].contains(path); }))
        std::cerr << "apqsim: warning: [sweep.slo] \"" << path
                  << "\" is no figure of the points: the report draws no SLO line for it (figure paths are the "
                     "metric column of results.csv)\n";
    }
  if (!options.report_file.empty()) {
    if (results.is_null()) {
      std::cerr << "apqsim: --report " << options.report_file << " not written: points of other shards are missing; "
                << "once every point is there: apqsim report " << merged.string() << " -o " << options.report_file
                << "\n";
      return kExitOk;
    }
    write_report(results, options.report_file, "--report");
  }
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
  check_writable_destination(options.report_file, "--report");
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  ProgressLine progress(options.quiet);
  std::string candidate; // the one being judged, for the progress line
  experiment.progress = [&progress, &candidate](std::size_t done, std::size_t total) {
    progress.count(candidate, done, total);
  };
  const PlanResult result = run_plan(options.file, spec, experiment, [&](std::size_t position, const PlanCandidate& c) {
    candidate = "plan: candidate " + std::to_string(position + 1) + " of at most " +
                std::to_string(spec.candidates.size()) + " (" + c.label + "):";
    progress.restart();
    progress.show(candidate, true);
  });
  progress.clear();
  if (!options.quiet)
    std::cout << plan_report(result) << std::flush;
  const Json document = plan_json(result);
  if (!options.json_file.empty())
    write_output_file(options.json_file, document.dump(2) + "\n", "--json");
  write_report(document, options.report_file, "--report");
  std::cerr << warnings_text(plan_warnings(result));
  return kExitOk;
}

} // namespace apq::cli
