#include "sim/cli/commands.hpp"

#include "analysis/report.hpp"
#include "models/arrival.hpp"
#include "models/card_type.hpp"
#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/operation.hpp"
#include "models/retry_policy.hpp"
#include "models/strategy.hpp"
#include "models/units.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/fork_runner.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
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
  if (!options.series_window.empty()) {
    try {
      if (!(units::parse_duration(options.series_window) > 0))
        throw std::invalid_argument("must be longer than 0s");
    } catch (const std::exception& e) {
      throw ConfigError("--series-window " + options.series_window, e.what());
    }
    out.push_back(ConfigOverride{"run.series_window", "\"" + options.series_window + "\""});
  }
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
  if (!options.trace_file.empty()) {
    std::cerr << "--trace: error: a trace follows one run; drop --replications (or [run] replications) to trace\n";
    return kExitUsage;
  }
  StoppingRule rule;
  rule.replications = static_cast<std::size_t>(replications);
  rule.target_relative_error = scenario.run.target_relative_error;
  rule.target_metric = scenario.run.target_metric;
  rule.min_replications = static_cast<std::size_t>(scenario.run.min_replications);
  rule.max_replications = static_cast<std::size_t>(std::max(scenario.run.max_replications, replications));
  ExperimentOptions experiment;
  experiment.jobs = options.jobs;
  experiment.confidence = scenario.run.confidence;
  experiment.simgrid_args = options.simgrid_args;
  const ReplicatedResult result = replicate(scenario, rule, experiment);
  if (!options.json_file.empty())
    write_file_atomically(options.json_file, replicated_json(result, rule, scenario.run.confidence).dump(2) + "\n");
  if (!options.quiet)
    std::cout << replicated_summary(scenario, result, scenario.run.confidence) << std::flush;
  std::cerr << warnings_text(result.figures.warnings);
  // The monitors' names and the figures that count their findings.
  const std::pair<const char*, const char*> kMonitors[] = {{"deadlock", "monitors.deadlocks"},
                                                           {"stolen_queue", "monitors.stolen_queues"},
                                                           {"lock_order_inversion", "monitors.lock_order_inversions"},
                                                           {"kernel_bug", "monitors.kernel_bugs"}};
  std::vector<std::string> found;
  for (const Replication& r : result.runs)
    for (const auto& [name, path] : kMonitors)
      if (auto it = r.figures.find(path); it != r.figures.end() && it->second > 0)
        found.emplace_back(name);
  return report_unexpected(unexpected_violations(scenario, found));
}

} // namespace

int run_command(const RunCommandOptions& options) {
  Scenario scenario;
  try {
    scenario = load_scenario(options.scenario.file, overrides_of(options.scenario));
    check_writable_destination(options.json_file, "--json");
    check_writable_destination(options.trace_file, "--trace");
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  std::cerr << warnings_text(overload_warnings(scenario));
  const int replications = options.replications.value_or(scenario.run.replications);
  if (replications > 1 || scenario.run.target_relative_error > 0 || scenario.run.detect_warmup)
    return run_replicated(scenario, options, replications);
  RunOptions run;
  run.simgrid_args = options.simgrid_args;
  // The trace streams to a temporary file, renamed only once the run is complete.
  std::filesystem::path trace_partial;
  std::ofstream trace_out;
  if (!options.trace_file.empty()) {
    const std::filesystem::path target(options.trace_file);
    trace_partial = target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()));
    trace_out.open(trace_partial);
    if (!trace_out) {
      std::cerr << "--trace " << options.trace_file << ": error: cannot create the file\n";
      return kExitUsage;
    }
    trace_out << "time_s,event,guest,request,adapter,domain\n";
    run.trace = [&trace_out, &scenario](const TraceEvent& e) {
      char line[160];
      std::snprintf(line, sizeof line, "%.9f,%s,%s,%llu,%d,%d\n", e.time, trace_kind_name(e.kind).data(),
                    scenario.guests[e.guest].name.c_str(), static_cast<unsigned long long>(e.request), e.adapter,
                    e.domain);
      trace_out << line;
    };
  }
  const auto start = std::chrono::steady_clock::now();
  // The baseline (same seeds, no reconfiguration) runs first, in a forked child (this process creates its own
  // engine next): every request of this run is then paired with its own latency there.
  BaselineRun baseline;
  if (scenario.control.reconfigures() && scenario.control.baseline) {
    try {
      baseline = BaselineRun::decode(
          run_in_children({[&scenario, &options] { return run_baseline(scenario, options.simgrid_args); }}, 1).at(0));
    } catch (const std::exception& e) {
      std::cerr << "apqsim: the baseline run failed: " << e.what() << "\n";
      return kExitUsage;
    }
    run.pair_with = &baseline;
  }
  RunResult result = simulate(scenario, run);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (trace_out.is_open()) {
    trace_out.close();
    std::filesystem::rename(trace_partial, options.trace_file);
  }
  if (!options.json_file.empty()) {
    try {
      write_file_atomically(options.json_file, to_json(result).dump(2) + "\n");
    } catch (const std::exception& e) {
      std::cerr << "--json " << options.json_file << ": error: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  if (!options.quiet)
    std::cout << human_summary(result, wall);
  if (const ReplayReport& replay = result.control.replay; replay.present && !replay.reproduced) {
    std::cerr << "apqsim: the run did not reproduce the outcome explore found (" << replay.expected << ")"
              << (replay.divergence.empty() ? "" : ": " + replay.divergence) << "\n";
    return kExitViolation;
  }
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
    const StrategyVocabulary& vocabulary = strategy_vocabulary();
    auto names = [&](const char* title, const std::vector<std::string>& list) {
      std::cout << "  " << title << ":\n";
      for (const std::string& name : list)
        std::cout << "      " << name << "  " << vocabulary.descriptions.at(name) << "\n";
    };
    names("Locks a strategy can take", vocabulary.locks);
    names("Effects a strategy can name", vocabulary.effects);
    names("Conditions (if = NAME, or \"!NAME\")", vocabulary.conditions);
    names("Iterators (each = NAME)", vocabulary.iterators);
    std::cout << "\n";
  }
  if (all || kind == "retry")
    print_registry(retry_policy_registry(), "Retry policies, retry = { policy = NAME, ... }");
  if (all || kind == "operations")
    std::cout << "Operations, op = NAME or ops = { NAME = weight, ... }:\n  " << operation_names() << "\n";
  return kExitOk;
}

} // namespace apq::cli
