#include "sim/cli/commands.hpp"

#include "analysis/html_report.hpp"
#include "analysis/output_file.hpp"
#include "analysis/report.hpp"
#include "analysis/timeseries_csv.hpp"
#include "models/arrival.hpp"
#include "models/card_type.hpp"
#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/operation.hpp"
#include "models/retry_policy.hpp"
#include "models/strategy.hpp"
#include "models/units.hpp"
#include "sim/cli/progress.hpp"
#include "sim/experiment/compare.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/plan.hpp"
#include "sim/experiment/sweep.hpp"
#include "sim/fork_runner.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"
#include "sim/trace_csv.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
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
      throw ConfigError("--set " + item, "expected PATH=VALUE, e.g. --set run.seed=3 or --set guests.web.arrival.rate="
                                         "\"5k/s\"");
    out.push_back(ConfigOverride{item.substr(0, eq), item.substr(eq + 1)});
  }
  if (options.seed) {
    if (*options.seed < 0)
      throw ConfigError("--seed " + std::to_string(*options.seed), "the seed must be a non-negative integer");
    out.push_back(ConfigOverride{"run.seed", std::to_string(*options.seed)});
  }
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
  check_output_path(file, flag);
}

void write_report(const Json& document, const std::string& file, const std::string& flag) {
  if (!file.empty())
    write_output_file(file, html_report(document), flag);
}

void check_replications(int replications, const Scenario& scenario, const std::string& flag) {
  if (replications < 1 || replications > scenario.limits.replications)
    throw ConfigError(flag + " " + std::to_string(replications),
                      "must be between 1 and " + std::to_string(scenario.limits.replications) +
                          " ([limits] replications: the parent holds every replication's result; raise it with "
                          "--set limits.replications=N)");
}

