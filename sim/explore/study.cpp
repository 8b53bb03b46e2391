#include "sim/explore/study.hpp"

#include "analysis/output_file.hpp"
#include "models/config_node.hpp"
#include "models/strategy.hpp"
#include "sim/scenario/replay.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace apq {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& violation_names() {
  static const std::vector<std::string> names = {kDeadlock, kInversion, kStolenQueue, kKernelBug};
  return names;
}

bool is_path(const std::string& value) {
  return value.find('/') != std::string::npos || (value.size() >= 5 && value.ends_with(".toml"));
}

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

struct StrategyChoice {
  std::string label; // as written
  std::string value; // the run.strategy override ("" = the scenario's own)
};

struct Spec {
  std::vector<StrategyChoice> strategies;
  std::map<std::string, std::vector<std::string>> expect;
  ExploreOptions limits;
};

std::vector<std::string> read_violations(const ConfigNode& table, const std::string& key) {
  std::vector<std::string> out = table.strings(key);
  for (const std::string& v : out)
    if (std::find(violation_names().begin(), violation_names().end(), v) == violation_names().end())
      table.fail(key, "unknown violation '" + v + "'; valid: deadlock, lock_order_inversion, stolen_queue, kernel_bug");
  return out;
}

Spec read_spec(const ExploreRequest& request, const Scenario& base) {
  Spec spec;
  const toml::table table = load_resolved_table(request.file);
  const ConfigNode root(table, "", request.file.string());
  if (auto explore = root.table_opt("explore")) {
    if (const toml::node* list = explore->raw("strategies")) {
      const toml::array* array = list->as_array();
      if (array == nullptr || array->empty())
        explore->fail("strategies", "expected a non-empty array of strategy names or files");
      for (const toml::node& node : *array) {
        const auto value = node.value<std::string>();
        if (!value)
          explore->fail_at(node, "explore.strategies: expected a strategy name or file (a string)");
        if (is_path(*value)) {
          // Relative to the file that holds the value, as [run] strategy is.
          const fs::path holder = node.source().path ? fs::path(*node.source().path) : request.file;
          const fs::path file = holder.parent_path() / *value;
          std::error_code ec;
          if (!fs::is_regular_file(file, ec))
            explore->fail_at(node,
                             "explore.strategies: cannot read strategy file '" + file.string() + "': no such file");
          spec.strategies.push_back({*value, fs::absolute(file).lexically_normal().string()});
        } else {
          try {
            strategy_registry().find(*value);
          } catch (const std::invalid_argument& e) {
            explore->fail_at(node, std::string("explore.strategies: ") + e.what() +
                                       "; or a strategy file (a path with '/' or ending in .toml)");
          }
          spec.strategies.push_back({*value, *value});
        }
      }
    }
    if (explore->has("preemptions")) {
      spec.limits.preemptions = static_cast<int>(explore->integer("preemptions"));
      if (spec.limits.preemptions < 0)
        explore->fail("preemptions", "must be 0 or more");
    }
    if (explore->has("max_schedules")) {
      const int64_t n = explore->integer("max_schedules");
      if (n < 1)
        explore->fail("max_schedules", "must be 1 or more");
      spec.limits.max_schedules = static_cast<uint64_t>(n);
    }
    spec.limits.respect_times = explore->boolean_or("respect_times", false);
    if (explore->has("before"))
      spec.limits.before = explore->strings("before");
    for (const std::string& name : spec.limits.before)
      if (std::none_of(base.control.timeline.begin(), base.control.timeline.end(),
                       [&](const TimelineEntry& e) { return e.name == name; }))
        explore->fail("before", "no timeline operation is named '" + name + "'");
    if (auto expect = explore->table_opt("expect")) {
      for (const std::string& key : expect->keys())
        spec.expect[key] = read_violations(*expect, key);
      expect->reject_unknown_keys();
    }
    explore->reject_unknown_keys();
  }
  if (!request.strategies.empty()) {
    spec.strategies.clear();
    for (const std::string& s : request.strategies) {
      if (is_path(s)) {
        std::error_code ec;
        if (!fs::is_regular_file(s, ec))
          throw ConfigError("--strategy " + s, "cannot read strategy file '" + s + "': no such file");
        spec.strategies.push_back({s, fs::absolute(s).lexically_normal().string()});
      } else {
        try {
          strategy_registry().find(s);
        } catch (const std::invalid_argument& e) {
          throw ConfigError("--strategy " + s, std::string(e.what()) + "; or a strategy file (a path with '/' or "
                                                                       "ending in .toml)");
        }
        spec.strategies.push_back({s, s});
      }
    }
  }
  if (spec.strategies.empty())
    spec.strategies.push_back({base.control.strategy->name(), ""});
  if (request.preemptions) {
    if (*request.preemptions < 0)
      throw ConfigError("--preemptions", "must be 0 or more");
    spec.limits.preemptions = *request.preemptions;
  }
  if (request.max_schedules) {
    if (*request.max_schedules < 1)
      throw ConfigError("--max-schedules", "must be 1 or more");
    spec.limits.max_schedules = *request.max_schedules;
  }
  spec.limits.respect_times = spec.limits.respect_times || request.respect_times;
  return spec;
}

