// apqsim explore: every interleaving of a scenario's timeline, per strategy (sim/explore/study.hpp).

#include "analysis/output_file.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore/study.hpp"

#include <iostream>

namespace apq::cli {

int explore_command(const ExploreCommandOptions& options) {
  ExploreRequest request;
  request.file = options.scenario.file;
  request.strategies = options.strategies;
  request.preemptions = options.preemptions;
  request.max_schedules = options.max_schedules;
  request.respect_times = options.respect_times;
  request.overrides = overrides_of(options.scenario);
  check_writable_destination(options.json_file, "--json");
  check_writable_destination(options.report_file, "--report");
  if (!options.emit_dir.empty())
    prepare_output_directory(options.emit_dir, "--emit"); // before the work, not after it
  ProgressLine progress(options.quiet);
  std::string exploring;
  auto states = [&progress, &exploring](uint64_t found) {
    progress.show(exploring + ": " + std::to_string(found) + " states explored, " + progress.elapsed());
  };
  ExploreStudy study = run_explore(
      request,
      [&options, &progress, &exploring](const std::string& strategy) {
        progress.clear();
        if (!options.quiet)
          std::cerr << "apqsim explore: " << strategy << " ...\n";
        exploring = "explore " + strategy;
        progress.restart();
      },
      progress.enabled() ? std::function<void(uint64_t)>(states) : std::function<void(uint64_t)>());
  progress.clear();
  if (!options.emit_dir.empty())
    emit_reproducers(study, options.emit_dir);
  const Json document = explore_json(study);
  if (!options.json_file.empty())
    write_output_file(options.json_file, document.dump(2) + "\n", "--json");
  write_report(document, options.report_file, "--report");
  if (!options.quiet)
    std::cout << explore_text(study, options.full_witness);
  if (study.unexpected()) {
    for (const StrategyExploration& s : study.strategies)
      if (!s.unexpected.empty()) {
        std::string list;
        for (const std::string& v : s.unexpected)
          list += (list.empty() ? "" : ", ") + v;
        std::cerr << "apqsim: under " << s.label << " a schedule reaches " << list
                  << ", which is not expected ([explore.expect] or [run] expect declares expected violations)\n";
      }
    return kExitViolation;
  }
  return kExitOk;
}

} // namespace apq::cli
