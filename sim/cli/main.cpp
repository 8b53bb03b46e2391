// apqsim: parse the command line, hand over to a subcommand. CLI11 owns argv; SimGrid gets a private one. Every
// failure comes back here as an exception and leaves with a message and an exit code (commands.hpp), never abort.

#include "models/suggest.hpp"
#include "sim/build_info.hpp"
#include "sim/cli/commands.hpp"
#include "sim/interrupt.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>

namespace {

/** The first word of the command line that is not an option: the subcommand the user meant. */
std::string first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-')
      return argv[i];
  return {};
}

/** An option the command does not know, with the closest ones it does; empty when every option is known. */
std::string unknown_option_message(const CLI::App& command, int argc, char** argv) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames())
      names.push_back("--" + name);
    for (const std::string& name : option->get_snames())
      names.push_back("-" + name);
  }
  bool after_command = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!after_command) {
      after_command = arg == command.get_name();
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9') || arg[1] == '.')
      continue; // a value, a negative number
    if (arg == "--")
      break;
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(names.begin(), names.end(), name) == names.end())
      return "apqsim " + command.get_name() +
             ": error: " + apq::with_suggestion("unknown option '" + name + "'", name, names) + " (apqsim " +
             command.get_name() + " --help lists them)";
  }
  return {};
}