/** What the explorer leaves out of the scenario, said once rather than discovered later. */
std::vector<std::string> scenario_warnings(const Scenario& scenario) {
  std::vector<std::string> out;
  for (const GuestSpec& guest : scenario.guests)
    if (guest.completion.mode == CompletionSpec::Mode::interrupt)
      out.push_back("guest '" + guest.name +
                    "' uses interrupts: the PQAP(AQIC) intercepts of its queue bring-up "
                    "(after a hot plug) are not among the explored operations; explore with completion polling to "
                    "leave none out");
  if (scenario.run.horizon > scenario.control.bus_scan_interval)
    out.push_back("the horizon reaches the AP bus's periodic scan (every " +
                  std::to_string(scenario.control.bus_scan_interval) +
                  " s), which explore does not interleave: a replay may meet it");
  if (scenario.control.reset_time->mean() >= scenario.control.reset_poll)
    out.push_back("queue resets take longer than the reset poll: explore takes a reset as done by the next poll");
  return out;
}

std::string sanitized(const std::string& name) {
  std::string out;
  for (char c : name)
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_');
  return out;
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, s < 10 ? "%.2f s" : "%.1f s", s);
  return text;
}

std::string rate_text(double per_second) {
  if (per_second >= 1e6) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", per_second);
    return text;
  }
  return count_text(static_cast<Count>(std::llround(per_second)));
}

bool notable(const WitnessStep& step) {
  for (const char* word : {"busy", "fails", "waits", "stolen", "deadlock", "oops", "E"})
    if (std::string_view(word) == "E" ? step.result.find("-> E") != std::string::npos
                                      : step.result.find(word) != std::string::npos)
      return true;
  return step.step == "retry" || step.step.starts_with("card ");
}

std::string short_where(const std::string& where) {
  return where.substr(where.find_last_of('/') + 1);
}

void print_witness(std::ostringstream& out, const std::vector<WitnessStep>& steps, bool full) {
  auto line = [&](std::size_t k) {
    const WitnessStep& s = steps[k];
    char text[512];
    std::snprintf(text, sizeof text, "        %3zu  %-14s %-18s %-34s %-30s %s\n", k + 1, s.agent.c_str(), s.op.c_str(),
                  s.step.c_str(), s.result.c_str(), short_where(s.where).c_str());
    out << text;
  };
  std::size_t k = 0;
  while (k < steps.size()) {
    auto keep = [&](std::size_t j) {
      return full || j == 0 || j + 1 == steps.size() || steps[j].agent != steps[j - 1].agent ||
             steps[j].agent != steps[j + 1].agent || notable(steps[j]);
    };
    if (keep(k)) {
      line(k++);
      continue;
    }
    std::size_t end = k;
    std::vector<std::string> ops;
    while (end < steps.size() && !keep(end)) {
      if (std::find(ops.begin(), ops.end(), steps[end].op) == ops.end() && !steps[end].op.empty())
        ops.push_back(steps[end].op);
      ++end;
    }
    std::string list;
    for (const std::string& op : ops)
      list += (list.empty() ? "" : ", ") + op;
    out << "             ... " << end - k << " more steps of " << steps[k].agent << " (" << list << ")\n";
    k = end;
  }
}

