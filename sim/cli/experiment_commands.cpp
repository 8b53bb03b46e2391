// apqsim compare, sweep and merge: experiments of many runs, each run in a forked child.

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
#include <unistd.h>

namespace apq::cli {

int compare_command(const CompareCommandOptions& options) {
  CompareSpec spec;
  try {
    spec = read_compare_spec(options.file);
    if (options.replications) {
      if (*options.replications < 2)
        throw ConfigError("--replications " + std::to_string(*options.replications), "at least 2 for a comparison");
      spec.replications = *options.replications;
    }
    for (const Variant& variant : spec.variants)
      load_scenario(options.file, variant.overrides); // every variant must be valid before anything runs
    check_writable_destination(options.json_file, "--json");
    check_writable_destination(options.csv_file, "--csv");
    check_writable_destination(options.report_file, "--report");
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  ProgressLine progress(options.quiet);
  const std::string what = "compare " + std::to_string(spec.variants.size()) + " variants:";
  experiment.progress = [&](std::size_t done, std::size_t total) { progress.count(what, done, total); };
  const CompareResult result = run_compare(options.file, spec, experiment);
  progress.clear();
  const Json document = compare_json(result);
  if (!options.json_file.empty())
    write_file_atomically(options.json_file, document.dump(2) + "\n");
  if (!options.csv_file.empty())
    write_file_atomically(options.csv_file, compare_csv(result));
  if (!options.report_file.empty() && !write_report(document, options.report_file, "--report"))
    return kExitUsage;
  if (!options.quiet)
    std::cout << compare_table(result);
  return kExitOk;
}

int sweep_command(const SweepCommandOptions& options) {
  SweepSpec spec;
  std::pair<std::size_t, std::size_t> shard{1, 1};
  try {
    spec = read_sweep_spec(options.file);
    if (!options.shard.empty())
      shard = parse_shard(options.shard);
    check_writable_destination(options.report_file, "--report");
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  ProgressLine progress(options.quiet);
  const SweepRun run = run_sweep(
      options.file, spec, options.out_dir, shard, experiment,
      [&progress](std::size_t done, std::size_t total, double) { progress.count("sweep:", done, total, "points"); });
  progress.clear();
  // The merged results are there once every point of the sweep is (this run, or the last shard into this directory).
  const std::filesystem::path merged = std::filesystem::path(options.out_dir) / "results.json";
  Json results;
  if (std::filesystem::exists(merged)) {
    std::ifstream in(merged);
    results = Json::parse(in);
  }
  if (!options.quiet) {
    std::cout << "sweep " << options.file << " (shard " << shard.first << "/" << shard.second << "): " << run.points_run
              << " points run, " << run.points_skipped << " already done, of " << run.points_in_shard
              << " in this shard (" << spec.points.size() << " in the sweep) -> " << options.out_dir << "\n";
    if (!results.is_null())
      std::cout << "\n" << sweep_table(results);
  }
  if (!options.report_file.empty()) {
    if (results.is_null()) {
      std::cerr << "--report " << options.report_file << ": not written: points of other shards are missing; once "
                << "every point is there: apqsim report " << merged.string() << " -o " << options.report_file << "\n";
      return kExitOk;
    }
    if (!write_report(results, options.report_file, "--report"))
      return kExitUsage;
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
  } catch (const std::exception& e) {
    std::cerr << "apqsim merge: error: " << e.what() << "\n";
    return kExitUsage;
  }
}

int analytic_command(const AnalyticCommandOptions& options) {
  try {
    const Scenario scenario = load_scenario(options.scenario.file, overrides_of(options.scenario));
    check_writable_destination(options.json_file, "--json");
    const std::string text = analytic_report_text(scenario);
    if (!options.json_file.empty())
      write_file_atomically(options.json_file, analytic_report_json(scenario).dump(2) + "\n");
    std::cout << text;
    return kExitOk;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
  } catch (const AnalyticUnsupported& e) {
    std::cerr << options.scenario.file << ": error: " << e.what() << "\n";
  }
  return kExitUsage;
}

int plan_command(const PlanCommandOptions& options) {
  PlanSpec spec;
  try {
    spec = read_plan_spec(options.file);
    check_writable_destination(options.json_file, "--json");
    check_writable_destination(options.report_file, "--report");
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = spec.confidence;
  ProgressLine progress(options.quiet);
  std::string candidate; // the one being judged, for the progress line
  experiment.progress = [&](std::size_t done, std::size_t total) { progress.count(candidate, done, total); };
  const PlanResult result = run_plan(options.file, spec, experiment, [&](std::size_t position, const PlanCandidate& c) {
    candidate = "plan: candidate " + std::to_string(position + 1) + " of at most " +
                std::to_string(spec.candidates.size()) + " (" + c.label + "):";
    progress.restart();
    progress.show(candidate, true);
  });
  progress.clear();
  const Json document = plan_json(result);
  if (!options.json_file.empty())
    write_file_atomically(options.json_file, document.dump(2) + "\n");
  if (!options.report_file.empty() && !write_report(document, options.report_file, "--report"))
    return kExitUsage;
  if (!options.quiet)
    std::cout << plan_report(result);
  return kExitOk;
}

} // namespace apq::cli
