// apqsim: parse the command line, hand over to a subcommand. CLI11 owns argv; SimGrid gets a private one.

#include "sim/build_info.hpp"
#include "sim/cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace {

void add_scenario_options(CLI::App& command, apq::cli::ScenarioOptions& options) {
  command.add_option("file", options.file, "Scenario file (TOML); see configs/README.md")->required();
  command.add_option("--set", options.set,
                     "Override a config key after includes, e.g. --set run.horizon='\"60s\"' or "
                     "--set guests.0.arrival.rate='\"5k/s\"' (repeatable; the value is TOML, a bare word is a "
                     "string)");
  command.add_option("--seed", options.seed, "Run seed (same as --set run.seed=N)");
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"apqsim: discrete-event simulator of IBM Z AP crypto cards shared by KVM guests through vfio_ap.\n"
               "Simulated cards serve guest request streams; apqsim reports throughput and tail latency.",
               "apqsim"};
  app.set_version_flag("--version", std::string("apqsim ") + apq::kApqsimVersion + " (" + apq::kApqsimGitCommit + ")");
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ran; 1 ran and a monitor found a violation the scenario did not expect; 2 usage or "
             "config error.\nExamples:\n  apqsim run configs/quickstart.toml\n  apqsim run configs/quickstart.toml "
             "--json out.json --seed 7\n  apqsim run configs/seed/abba-deadlock.toml\n  apqsim run "
             "configs/quickstart.toml --replications 10\n  apqsim compare configs/compare/locking-strategies.toml\n"
             "  apqsim sweep configs/sweeps/reconfig-rate.toml --out results/\n"
             "  apqsim compare configs/compare/locking-strategies.toml --report compare.html\n"
             "  apqsim run configs/seed/abba-deadlock.toml --timeline abba.json   (open in ui.perfetto.dev)\n"
             "  apqsim report out.json -o out.html\n  apqsim check my-scenario.toml\n"
             "  apqsim list cards");

  apq::cli::RunCommandOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Simulate one scenario; print a summary, optionally write JSON");
  add_scenario_options(*run_cmd, run.scenario);
  run_cmd->add_option("--json", run.json_file, "Write the full result (with its manifest) to this JSON file");
  run_cmd->add_option("--trace", run.trace_file,
                      "Write every request event (issue, send, start, done, collect, fail, ...) and every "
                      "control-plane step (op start/end, lock request/acquire/release, with the strategy's "
                      "file:line) to this CSV file");
  run_cmd->add_option("--timeline", run.timeline_file,
                      "Write a timeline of operations, lock waits and holds, and per-guest counters in the Chrome "
                      "trace-event format (open it in ui.perfetto.dev or chrome://tracing)");
  run_cmd->add_option("--timeseries", run.timeseries_file,
                      "Write the time series per guest (and the baseline's) as long-format CSV");
  run_cmd->add_option("--report", run.report_file, "Write an HTML report (one self-contained file) of the result");
  run_cmd->add_flag("-q,--quiet", run.quiet, "Print nothing on success");
  run_cmd
      ->add_option("--replications", run.replications,
                   "Independent replications (seeds seed, seed+1, ...): every figure gets a confidence interval "
                   "(default: [run] replications)")
      ->check(CLI::Range(1, 100000));
  run.jobs = apq::cli::default_jobs();
  run_cmd->add_option("--jobs,-j", run.jobs, "Runs at once, each in a forked child (default: all cores)")
      ->check(CLI::Range(1, 1024));
  std::vector<std::string> sg_cfg, sg_log;
  run_cmd->add_option("--cfg", sg_cfg, "SimGrid configuration item, e.g. contexts/factory:raw (repeatable)");
  run_cmd->add_option("--log", sg_log, "SimGrid log setting, e.g. root.thres:info (repeatable)");

  apq::cli::CompareCommandOptions compare;
  CLI::App* compare_cmd = app.add_subcommand(
      "compare", "One workload under several variants (strategies, retry policies): a table with paired intervals");
  compare_cmd->add_option("file", compare.file, "Experiment file with a [compare] table")->required();
  compare_cmd->add_option("--json", compare.json_file, "Write the comparison (figures, paired differences) as JSON");
  compare_cmd->add_option("--csv", compare.csv_file, "Write every run's figures as long-format CSV");
  compare_cmd->add_option("--report", compare.report_file, "Write an HTML report of the comparison");
  compare_cmd->add_option("--replications", compare.replications, "Replications per variant ([compare] replications)");
  compare.jobs = apq::cli::default_jobs();
  compare_cmd->add_option("--jobs,-j", compare.jobs, "Runs at once (default: all cores)")->check(CLI::Range(1, 1024));
  compare_cmd->add_flag("-q,--quiet", compare.quiet, "Print nothing on success");

  apq::cli::SweepCommandOptions sweep;
  CLI::App* sweep_cmd = app.add_subcommand(
      "sweep", "Factors over config keys (grid, zip or list), replicated; resumable, shardable across a cluster");
  sweep_cmd->add_option("file", sweep.file, "Experiment file with a [sweep] table")->required();
  sweep_cmd->add_option("--out,-o", sweep.out_dir, "Output directory (one JSON per point, merged results)")->required();
  sweep_cmd->add_option("--report", sweep.report_file, "Write an HTML report of the sweep once every point is there");
  sweep_cmd->add_option("--shard", sweep.shard, "Run only slice i of n (i/n, 1-based), e.g. $SLURM_ARRAY_TASK_ID/8");
  sweep.jobs = apq::cli::default_jobs();
  sweep_cmd->add_option("--jobs,-j", sweep.jobs, "Runs at once (default: all cores)")->check(CLI::Range(1, 1024));
  sweep_cmd->add_flag("-q,--quiet", sweep.quiet, "Print nothing on success");

  apq::cli::MergeCommandOptions merge;
  CLI::App* merge_cmd = app.add_subcommand("merge", "Join the output directories of a sweep's shards");
  merge_cmd->add_option("dirs", merge.dirs, "Shard output directories")->required();
  merge_cmd->add_option("--out,-o", merge.out_dir, "Where to write results.{csv,json} (default: the first dir)");

  apq::cli::AnalyticCommandOptions analytic;
  CLI::App* analytic_cmd = app.add_subcommand(
      "analytic", "Queueing models of a scenario without reconfiguration (Erlang C, CTMCs, Allen-Cunneen)");
  add_scenario_options(*analytic_cmd, analytic.scenario);
  analytic_cmd->add_option("--json", analytic.json_file, "Write the models' figures as JSON");

  apq::cli::PlanCommandOptions plan;
  CLI::App* plan_cmd = app.add_subcommand(
      "plan", "Smallest resources (the factors the file names) meeting p99 / loss SLOs under reconfiguration");
  plan_cmd->add_option("file", plan.file, "Experiment file with a [plan] table")->required();
  plan_cmd->add_option("--json", plan.json_file, "Write every candidate's verdicts and figures as JSON");
  plan_cmd->add_option("--report", plan.report_file, "Write an HTML report of the candidates and their verdicts");
  plan.jobs = apq::cli::default_jobs();
  plan_cmd->add_option("--jobs,-j", plan.jobs, "Runs at once (default: all cores)")->check(CLI::Range(1, 1024));
  plan_cmd->add_flag("-q,--quiet", plan.quiet, "Print nothing on success");

  apq::cli::ReportCommandOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "HTML report of a result written before (run --json, compare --json, plan --json, a sweep's "
                "results.json): one self-contained file, charts drawn by Chart.js, viewable offline");
  report_cmd->add_option("result", report.result, "Result JSON file, or a sweep's output directory")->required();
  report_cmd->add_option("-o,--output", report.output_file, "The HTML file to write")->required();

  apq::cli::ScenarioOptions check;
  CLI::App* check_cmd = app.add_subcommand("check", "Validate a scenario without running it");
  add_scenario_options(*check_cmd, check);

  std::string list_kind = "all";
  CLI::App* list_cmd = app.add_subcommand("list", "List the models you can name in a scenario, with parameters");
  list_cmd->add_option("kind", list_kind, "What to list")
      ->check(CLI::IsMember({"all", "cards", "distributions", "workloads", "operations", "strategies", "retry"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e); // prints help, version, or the error naming the flag
    return code == 0 ? apq::cli::kExitOk : apq::cli::kExitUsage;
  }

  if (*run_cmd) {
    for (const std::string& item : sg_cfg)
      run.simgrid_args.push_back("--cfg=" + item);
    for (const std::string& item : sg_log)
      run.simgrid_args.push_back("--log=" + item);
    return apq::cli::run_command(run);
  }
  if (*check_cmd)
    return apq::cli::check_command(check);
  if (*compare_cmd)
    return apq::cli::compare_command(compare);
  if (*sweep_cmd)
    return apq::cli::sweep_command(sweep);
  if (*merge_cmd)
    return apq::cli::merge_command(merge);
  if (*plan_cmd)
    return apq::cli::plan_command(plan);
  if (*analytic_cmd)
    return apq::cli::analytic_command(analytic);
  if (*report_cmd)
    return apq::cli::report_command(report);
  return apq::cli::list_command(list_kind);
}