/** What tells class k apart from the classes with the same headline: the kernel bugs' steps and the final-state
 *  lines they do not share ("" if the headline is its own). */
std::string distinction(const std::vector<Outcome>& classes, std::size_t k) {
  std::vector<const Outcome*> same;
  for (std::size_t j = 0; j < classes.size(); ++j)
    if (j != k && classes[j].headline() == classes[k].headline())
      same.push_back(&classes[j]);
  if (same.empty())
    return "";
  std::vector<std::string> parts;
  for (const std::string& bug : classes[k].kernel_bugs)
    if (std::any_of(same.begin(), same.end(),
                    [&](const Outcome* o) { return o->kernel_bugs != classes[k].kernel_bugs; }))
      parts.push_back("bug at " + bug.substr(bug.find(" at ") + 4, bug.find(": ") - bug.find(" at ") - 4));
  const std::vector<std::string> lines = classes[k].state_lines();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (std::any_of(same.begin(), same.end(), [&](const Outcome* o) { return o->state_lines()[i] != lines[i]; }))
      parts.push_back(lines[i]);
  std::string text;
  for (const std::string& p : parts)
    text += (text.empty() ? " [" : "; ") + p;
  return text.empty() ? "" : text + "]";
}

Json count_json(Count c) {
  const double d = static_cast<double>(c);
  return std::isfinite(d) ? Json(d) : Json(nullptr);
}

Json outcome_json(const Outcome& o, int id) {
  Json j;
  j["id"] = id;
  j["headline"] = o.headline();
  j["violations"] = o.violations;
  Json ops = Json::array();
  for (const OpEnd& op : o.ops)
    ops.push_back(Json{{"name", op.name}, {"result", op.result}, {"attempts", op.attempts}});
  j["operations"] = ops;
  j["deadlocks"] = o.deadlocks;
  j["inversions"] = o.inversions;
  j["stolen_queues"] = o.stolen;
  j["kernel_bugs"] = o.kernel_bugs;
  j["final_state"] = final_state_json(o.final_state);
  return j;
}

} // namespace

bool ExploreStudy::unexpected() const {
  return std::any_of(strategies.begin(), strategies.end(),
                     [](const StrategyExploration& s) { return !s.unexpected.empty(); });
}

ExploreStudy run_explore(const ExploreRequest& request, const std::function<void(const std::string&)>& progress,
                         const std::function<void(uint64_t states)>& states) {
  ExploreStudy study;
  study.file = request.file;
  const Scenario base = load_scenario(request.file, request.overrides);
  const Spec spec = read_spec(request, base);
  study.limits = spec.limits;
  study.manifest = make_manifest(base);
  study.warnings = scenario_warnings(base);
  std::unordered_map<std::string, int> ids;
  for (const StrategyChoice& choice : spec.strategies) {
    if (progress)
      progress(choice.label);
    StrategyExploration run;
    run.label = choice.label;
    std::vector<ConfigOverride> overrides = request.overrides;
    if (!choice.value.empty())
      overrides.push_back(ConfigOverride{"run.strategy", toml_string(choice.value)});
    auto scenario = std::make_shared<const Scenario>(load_scenario(request.file, overrides));
    run.scenario = scenario;
    auto expect = spec.expect.find(choice.label);
    run.expect = expect != spec.expect.end() ? expect->second : scenario->run.expect;
    Explorer explorer(*scenario, *scenario->control.strategy, spec.limits);
    explorer.set_progress(states);
    run.result = explorer.run();
    for (const OutcomeClass& c : run.result.classes) {
      auto [it, inserted] = ids.try_emplace(c.outcome.key, static_cast<int>(study.classes.size()) + 1);
      if (inserted)
        study.classes.push_back(c.outcome);
      run.class_ids.push_back(it->second);
      run.witnesses.push_back(explorer.narrate(c.witness));
      if (explorer.last_outcome().key != c.outcome.key)
        throw std::logic_error("explore: the witness of outcome class #" + std::to_string(it->second) + " under " +
                               choice.label + " ends in another outcome (" + explorer.last_outcome().headline() +
                               "): the search and its replay disagree");
      run.reproducers.emplace_back();
      for (const std::string& v : c.outcome.violations)
        if (std::find(run.expect.begin(), run.expect.end(), v) == run.expect.end() &&
            std::find(run.unexpected.begin(), run.unexpected.end(), v) == run.unexpected.end())
          run.unexpected.push_back(v);
    }
    study.strategies.push_back(std::move(run));
  }
  return study;
}

