#include "sim/cli/commands.hpp"

#include "analysis/html_report.hpp"
#include "analysis/report.hpp"
#include "analysis/timeseries_csv.hpp"
#include "models/arrival.hpp"
#include "models/card_type.hpp"
#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/operation.hpp"
#include "models/retry_policy.hpp"
#include "models/strategy.hpp"
#include "sim/cli/progress.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/fork_runner.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"
#include "sim/trace_csv.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace apq::cli {

int default_jobs() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::vector<ConfigOverride> overrides_of(const ScenarioOptions& options) {
  std::vector<ConfigOverride> out;
  for (const std::string& item : options.set) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("--set " + item, "expected PATH=VALUE, e.g. --set run.seed=3");
    out.push_back(ConfigOverride{item.substr(0, eq), item.substr(eq + 1)});
  }
  if (options.seed)
    out.push_back(ConfigOverride{"run.seed", std::to_string(*options.seed)});
  return out;
}

void check_writable_destination(const std::string& file, const std::string& flag) {
  if (file.empty())
    return;
  const std::filesystem::path dir = std::filesystem::path(file).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir))
    throw ConfigError(flag + " " + file, "directory " + dir.string() + " does not exist");
}

namespace {

template <class R>
void print_registry(const R& registry, const std::string& title) {
  std::cout << title << " (" << registry.kind() << "):\n";
  const std::vector<ParamDoc>* previous = nullptr;
  auto same = [](const std::vector<ParamDoc>& a, const std::vector<ParamDoc>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const ParamDoc& x, const ParamDoc& y) {
      return x.name == y.name && x.default_value == y.default_value && x.description == y.description;
    });
  };
  for (const auto& entry : registry.entries()) {
    std::cout << "  " << entry.name << "  " << entry.description << "\n";
    const bool repeated = previous != nullptr && !entry.params.empty() && same(*previous, entry.params);
    previous = &entry.params;
    if (repeated) {
      std::cout << "      (parameters as above)\n";
      continue;
    }
    for (const ParamDoc& p : entry.params)
      std::cout << "      " << p.name << " (" << p.kind << ", "
                << (p.default_value.empty() ? std::string("required") : "default " + p.default_value) << ")  "
                << p.description << "\n";
  }
  std::cout << "\n";
}

} // namespace

namespace {

/** Violations some run found that the scenario does not declare in [run] expect. */
std::string unexpected_violations(const Scenario& scenario, const std::vector<std::string>& found) {
  std::string unexpected;
  for (const std::string& violation : found)
    if (std::find(scenario.run.expect.begin(), scenario.run.expect.end(), violation) == scenario.run.expect.end() &&
        unexpected.find(violation) == std::string::npos)
      unexpected += (unexpected.empty() ? "" : ", ") + violation;
  return unexpected;
}

int report_unexpected(const std::string& unexpected) {
  if (unexpected.empty())
    return kExitOk;
  std::cerr << "apqsim: the monitors found " << unexpected
            << ", which the scenario does not expect ([run] expect = [...] declares expected violations)\n";
  return kExitViolation;
}

int run_replicated(const Scenario& scenario, const RunCommandOptions& options, int replications) {
  for (const auto& [file, flag] : {std::pair{options.trace_file, "--trace"},
                                   {options.timeline_file, "--timeline"},
                                   {options.timeseries_file, "--timeseries"}})
    if (!file.empty()) {
      std::cerr << flag << ": error: it follows one run; drop --replications (or [run] replications) to use it\n";
      return kExitUsage;
    }
  StoppingRule rule;
  rule.replications = static_cast<std::size_t>(replications);
  rule.target_half_width = scenario.run.target_half_width;
  rule.target_metric = scenario.run.target_metric;
  rule.max_replications = static_cast<std::size_t>(std::max(scenario.run.max_replications, replications));
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = scenario.run.confidence;
  experiment.simgrid_args = options.simgrid_args;
  ProgressLine progress(options.quiet);
  experiment.progress = [&progress](std::size_t done, std::size_t total) {
    progress.count("replications:", done, total);
  };
  const ReplicatedResult result = replicate(scenario, rule, experiment);
  progress.clear();
  const Json document = replicated_json(result, rule, scenario.run.confidence);
  if (!options.json_file.empty())
    write_file_atomically(options.json_file, document.dump(2) + "\n");
  if (!options.report_file.empty() && !write_report(document, options.report_file, "--report"))
    return kExitUsage;
  if (!options.quiet)
    std::cout << replicated_summary(scenario, result, scenario.run.confidence);
  if (rule.target_half_width > 0 && !result.target_reached)
    std::cerr << "apqsim: " << rule.target_metric << " did not reach the relative half-width " << rule.target_half_width
              << " within " << rule.max_replications << " replications\n";
  // The monitors' names and the figures that count their findings.
  const std::pair<const char*, const char*> kMonitors[] = {{"deadlock", "monitors.deadlocks"},
                                                           {"stolen_queue", "monitors.stolen_queues"},
                                                           {"lock_order_inversion", "monitors.lock_order_inversions"}};
  std::vector<std::string> found;
  for (const Replication& r : result.runs)
    for (const auto& [name, path] : kMonitors)
      if (auto it = r.figures.find(path); it != r.figures.end() && it->second > 0)
        found.emplace_back(name);
  return report_unexpected(unexpected_violations(scenario, found));
}

/** Writes `content` to `file` whole or not at all; false (after saying why, naming `flag`) if it could not. */
bool write_output(const std::string& file, const std::string& flag, const std::function<std::string()>& content) {
  if (file.empty())
    return true;
  try {
    write_file_atomically(file, content());
    return true;
  } catch (const std::exception& e) {
    std::cerr << flag << " " << file << ": error: " << e.what() << "\n";
    return false;
  }
}

} // namespace