int warn_overload(const Scenario& scenario) {
  const std::vector<StatWarning> warnings = overload_warnings(scenario);
  std::cerr << warnings_text(warnings);
  return static_cast<int>(warnings.size());
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
    if (!file.empty())
      throw ConfigError(flag, "it follows one run; drop --replications (or [run] replications) to write it");
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
  ProgressLine progress(options.quiet);
  experiment.progress = [&progress](std::size_t done, std::size_t total) {
    progress.count("replications:", done, total);
  };
  const ReplicatedResult result = replicate(scenario, rule, experiment);
  progress.clear();
  // The figures first: a result file that cannot be written must not cost the user what was computed.
  if (!options.quiet)
    std::cout << replicated_summary(scenario, result, scenario.run.confidence) << std::flush;
  std::cerr << warnings_text(result.figures.warnings);
  const Json document = replicated_json(result, rule, scenario.run.confidence);
  if (!options.json_file.empty())
    write_output_file(options.json_file, document.dump(2) + "\n", "--json");
  write_report(document, options.report_file, "--report");
  if (!result.incomplete.empty()) {
    std::cerr << "apqsim: incomplete: " << result.runs.size() << " replications completed and are reported ("
              << result.incomplete << ")\n";
    return incomplete_exit_code(result.signal);
  }
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
  const Scenario scenario = load_scenario(options.scenario.file, overrides_of(options.scenario));
  const int replications = options.replications.value_or(scenario.run.replications);
  if (options.replications)
    check_replications(replications, scenario, "--replications");
  for (const auto& [file, flag] : {std::pair{options.json_file, "--json"},
                                   {options.trace_file, "--trace"},
                                   {options.timeline_file, "--timeline"},
                                   {options.timeseries_file, "--timeseries"},
                                   {options.report_file, "--report"}})
    check_writable_destination(file, flag);
  check_simgrid_args(options.simgrid_args);
  warn_overload(scenario);
  if (replications > 1 || scenario.run.target_relative_error > 0 || scenario.run.detect_warmup)
    return run_replicated(scenario, options, replications);
  RunOptions run;
  run.simgrid_args = options.simgrid_args;
  std::vector<std::string> guests;
  for (const GuestSpec& guest : scenario.guests)
    guests.push_back(guest.name);
  // The trace streams to a temporary file beside the target, renamed only once the run is complete and every
  // write succeeded; a signal or a failure removes it.
  std::optional<OutputFile> trace_file;
  std::optional<TraceCsv> trace;
  if (!options.trace_file.empty()) {
    trace_file.emplace(options.trace_file, "--trace");
    trace.emplace(*trace_file, guests);
    run.trace = [&trace](const TraceEvent& e) { trace->request(e); };
  }
  std::optional<TimelineBuilder> timeline;
  if (!options.timeline_file.empty())
    timeline.emplace(TimelineBuilder::Options{
        scenario.run.horizon, "control plane (" +
                                  (scenario.control.reconfigures() ? "strategy " + scenario.control.strategy->name()
                                                                   : std::string("no reconfiguration")) +
                                  ")"});
  if (trace || timeline)
    run.control_trace = [&trace, &timeline](const ControlEvent& e) {
      if (trace)
        trace->control(e);
      if (timeline)
        timeline->on_control(e);
    };
  ProgressLine progress(options.quiet);
  if (progress.enabled())
    run.progress = [&progress, &scenario](double now) { progress.simulated(now, scenario.run.horizon); };
  const auto start = std::chrono::steady_clock::now();
  // The baseline (same seeds, no reconfiguration) runs first, in a forked child (this process creates its own
  // engine next): every request of this run is then paired with its own latency there.
  BaselineRun baseline;
  std::string baseline_failure;
  if (scenario.control.reconfigures() && scenario.control.baseline) {
    progress.show("running the baseline first (same seeds, no reconfiguration)", true);
    try {
      baseline = BaselineRun::decode(
          run_in_children({[&scenario, &options] { return run_baseline(scenario, options.simgrid_args); }}, 1).at(0));
      run.pair_with = &baseline;
    } catch (const ChildRunError& e) {
      if (e.signal() != 0)
        throw;
      baseline_failure = e.what(); // the run itself may be fine: it is reported without its baseline
    }
  }
  progress.restart();
  RunResult result = simulate(scenario, run);
  progress.clear();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!options.quiet)
    std::cout << human_summary(result, wall) << std::flush;
  if (trace_file)
    trace_file->commit();
  // The result document, for the files made from it.
  if (!options.json_file.empty() || timeline || !options.timeseries_file.empty() || !options.report_file.empty()) {
    const Json document = to_json(result);
    if (!options.json_file.empty())
      write_output_file(options.json_file, document.dump(2) + "\n", "--json");
    if (timeline)
      write_output_file(options.timeline_file, timeline->finish(document), "--timeline");
    if (!options.timeseries_file.empty())
      write_output_file(options.timeseries_file, timeseries_csv(document), "--timeseries");
    write_report(document, options.report_file, "--report");
  }
  if (!baseline_failure.empty()) {
    std::cerr << "apqsim: error: the baseline run failed (" << baseline_failure
              << "); the run is reported without the throughput loss and the impact's pairing\n";
    return kExitIo;
  }
  if (const ReplayReport& replay = result.control.replay; replay.present && !replay.reproduced) {
    std::cerr << "apqsim: the run did not reproduce the outcome explore found (" << replay.expected << ")"
              << (replay.divergence.empty() ? "" : ": " + replay.divergence) << "\n";
    return kExitViolation;
  }
  return report_unexpected(unexpected_violations(scenario, result.violations()));
}

namespace {

/** A strategy file on its own has operations and no scenario tables. */
bool is_strategy_file(const toml::table& table) {
  return table.contains("ops") && !table.contains("run") && !table.contains("cards") && !table.contains("guests");
}

} // namespace