// --- the text report ---------------------------------------------------------------------------------------------

std::string explore_text(const ExploreStudy& study, bool full_witness) {
  std::ostringstream out;
  const StrategyExploration& first = study.strategies.front();
  out << "explore " << study.file.string() << ": " << first.result.agents.size() << " operations, "
      << (study.limits.respect_times ? "at their start times, work steps taking their mean; ties in every order"
                                     : "interleaved at every step (start times ignored)")
      << "\n";
  for (std::size_t i = 0; i < first.result.agents.size(); ++i) {
    const bool before = std::find(study.limits.before.begin(), study.limits.before.end(), first.result.agents[i]) !=
                        study.limits.before.end();
    out << "  " << first.result.agents[i] << "  " << first.result.agent_ops[i]
        << (before ? "  (runs to its end before the others start)" : "") << "\n";
  }
  for (const std::string& w : study.warnings)
    out << "  warning: " << w << "\n";

  for (const StrategyExploration& run : study.strategies) {
    const ExploreResult& r = run.result;
    const std::string what =
        run.label == r.strategy
            ? r.strategy_file
            : "strategy " + r.strategy + (r.strategy_extends.empty() ? "" : ", extends " + r.strategy_extends);
    out << "\n== " << run.label << " (" << what
        << "): " << (r.exhaustive ? "EXHAUSTIVE, every schedule" : "BOUNDED: " + r.bound) << "\n";
    const double seconds = std::max(r.seconds, 1e-6);
    out << "   " << count_text(static_cast<Count>(r.states)) << " states, "
        << count_text(static_cast<Count>(r.transitions)) << " steps in " << seconds_text(r.seconds) << ": "
        << count_text(r.schedules) << " schedules (" << count_text(r.reduced) << " after partial-order reduction), "
        << rate_text(static_cast<double>(r.schedules) / seconds) << " schedules/s ("
        << rate_text(static_cast<double>(r.reduced) / seconds) << " after reduction)\n";
    std::set<std::string> reachable;
    for (const OutcomeClass& c : r.classes)
      reachable.insert(c.outcome.violations.begin(), c.outcome.violations.end());
    out << "   " << r.classes.size() << " outcome classes; violations reachable: ";
    if (reachable.empty())
      out << "none";
    for (auto it = reachable.begin(); it != reachable.end(); ++it) {
      const bool expected = std::find(run.expect.begin(), run.expect.end(), *it) != run.expect.end();
      out << (it == reachable.begin() ? "" : ", ") << *it << (expected ? " (expected)" : " (UNEXPECTED)");
    }
    out << "\n";
    for (const std::string& w : r.warnings)
      out << "   warning: " << w << "\n";
    for (std::size_t k = 0; k < r.classes.size(); ++k) {
      const OutcomeClass& c = r.classes[k];
      const Outcome& o = c.outcome;
      out << "\n   #" << run.class_ids[k] << (o.violations.empty() ? "  " : " !") << " " << count_text(c.schedules)
          << " schedules (" << count_text(c.reduced) << " after reduction): " << o.headline() << "\n";
      for (const std::string& d : o.deadlocks)
        out << "       deadlock: " << d << "\n";
      for (const std::string& i : o.inversions)
        out << "       lock-order inversion: " << i << "\n";
      for (const std::string& s : o.stolen)
        out << "       stolen queue: " << s << "\n";
      for (const std::string& b : o.kernel_bugs)
        out << "       kernel bug: " << b << "\n";
      for (const std::string& line : o.state_lines())
        out << "       " << line << "\n";
      out << "       shortest witness, " << run.witnesses[k].size() << " steps:\n";
      print_witness(out, run.witnesses[k], full_witness);
      if (!run.reproducers[k].empty())
        out << "       reproducer: " << run.reproducers[k] << "\n";
    }
  }

  if (study.strategies.size() > 1) {
    out << "\nstrategies x outcome classes (schedules; ! marks a class with a violation, - unreachable):\n";
    std::size_t label_width = 8;
    for (const StrategyExploration& run : study.strategies)
      label_width = std::max(label_width, run.label.size());
    std::vector<std::vector<std::string>> cells(study.strategies.size(),
                                                std::vector<std::string>(study.classes.size(), "-"));
    std::vector<std::size_t> width(study.classes.size(), 6);
    for (std::size_t r = 0; r < study.strategies.size(); ++r)
      for (std::size_t k = 0; k < study.strategies[r].class_ids.size(); ++k) {
        const auto column = static_cast<std::size_t>(study.strategies[r].class_ids[k] - 1);
        cells[r][column] = count_text(study.strategies[r].result.classes[k].schedules);
        width[column] = std::max(width[column], cells[r][column].size());
      }
    out << "  " << std::string(label_width, ' ');
    for (std::size_t k = 0; k < study.classes.size(); ++k) {
      const std::string head = "#" + std::to_string(k + 1) + (study.classes[k].violations.empty() ? "" : " !");
      width[k] = std::max(width[k], head.size());
      out << "  " << std::string(width[k] - head.size(), ' ') << head;
    }
    out << "\n";
    for (std::size_t r = 0; r < study.strategies.size(); ++r) {
      const StrategyExploration& run = study.strategies[r];
      out << "  " << run.label << std::string(label_width - run.label.size(), ' ');
      for (std::size_t k = 0; k < study.classes.size(); ++k)
        out << "  " << std::string(width[k] - cells[r][k].size(), ' ') << cells[r][k];
      out << "  " << (run.result.exhaustive ? "exhaustive" : "bounded")
          << (run.unexpected.empty() ? "" : "  UNEXPECTED violations") << "\n";
    }
    for (std::size_t k = 0; k < study.classes.size(); ++k)
      out << "  #" << k + 1 << (study.classes[k].violations.empty() ? "   " : " ! ") << study.classes[k].headline()
          << distinction(study.classes, k) << "\n";
  }
  return out.str();
}