bool write_report(const Json& document, const std::string& file, const std::string& flag) {
  return write_output(file, flag, [&document] { return html_report(document); });
}

int run_command(const RunCommandOptions& options) {
  Scenario scenario;
  try {
    scenario = load_scenario(options.scenario.file, overrides_of(options.scenario));
    for (const auto& [file, flag] : {std::pair{options.json_file, "--json"},
                                     {options.trace_file, "--trace"},
                                     {options.timeline_file, "--timeline"},
                                     {options.timeseries_file, "--timeseries"},
                                     {options.report_file, "--report"}})
      check_writable_destination(file, flag);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  const int replications = options.replications.value_or(scenario.run.replications);
  if (replications > 1 || scenario.run.target_half_width > 0 || scenario.run.detect_warmup)
    return run_replicated(scenario, options, replications);
  RunOptions run;
  run.simgrid_args = options.simgrid_args;
  std::vector<std::string> guests;
  for (const GuestSpec& guest : scenario.guests)
    guests.push_back(guest.name);
  // The trace streams to a temporary file, renamed only once the run is complete.
  std::filesystem::path trace_partial;
  std::ofstream trace_out;
  std::unique_ptr<TraceCsv> trace;
  if (!options.trace_file.empty()) {
    const std::filesystem::path target(options.trace_file);
    trace_partial = target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()));
    trace_out.open(trace_partial);
    if (!trace_out) {
      std::cerr << "--trace " << options.trace_file << ": error: cannot create the file\n";
      return kExitUsage;
    }
    trace = std::make_unique<TraceCsv>(trace_out, guests);
  }
  std::unique_ptr<TimelineBuilder> timeline;
  if (!options.timeline_file.empty()) {
    const std::string strategy =
        scenario.control.reconfigures() ? "strategy " + scenario.control.strategy->name() : "no reconfiguration";
    // Counters per window of the run's time series (the data plane keeps 500 windows over the horizon).
    timeline = std::make_unique<TimelineBuilder>(TimelineBuilder::Options{
        scenario.run.horizon, scenario.run.horizon / 500, guests, "control plane (" + strategy + ")"});
  }
  if (trace || timeline) {
    run.trace = [&trace, &timeline](const TraceEvent& e) {
      if (trace)
        trace->request(e);
      if (timeline)
        timeline->on_request(e);
    };
    run.control_trace = [&trace, &timeline](const ControlEvent& e) {
      if (trace)
        trace->control(e);
      if (timeline)
        timeline->on_control(e);
    };
  }
  ProgressLine progress(options.quiet);
  if (progress.enabled())
    run.progress = [&progress, &scenario](double now) { progress.simulated(now, scenario.run.horizon); };
  const auto start = std::chrono::steady_clock::now();
  // The baseline (same seeds, no reconfiguration) runs in a child forked before this process creates its engine;
  // it waits for this run's reconfiguration windows, to measure its own latency inside them.
  std::unique_ptr<DeferredChild> baseline;
  if (scenario.control.reconfigures() && scenario.control.baseline)
    baseline = std::make_unique<DeferredChild>([&scenario, &options](const std::string& windows) {
      RunOptions o;
      o.simgrid_args = options.simgrid_args;
      o.baseline = true;
      std::istringstream in(windows);
      for (double from = 0, to = 0; in >> from >> to;)
        o.baseline_windows.emplace_back(from, to);
      return to_json(simulate(scenario, o)).dump();
    });
  RunResult result = simulate(scenario, run);
  if (baseline) {
    progress.show("waiting for the baseline run (same seeds, no reconfiguration)", true);
    std::ostringstream windows;
    windows.precision(17);
    for (const auto& [from, to] : result.windows.intervals)
      windows << from << " " << to << "\n";
    try {
      result.baseline = baseline_from_json(Json::parse(baseline->finish(windows.str())));
    } catch (const std::exception& e) {
      std::cerr << "apqsim: the baseline run failed: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  progress.clear();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (trace_out.is_open()) {
    trace_out.close();
    std::filesystem::rename(trace_partial, options.trace_file);
  }
  const Json document = to_json(result);
  const bool written =
      write_output(options.json_file, "--json", [&document] { return document.dump(2) + "\n"; }) &&
      write_output(options.timeline_file, "--timeline", [&] { return timeline->finish(document).dump() + "\n"; }) &&
      write_output(options.timeseries_file, "--timeseries", [&document] { return timeseries_csv(document); }) &&
      write_report(document, options.report_file, "--report");
  if (!written)
    return kExitUsage;
  if (!options.quiet)
    std::cout << human_summary(result, wall);
  return report_unexpected(unexpected_violations(scenario, result.violations()));
}