void check_compare_variants(const std::string& file, const CompareSpec& spec) {
  std::map<std::string, std::string> seen; // config sha256 -> variant
  std::set<std::string> names;
  for (const Variant& variant : spec.variants) {
    const std::string where =
        variant.overrides.empty() ? file : location_of(variant.overrides.front().value_origin, file);
    if (!names.insert(variant.name).second)
      throw ConfigError(where, "compare: variant '" + variant.name +
                                   "' appears twice (strategies = [...] names each variant after its strategy): a "
                                   "comparison needs variants that differ");
    const Scenario scenario = load_scenario(file, variant.overrides);
    const auto [it, added] = seen.emplace(scenario.config_sha256, variant.name);
    if (!added)
      throw ConfigError(where, "compare: variant '" + variant.name + "' is the same scenario as '" + it->second +
                                   "' (same configuration): a comparison needs variants that differ");
  }
}

int check_command(const ScenarioOptions& options) {
  const toml::table table = load_resolved_table(options.file);
  if (is_strategy_file(table)) {
    const Strategy strategy = load_strategy_text(
        read_config_file(options.file, kDefaultMaxConfigFileBytes, {}, "strategy file"), options.file);
    std::cout << options.file << ": ok: locking strategy '" << strategy.name() << "', " << strategy.ops().size()
              << " operations\n";
    return kExitOk;
  }
  const Scenario scenario = load_scenario(options.file, overrides_of(options));
  std::size_t queues = 0;
  for (const CardSpec& card : scenario.cards)
    queues += card.domains.size();
  std::string checked;
  // The experiment tables, read exactly as the commands that use them read them (every variant, point and
  // candidate loaded as a scenario).
  if (table.contains("compare")) {
    const CompareSpec spec = read_compare_spec(options.file);
    check_compare_variants(options.file, spec);
    checked += "; [compare] " + std::to_string(spec.variants.size()) + " variants";
  }
  if (table.contains("sweep")) {
    const SweepSpec spec = read_sweep_spec(options.file);
    checked += "; [sweep] " + std::to_string(spec.points.size()) + " points";
  }
  if (table.contains("plan")) {
    const PlanSpec spec = read_plan_spec(options.file);
    checked += "; [plan] " + std::to_string(spec.candidates.size()) + " candidates";
  }
  const int overloaded = warn_overload(scenario);
  std::cout << options.file << ": ok: " << scenario.cards.size() << " cards, " << queues << " AP queues, "
            << scenario.guests.size() << " guests" << checked << "; config sha256 " << scenario.config_sha256
            << (overloaded > 0 ? " (" + std::to_string(overloaded) + " overloaded cards: see the warnings)" : "")
            << "\n";
  return kExitOk;
}

namespace {

/** The zcrypt speed ratings of every typed card, and what they mean in requests per second. */
void print_card_ratings() {
  const auto& operations = all_operations();
  std::cout
      << "Speed ratings (zcrypt weight per operation; '-' = not supported). A request occupies one of the card's\n"
         "engines for engines x scale x rating, so a card serves 1 / (scale x rating) requests per second of\n"
         "an operation (scale defaults to 1us: CEX8A rsa_crt_2k, rating 54, about 18.5k/s):\n";
  std::string header = "  type    engines";
  for (Operation op : operations) {
    char cell[24];
    std::snprintf(cell, sizeof cell, " %13s", std::string(operation_name(op)).c_str());
    header += cell;
  }
  std::cout << header << "\n";
  for (const auto& entry : card_type_registry().entries()) {
    if (entry.name == "custom")
      continue;
    toml::table table{{"type", entry.name}};
    const CardType type = entry.make(ConfigNode(table, "cards[0]", "list"));
    char row[32];
    std::snprintf(row, sizeof row, "  %-7s %7d", entry.name.c_str(), type.engines);
    std::cout << row;
    for (Operation op : operations) {
      const double weight = type.weight[index_of(op)];
      char cell[24];
      if (type.supports(op))
        std::snprintf(cell, sizeof cell, " %13s", units::format_number(weight).c_str());
      else
        std::snprintf(cell, sizeof cell, " %13s", "-");
      std::cout << cell;
    }
    std::cout << "\n";
  }
  std::cout << "\n";
}

} // namespace

int list_command(const std::string& kind) {
  const bool all = kind == "all";
  if (all || kind == "cards") {
    print_registry(card_type_registry(), "Card types, [[cards]] type = NAME");
    print_card_ratings();
  }
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