// --- JSON --------------------------------------------------------------------------------------------------------

Json explore_json(const ExploreStudy& study) {
  Json out;
  out["manifest"] = manifest_json(study.manifest);
  out["kind"] = "explore";
  const ExploreResult& first = study.strategies.front().result;
  Json ops = Json::array();
  for (std::size_t i = 0; i < first.agents.size(); ++i)
    ops.push_back(Json{{"name", first.agents[i]}, {"operation", first.agent_ops[i]}});
  out["operations"] = ops;
  out["limits"] =
      Json{{"preemptions", study.limits.preemptions >= 0 ? Json(study.limits.preemptions) : Json(nullptr)},
           {"max_schedules", study.limits.max_schedules > 0 ? Json(study.limits.max_schedules) : Json(nullptr)},
           {"respect_times", study.limits.respect_times},
           {"before", study.limits.before}};
  out["warnings"] = study.warnings;
  Json classes = Json::array();
  for (std::size_t k = 0; k < study.classes.size(); ++k)
    classes.push_back(outcome_json(study.classes[k], static_cast<int>(k) + 1));
  out["classes"] = classes;
  Json strategies = Json::array();
  for (const StrategyExploration& run : study.strategies) {
    const ExploreResult& r = run.result;
    Json s;
    s["label"] = run.label;
    s["name"] = r.strategy;
    s["file"] = r.strategy_file;
    s["exhaustive"] = r.exhaustive;
    s["bound"] = r.bound.empty() ? Json(nullptr) : Json(r.bound);
    s["states"] = r.states;
    s["transitions"] = r.transitions;
    s["schedules"] = count_json(r.schedules);
    s["schedules_text"] = count_text(r.schedules);
    s["reduced_schedules"] = count_json(r.reduced);
    s["expect"] = run.expect;
    s["unexpected"] = run.unexpected;
    s["warnings"] = r.warnings;
    Json outcomes = Json::array();
    for (std::size_t k = 0; k < r.classes.size(); ++k) {
      Json o;
      o["class"] = run.class_ids[k];
      o["schedules"] = count_json(r.classes[k].schedules);
      o["schedules_text"] = count_text(r.classes[k].schedules);
      o["reduced_schedules"] = count_json(r.classes[k].reduced);
      Json witness = Json::array();
      for (const WitnessStep& w : run.witnesses[k])
        witness.push_back(
            Json{{"operation", w.agent}, {"op", w.op}, {"step", w.step}, {"result", w.result}, {"where", w.where}});
      o["witness"] = witness;
      o["reproducer"] = run.reproducers[k].empty() ? Json(nullptr) : Json(run.reproducers[k]);
      outcomes.push_back(std::move(o));
    }
    s["outcomes"] = outcomes;
    strategies.push_back(std::move(s));
  }
  out["strategies"] = strategies;
  out["unexpected_violations"] = study.unexpected();
  return out;
}