void add_scenario_options(CLI::App& command, apq::cli::ScenarioOptions& options) {
  command.add_option("file", options.file, "Scenario file (TOML); see configs/README.md")->required();
  command.add_option("--set", options.set,
                     "Override a config key after includes, e.g. --set run.horizon='\"60s\"' or "
                     "--set guests.0.arrival.rate='\"5k/s\"' (repeatable; the value is TOML, a bare word is a "
                     "string)");
  command.add_option("--seed", options.seed, "Run seed, a non-negative integer (same as --set run.seed=N)");
}

} // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"apqsim: discrete-event simulator of IBM Z AP crypto cards shared by KVM guests through vfio_ap.\n"
               "Simulated cards serve guest request streams; apqsim reports throughput and tail latency.",
               "apqsim"};
  app.set_version_flag("--version", std::string("apqsim ") + apq::kApqsimVersion + " (" + apq::kApqsimGitCommit + ")");
  app.require_subcommand(1);
  app.footer(std::string(apq::cli::kExitCodeTable) +
             "\nExamples:\n  apqsim run configs/quickstart.toml\n  apqsim run configs/quickstart.toml "
             "--json out.json --seed 7\n  apqsim run configs/seed/abba-deadlock.toml\n  apqsim run "
             "configs/quickstart.toml --replications 10\n  apqsim compare configs/compare/locking-strategies.toml\n"
             "  apqsim sweep configs/sweeps/reconfig-rate.toml --out results/\n  apqsim explore "
             "configs/explore/abba-stolen.toml --emit repro/\n"
             "  apqsim compare configs/compare/locking-strategies.toml --report compare.html\n"
             "  apqsim run configs/seed/abba-deadlock.toml --timeline abba.json   (open it in ui.perfetto.dev)\n"
             "  apqsim report out.json -o out.html\n"
             "  apqsim check my-scenario.toml\n"
             "  apqsim list cards");

  apq::cli::RunCommandOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Simulate one scenario; print a summary, optionally write JSON");
  add_scenario_options(*run_cmd, run.scenario);
  run_cmd->add_option("--json", run.json_file, "Write the full result (with its manifest) to this JSON file");
  run_cmd->add_option("--trace", run.trace_file,
                      "Write every request event (issue, send, start, done, collect, fail, ...) and every "
                      "control-plane step (attempt, op start/end, lock request/acquire/release with the strategy's "
                      "file:line, ...) to this CSV file");
  run_cmd->add_option("--timeline", run.timeline_file,
                      "Write a timeline of operations, lock waits and holds, and per-guest counters in the Chrome "
                      "trace-event format (open it in ui.perfetto.dev or chrome://tracing)");
  run_cmd->add_option("--timeseries", run.timeseries_file,
                      "Write the per-guest time series (and the baseline's) as long-format CSV");
  run_cmd->add_option("--report", run.report_file, "Write an HTML report (one self-contained file) of the result");
  run_cmd->add_flag("-q,--quiet", run.quiet, "Print nothing on success");
  run_cmd->add_option("--series-window", run.scenario.series_window,
                      "Window of the per-guest time series in the JSON, e.g. 100ms (default: horizon / 500, rounded "
                      "down to 1, 2 or 5 x 10^k; same as --set run.series_window=...)");
  run_cmd->add_option("--replications", run.replications,
                      "Independent replications (seeds seed, seed+1, ...): every figure gets a confidence interval "
                      "(default: [run] replications)");
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

  apq::cli::ExploreCommandOptions explore;
  CLI::App* explore_cmd = app.add_subcommand(
      "explore", "Every interleaving of the timeline's operations: outcome classes with counts and shortest witnesses");
  add_scenario_options(*explore_cmd, explore.scenario);
  explore_cmd->add_option("--strategy", explore.strategies,
                          "Strategy to explore, a built-in name or a strategy file (repeatable; default: [explore] "
                          "strategies, else [run] strategy)");
  explore_cmd
      ->add_option("--max-schedules", explore.max_schedules,
                   "Stop once this many schedules are covered (the search is then bounded)")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  explore_cmd
      ->add_option("--preemptions", explore.preemptions,
                   "At most this many preemptions per schedule (a switch away from an operation that could "
                   "go on); bounded")
      ->check(CLI::Range(0, 1000));
  explore_cmd->add_flag("--respect-times", explore.respect_times,
                        "Keep the timeline's start times and the work steps' mean durations; interleave only steps "
                        "that fall at the same instant");
  explore_cmd->add_option("--emit", explore.emit_dir,
                          "Write one reproducer per strategy and outcome class into this directory (apqsim run "
                          "replays it to that outcome)");
  explore_cmd->add_option("--json", explore.json_file, "Write the result (classes, counts, witnesses) as JSON");
  explore_cmd->add_option("--report", explore.report_file,
                          "Write an HTML report of the outcome classes per strategy with their witnesses");
  explore_cmd->add_flag("-v,--full-witness", explore.full_witness, "Print every step of each witness");
  explore_cmd->add_flag("-q,--quiet", explore.quiet, "Print nothing on success");

  apq::cli::ReportCommandOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report", "HTML report of a result written before (run, compare, plan or explore --json, a sweep's "
                "results.json): one self-contained file, charts drawn by Chart.js, viewable offline");
  report_cmd->add_option("result", report.result, "Result JSON file, or a sweep's output directory")->required();
  report_cmd->add_option("-o,--output", report.output_file, "The HTML file to write")->required();

  apq::cli::ScenarioOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check",
      "Validate a scenario (with its [compare], [sweep] and [plan] tables) or a strategy file, without running "
      "it; warns about overloaded cards");
  add_scenario_options(*check_cmd, check);

  std::string list_kind = "all";
  CLI::App* list_cmd = app.add_subcommand("list", "List the models you can name in a scenario, with parameters");
  list_cmd->add_option("kind", list_kind, "What to list")
      ->check(CLI::IsMember({"all", "cards", "distributions", "workloads", "operations", "strategies", "retry"}));

  // A word that names no command: say which one was meant, before CLI11 says only that one is required.
  const std::string word = first_word(argc, argv);
  std::vector<std::string> commands;
  for (const CLI::App* command : app.get_subcommands({}))
    commands.push_back(command->get_name());
  if (!word.empty() && std::find(commands.begin(), commands.end(), word) == commands.end()) {
    std::string list;
    for (const std::string& name : commands)
      list += (list.empty() ? "" : ", ") + name;
    const std::string hint = apq::did_you_mean(word, commands);
    std::cerr << "apqsim: error: unknown command '" << word << "'; " << (hint.empty() ? "" : hint + " ")
              << "commands: " << list << " (apqsim --help)\n";
    return apq::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr)
      if (const CLI::App* command = word.empty() ? nullptr : app.get_subcommand(word)) {
        const std::string message = unknown_option_message(*command, argc, argv);
        if (!message.empty()) {
          std::cerr << message << "\n";
          return apq::cli::kExitUsage;
        }
      }
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
  if (*explore_cmd)
    return apq::cli::explore_command(explore);
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

int main(int argc, char** argv) {
  apq::interrupt::install();
  // Nothing may end in abort(): an exception that escapes a noexcept frame still gets a message and an exit code.
  std::set_terminate([] {
    const int code = std::current_exception() ? apq::cli::exit_code_of_failure() : apq::cli::kExitInternal;
    std::_Exit(code);
  });
  try {
    return run_cli(argc, argv);
  } catch (...) {
    return apq::cli::exit_code_of_failure();
  }
}