int check_command(const ScenarioOptions& options) {
  try {
    const Scenario scenario = load_scenario(options.file, overrides_of(options));
    std::size_t queues = 0;
    for (const CardSpec& card : scenario.cards)
      queues += card.domains.size();
    std::cout << options.file << ": ok: " << scenario.cards.size() << " cards, " << queues << " AP queues, "
              << scenario.guests.size() << " guests; config sha256 " << scenario.config_sha256 << "\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
}

int list_command(const std::string& kind) {
  const bool all = kind == "all";
  if (all || kind == "cards")
    print_registry(card_type_registry(), "Card types, [[cards]] type = NAME");
  if (all || kind == "distributions")
    print_registry(distribution_registry(), "Service-time distributions, service = { dist = NAME, ... }");
  if (all || kind == "workloads")
    print_registry(arrival_registry(), "Workload models, arrival = { process = NAME, ... }");
  if (all || kind == "strategies") {
    std::cout << "Locking strategies, [run] strategy = NAME or a strategy file (configs/strategies/README.md):\n";
    for (const auto& entry : strategy_registry().entries())
      std::cout << "  " << entry.name << "  " << entry.description << "\n";
    std::cout << "  Effects a strategy can name:\n";
    for (const std::string& effect : strategy_vocabulary().effects)
      std::cout << "      " << effect << "  " << strategy_vocabulary().descriptions.at(effect) << "\n";
    std::cout << "\n";
  }
  if (all || kind == "retry")
    print_registry(retry_policy_registry(), "Retry policies, retry = { policy = NAME, ... }");
  if (all || kind == "operations")
    std::cout << "Operations, op = NAME or ops = { NAME = weight, ... }:\n  " << operation_names() << "\n";
  return kExitOk;
}

} // namespace apq::cli