// --- reproducers -------------------------------------------------------------------------------------------------

void emit_reproducers(ExploreStudy& study, const fs::path& dir) {
  prepare_output_directory(dir, "--emit");
  const fs::path absolute_dir = fs::absolute(dir).lexically_normal();
  std::set<std::string> stems; // two strategies of one name (a built-in, a file) must not overwrite each other
  for (StrategyExploration& run : study.strategies) {
    std::string stem = sanitized(run.result.strategy);
    for (int n = 2; !stems.insert(stem).second; ++n)
      stem = sanitized(run.result.strategy) + "-" + std::to_string(n);
    const Scenario& scenario = *run.scenario;
    for (std::size_t k = 0; k < run.result.classes.size(); ++k) {
      const Outcome& outcome = run.result.classes[k].outcome;
      toml::table table = toml::parse(scenario.resolved_toml);
      toml::table& run_table = *table["run"].as_table();
      // The strategy: a built-in by name, a file by its path from the reproducer.
      const std::string strategy = run_table["strategy"].value_or(std::string());
      if (is_path(strategy)) {
        const fs::path file = fs::absolute(scenario.control.strategy->source_file()).lexically_normal();
        const fs::path relative = file.lexically_relative(absolute_dir);
        run_table.insert_or_assign("strategy", relative.empty() ? file.string() : relative.string());
      } else if (strategy.empty()) {
        run_table.insert_or_assign("strategy", scenario.control.strategy->name());
      }
      toml::array expect;
      for (const std::string& v : outcome.violations)
        expect.push_back(v);
      run_table.insert_or_assign("expect", expect);
      if (!table.contains("control"))
        table.insert("control", toml::table{});
      table["control"].as_table()->insert_or_assign("baseline", false);
      toml::table replay;
      replay.insert("explored", study.file.string());
      replay.insert("outcome", outcome.key);
      replay.insert("headline", outcome.headline());
      toml::array schedule;
      for (const WitnessStep& w : run.witnesses[k]) {
        toml::table point{{"op", w.agent}, {"in", w.op}, {"step", w.step}, {"at", short_where(w.where)}};
        point.is_inline(true);
        schedule.push_back(std::move(point));
      }
      replay.insert("schedule", std::move(schedule));
      table.insert_or_assign("replay", std::move(replay));

      std::ostringstream text;
      text << "# Reproducer written by apqsim explore " << study.file.string() << ": strategy " << run.label
           << ", outcome class #" << run.class_ids[k] << ":\n#   " << outcome.headline() << "\n"
           << "# `apqsim run` follows the [replay] schedule step by step and checks that it ends in that outcome\n"
           << "# (exit 1 if not). The scenario is the one explored, includes and --set applied.\n\n"
           << toml::toml_formatter{table} << "\n";
      const fs::path file = dir / (stem + "-" + std::to_string(run.class_ids[k]) + ".toml");
      write_output_file(file, text.str(), "--emit");
      run.reproducers[k] = file.string();
    }
  }
}

} // namespace apq
