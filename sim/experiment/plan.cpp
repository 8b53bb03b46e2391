#include "sim/experiment/plan.hpp"

#include "analysis/tail_statistics.hpp"
#include "models/units.hpp"
#include "sim/experiment/design.hpp"
#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace apq {

namespace {

/** Shell-style pattern: * any run of characters, ? one character. */
bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.empty())
    return name.empty();
  if (pattern[0] == '*')
    return matches(pattern.substr(1), name) || (!name.empty() && matches(pattern, name.substr(1)));
  return !name.empty() && (pattern[0] == '?' || pattern[0] == name[0]) && matches(pattern.substr(1), name.substr(1));
}

const std::pair<const char*, double> kQuantileKeys[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};

/** The SLOs of one table (p50..p999, loss, failed) for a scope. */
void read_slos(const ConfigNode& table, const std::string& scope, const std::vector<std::string>& guests,
               std::vector<Slo>& out) {
  for (const auto& [key, q] : kQuantileKeys)
    if (table.has(key)) {
      const double limit = table.duration(key);
      if (!(limit > 0))
        table.fail(key, "must be longer than 0s");
      out.push_back(Slo{Slo::Kind::quantile, scope, guests, q, limit});
    }
  for (const auto& [key, kind] : {std::pair{"loss", Slo::Kind::loss}, std::pair{"failed", Slo::Kind::failed}})
    if (table.has(key)) {
      const double limit = table.number(key);
      if (!(limit >= 0 && limit < 1))
        table.fail(key, "a fraction of the requests, between 0 and 1, e.g. 0.001 for 0.1%");
      out.push_back(Slo{kind, scope, guests, 0, limit});
    }
}

} // namespace

std::string Slo::label() const {
  std::string out = scope == "all" ? "" : scope.substr(scope.find(' ') + 1) + " ";
  char text[64];
  switch (kind) {
  case Kind::quantile:
    for (const auto& [key, q] : kQuantileKeys)
      if (q == quantile)
        out += key;
    out += " <= " + units::format_duration(limit);
    break;
  case Kind::loss:
    std::snprintf(text, sizeof text, "loss <= %g%%", 100 * limit);
    out += text;
    break;
  case Kind::failed:
    std::snprintf(text, sizeof text, "failed <= %g%%", 100 * limit);
    out += text;
    break;
  }
  return out;
}

std::string Slo::measure() const {
  switch (kind) {
  case Kind::quantile:
    return "P(T > " + units::format_duration(limit) + ")";
  case Kind::loss:
    return "completed-request deficit";
  case Kind::failed:
    break;
  }
  return "failed fraction";
}

PlanSpec read_plan_spec(const std::filesystem::path& file) {
  const toml::table table = load_resolved_table(file);
  const ConfigNode root(table, "", file.string());
  if (!root.has("plan"))
    root.fail("no [plan] table: give the SLOs and the factors to size, see configs/capacity/plan-example.toml");
  const ConfigNode plan = root.table("plan");
  const Scenario base = load_scenario(file);
  std::vector<std::string> names;
  for (const GuestSpec& guest : base.guests)
    names.push_back(guest.name);
  PlanSpec spec;
  spec.replications = static_cast<int>(plan.integer_or("replications", spec.replications));
  if (spec.replications < 2)
    plan.fail("replications", "at least 2: an SLO is judged on a confidence interval (10 or more recommended)");
  spec.confidence = plan.number_or("confidence", spec.confidence);
  if (!(spec.confidence > 0 && spec.confidence < 1))
    plan.fail("confidence", "must be between 0 and 1, e.g. 0.95");
  const ConfigNode slo = plan.table("slo");
  read_slos(slo, "all", {}, spec.slos);
  if (auto guests = slo.table_opt("guests"))
    for (const std::string& pattern : guests->keys()) {
      const ConfigNode g = guests->table(pattern);
      std::vector<std::string> matched;
      for (const std::string& name : names)
        if (matches(pattern, name))
          matched.push_back(name);
      if (matched.empty())
        guests->fail(
            pattern, "no guest named or matching '" + pattern + "'; guests: " + [&] {
              std::string list;
              for (const std::string& n : names)
                list += (list.empty() ? "" : ", ") + n;
              return list;
            }());
      for (const std::string& name : matched)
        read_slos(g, "guest " + name, {name}, spec.slos);
      g.reject_unknown_keys();
    }
  if (auto groups = slo.table_opt("groups"))
    for (const std::string& group : groups->keys()) {
      const ConfigNode g = groups->table(group);
      std::vector<std::string> members;
      for (const std::string& pattern : g.strings("guests")) {
        bool any = false;
        for (const std::string& name : names)
          if (matches(pattern, name)) {
            any = true;
            if (std::find(members.begin(), members.end(), name) == members.end())
              members.push_back(name);
          }
        if (!any)
          g.fail("guests", "no guest named or matching '" + pattern + "'");
      }
      read_slos(g, "group " + group, members, spec.slos);
      g.reject_unknown_keys();
    }
  slo.reject_unknown_keys();
  if (spec.slos.empty())
    plan.fail("slo", "name at least one SLO: p50, p90, p99, p999 (durations), loss or failed (fractions), over all "
                     "guests, guests.<name or pattern>, or groups.<name> with guests = [...]");

  std::vector<std::string> paths;
  std::vector<std::vector<ConfigOverride>> values; // located where they are written
  for (const ConfigNode& f : plan.tables("factors")) {
    paths.push_back(f.string("path"));
    const toml::array* array = f.raw("values") ? f.raw("values")->as_array() : nullptr;
    if (array == nullptr || array->empty())
      f.fail("values", "expected the factor's values from the smallest to the largest resource");
    std::vector<ConfigOverride> texts;
    for (const toml::node& v : *array)
      texts.push_back(override_at(paths.back(), v, f.raw("path")->source()));
    values.push_back(std::move(texts));
    f.reject_unknown_keys();
  }
  plan.reject_unknown_keys();
  // Every combination; its cost is the sum of the positions of its values (each factor lists small to large).
  std::vector<std::size_t> digit(values.size(), 0);
  while (true) {
    PlanCandidate c;
    c.index = spec.candidates.size();
    for (std::size_t f = 0; f < values.size(); ++f) {
      c.overrides.push_back(values[f][digit[f]]);
      c.cost += static_cast<double>(digit[f]);
      c.label += (f ? ", " : "") + paths[f] + " = " + display_value(values[f][digit[f]].value);
    }
    spec.candidates.push_back(std::move(c));
    std::size_t f = values.size();
    while (f > 0 && ++digit[f - 1] == values[f - 1].size())
      digit[--f] = 0;
    if (f == 0)
      break;
  }
  std::stable_sort(spec.candidates.begin(), spec.candidates.end(),
                   [](const PlanCandidate& a, const PlanCandidate& b) { return a.cost < b.cost; });
  for (const PlanCandidate& c : spec.candidates)
    load_scenario(file, c.overrides); // every candidate must be a valid scenario before anything runs
  return spec;
}

namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%%", 100 * fraction + 0.0);
  return text;
}

/** The replications' requests of the SLO's guests, as one histogram per replication. */
std::vector<LatencyHistogram> scope_histograms(const Slo& slo, const std::vector<Replication>& runs) {
  std::vector<LatencyHistogram> out;
  for (const Replication& r : runs) {
    const Json& h = r.result.at("histograms");
    if (slo.guests.empty()) {
      out.push_back(histogram_from_json(h.at("all")));
      continue;
    }
    LatencyHistogram merged = histogram_from_json(h.at("guests").at(slo.guests.front()));
    for (std::size_t g = 1; g < slo.guests.size(); ++g)
      merged.merge(histogram_from_json(h.at("guests").at(slo.guests[g])));
    out.push_back(std::move(merged));
  }
  return out;
}

/** The per-replication value of a loss or failure SLO over its guests. */
double scope_fraction(const Slo& slo, const Json& result, uint64_t* requests) {
  std::vector<std::string> guests = slo.guests;
  if (guests.empty())
    for (const auto& [name, guest] : result.at("guests").items())
      guests.push_back(name);
  double numerator = 0, denominator = 0;
  for (const std::string& name : guests) {
    const Json& guest = result.at("guests").at(name);
    if (slo.kind == Slo::Kind::failed) {
      numerator += guest.at("failed").get<double>();
      denominator += guest.at("offered").get<double>();
    } else {
      const double base = result.at("baseline").at("guests").at(name).at("completed").get<double>();
      numerator += base - guest.at("completed").get<double>();
      denominator += base;
    }
  }
  *requests += static_cast<uint64_t>(denominator);
  return denominator > 0 ? numerator / denominator : 0;
}

SloVerdict judge(const Slo& slo, const Scenario& scenario, const std::vector<Replication>& runs, double level) {
  SloVerdict v;
  v.slo = &slo;
  const std::size_t n = runs.size();
  if (slo.kind == Slo::Kind::quantile) {
    const std::vector<LatencyHistogram> histograms = scope_histograms(slo, runs);
    std::vector<const LatencyHistogram*> pointers;
    uint64_t samples = 0;
    for (const LatencyHistogram& h : histograms) {
      pointers.push_back(&h);
      samples += h.count();
    }
    const ExceedanceInterval e = exceedance_interval(pointers, slo.limit, level);
    v.tail_samples = e.min_samples * (1 - slo.quantile);
    v.effective_samples = e.effective_samples;
    v.estimate = e.estimate;
    v.lower = e.lower;
    v.upper = e.upper;
    // No sample above the limit in any replication: the fraction is still not known to be 0 (rule of three).
    if (e.upper == 0 && samples > 0)
      v.upper = -std::log((1 - level) / 2) / static_cast<double>(samples);
    v.compared_with = 1 - slo.quantile;
  } else {
    if (slo.kind == Slo::Kind::loss && !(scenario.control.reconfigures() && scenario.control.baseline)) {
      v.verdict = SloVerdict::Verdict::not_applicable;
      v.text = slo.label() + ": no reconfiguration (or no baseline): nothing to lose against";
      return v;
    }
    std::vector<double> values;
    uint64_t requests = 0;
    for (const Replication& r : runs)
      values.push_back(scope_fraction(slo, r.result, &requests));
    const ConfidenceInterval ci = mean_confidence_interval(values, level);
    v.estimate = ci.mean;
    v.lower = ci.lower;
    v.upper = ci.upper;
    if (slo.kind == Slo::Kind::failed && ci.upper == 0 && requests > 0)
      v.upper = -std::log((1 - level) / 2) / static_cast<double>(requests); // none failed: rule of three
    v.compared_with = slo.limit;
  }
  const double limit = v.compared_with;
  std::string what = slo.measure() + (slo.kind == Slo::Kind::quantile ? " = " : " ");
  what += percent(v.estimate) + " [" + percent(v.lower) + ", " + percent(v.upper) + "]";
  if (v.upper <= limit) {
    v.verdict = SloVerdict::Verdict::meets;
    v.text = slo.label() + ": " + what + " <= " + percent(limit) + ": meets";
  } else if (v.lower > limit) {
    v.verdict = SloVerdict::Verdict::fails;
    v.text = slo.label() + ": " + what + " > " + percent(limit) + ": fails";
  } else {
    v.verdict = SloVerdict::Verdict::undecided;
    const double half_width = std::max(v.upper - v.estimate, v.estimate - v.lower);
    v.replications_needed = replications_needed(n, v.estimate, half_width, limit);
    v.text = slo.label() + ": " + what + " straddles " + percent(limit) + ": undecided (" +
             (v.replications_needed ? "about " + std::to_string(*v.replications_needed) + " replications would decide"
                                    : "the estimate sits on the limit") +
             ")";
  }
  return v;
}

const char* verdict_name(SloVerdict::Verdict v) {
  switch (v) {
  case SloVerdict::Verdict::meets:
    return "meets";
  case SloVerdict::Verdict::fails:
    return "fails";
  case SloVerdict::Verdict::undecided:
    return "undecided";
  case SloVerdict::Verdict::not_applicable:
    return "not applicable";
  }
  return "?";
}

/** Each SLO's level when k are judged together (Bonferroni). */
double per_slo_level(const PlanSpec& spec) {
  return 1 - (1 - spec.confidence) / static_cast<double>(std::max<std::size_t>(spec.slos.size(), 1));
}

} // namespace

PlanResult run_plan(const std::filesystem::path& file, const PlanSpec& spec, const ExperimentOptions& options,
                    const std::function<void(std::size_t, const PlanCandidate&)>& on_candidate) {
  PlanResult result;
  result.file = file;
  result.spec = spec;
  result.outcomes.reserve(spec.candidates.size());
  const double level = per_slo_level(spec);
  for (const PlanCandidate& candidate : result.spec.candidates) {
    if (on_candidate)
      on_candidate(result.outcomes.size(), candidate);
    CandidateOutcome outcome;
    outcome.candidate = &candidate;
    const Scenario scenario = load_scenario(file, candidate.overrides);
    result.warmup = scenario.run.warmup;
    result.horizon = scenario.run.horizon;
    for (const auto& [card, utilization] : capacity_utilization(scenario))
      if (utilization >= 1) {
        outcome.bracketed_out = true;
        char reason[96];
        std::snprintf(reason, sizeof reason, "card 0x%02x would be %.0f%% busy (capacity bound)", card,
                      100 * utilization);
        outcome.bracket_reason = reason;
        break;
      }
    if (!outcome.bracketed_out) {
      const auto runs = run_replications({&scenario}, 0, static_cast<std::size_t>(spec.replications), options);
      const ReplicatedFigures figures = summarize(scenario, runs[0], spec.confidence);
      outcome.intervals = figures.intervals;
      // What bears on the verdicts: the experiment's own warnings (warm-up, stationarity), not those of figures
      // the SLOs do not use; a latency SLO's own sample size is checked below.
      for (const StatWarning& w : figures.warnings)
        if (w.figure.empty())
          outcome.warnings.push_back(w);
      outcome.simulated = true;
      outcome.replications = runs[0].size();
      bool any_fails = false, any_undecided = false;
      for (const Slo& slo : result.spec.slos) {
        SloVerdict v = judge(slo, scenario, runs[0], level);
        if (slo.kind == Slo::Kind::quantile && v.verdict != SloVerdict::Verdict::not_applicable) {
          char text[400];
          if (v.tail_samples < kMinTailSamples) {
            std::snprintf(text, sizeof text,
                          "%s: a replication has only %.3g requests expected above %s (fewer than %.0f): the "
                          "verdict may not hold; lengthen the runs",
                          slo.label().c_str(), v.tail_samples, units::format_duration(slo.limit).c_str(),
                          kMinTailSamples);
            outcome.warnings.push_back(StatWarning{"", text});
          } else if (v.effective_samples < kMinEffectiveTailSamples) {
            std::snprintf(text, sizeof text,
                          "%s: the replications disagree so much on the share of requests above %s that together "
                          "they amount to about %.2g independent samples (fewer than %.0f): the slow requests come "
                          "in a few bursts (reconfiguration?); the verdict may not hold; lengthen the runs",
                          slo.label().c_str(), units::format_duration(slo.limit).c_str(), v.effective_samples,
                          kMinEffectiveTailSamples);
            outcome.warnings.push_back(StatWarning{"", text});
          }
        }
        any_fails = any_fails || v.verdict == SloVerdict::Verdict::fails;
        if (v.verdict == SloVerdict::Verdict::undecided) {
          any_undecided = true;
          if (v.replications_needed)
            outcome.replications_needed = std::max(outcome.replications_needed.value_or(0), *v.replications_needed);
        }
        outcome.verdicts.push_back(std::move(v));
      }
      outcome.verdict = any_fails       ? SloVerdict::Verdict::fails
                        : any_undecided ? SloVerdict::Verdict::undecided
                                        : SloVerdict::Verdict::meets;
    }
    result.outcomes.push_back(std::move(outcome));
    if (result.outcomes.back().verdict == SloVerdict::Verdict::meets)
      break; // candidates come smallest first: the first that meets the SLOs is the answer
  }
  for (const CandidateOutcome& o : result.outcomes) {
    if (o.verdict == SloVerdict::Verdict::meets)
      result.answer = &o;
    else if (o.verdict == SloVerdict::Verdict::undecided)
      result.undecided.push_back(&o);
    else
      result.nearest_failing = &o; // the last failure before the answer is the nearest one
  }
  return result;
}

std::string plan_report(const PlanResult& result) {
  std::ostringstream out;
  const PlanSpec& spec = result.spec;
  char line[256];
  std::snprintf(line, sizeof line, "%.3g%%", 100 * per_slo_level(spec));
  out << "apqsim plan · " << result.file.string() << " · " << spec.candidates.size() << " candidates, "
      << spec.replications << " replications each · " << spec.confidence * 100 << "% confidence for all "
      << spec.slos.size() << " SLOs of a candidate together (Bonferroni: each at " << line << ")\n";
  out << "SLOs, over the measured period of every replication (" << units::format_duration(result.warmup) << ".."
      << units::format_duration(result.horizon)
      << ": every request issued and completed in it, reconfiguration included); a latency SLO pXX <= x is judged as "
         "P(T > x) <= 1 - XX%:\n  ";
  for (std::size_t i = 0; i < spec.slos.size(); ++i)
    out << (i ? "; " : "") << spec.slos[i].label();
  out << "\n\n";
  for (const CandidateOutcome& o : result.outcomes) {
    const char* tag = o.bracketed_out                           ? "BOUND    "
                      : o.verdict == SloVerdict::Verdict::meets ? "MEETS    "
                      : o.verdict == SloVerdict::Verdict::fails ? "FAILS    "
                                                                : "UNDECIDED";
    out << "  " << tag << " " << o.candidate->label << "\n";
    if (o.bracketed_out)
      out << "            skipped without simulation: " << o.bracket_reason << "\n";
    for (const SloVerdict& v : o.verdicts)
      out << "            " << v.text << "\n";
  }
  out << "\n";
  if (result.answer != nullptr)
    out << "answer: " << result.answer->candidate->label << " (meets every SLO)\n";
  else
    out << "answer: none of the candidates is known to meet the SLOs"
        << (result.undecided.empty() ? "; extend the factors' values\n" : "\n");
  if (result.nearest_failing != nullptr)
    out << "nearest configuration that fails: " << result.nearest_failing->candidate->label << "\n";
  for (const CandidateOutcome* o : result.undecided)
    out << "undecided: " << o->candidate->label << " (about "
        << (o->replications_needed ? std::to_string(*o->replications_needed) : std::string("many more"))
        << " replications would decide: [plan] replications)" << (result.answer ? ": it may be enough" : "") << "\n";
  return out.str();
}

Json plan_json(const PlanResult& result) {
  Json out;
  out["file"] = result.file.string();
  const PlanSpec& spec = result.spec;
  out["replications"] = spec.replications;
  out["confidence"] = spec.confidence;
  out["correction"] = "bonferroni";
  out["per_slo_confidence"] = per_slo_level(spec);
  out["slo_window_s"] = Json::array({result.warmup, result.horizon});
  Json slos = Json::array();
  for (const Slo& slo : spec.slos)
    slos.push_back(slo.label());
  out["slos"] = slos;
  Json& candidates = out["candidates"];
  candidates = Json::array();
  for (const CandidateOutcome& o : result.outcomes) {
    Json c;
    c["label"] = o.candidate->label;
    Json set = Json::object();
    for (const ConfigOverride& v : o.candidate->overrides)
      set[v.path] = v.value;
    c["set"] = set;
    c["status"] = o.bracketed_out ? "over capacity" : verdict_name(o.verdict);
    if (o.bracketed_out)
      c["reason"] = o.bracket_reason;
    if (o.replications_needed)
      c["replications_needed"] = *o.replications_needed;
    Json verdicts = Json::array();
    for (const SloVerdict& v : o.verdicts) {
      Json j{{"slo", v.slo->label()}, {"verdict", verdict_name(v.verdict)}, {"text", v.text}};
      if (v.verdict != SloVerdict::Verdict::not_applicable) {
        j["measure"] = v.slo->measure();
        j["estimate"] = v.estimate;
        j["lower"] = v.lower;
        j["upper"] = v.upper;
        j["limit"] = v.compared_with;
      }
      if (v.replications_needed)
        j["replications_needed"] = *v.replications_needed;
      verdicts.push_back(std::move(j));
    }
    c["verdicts"] = verdicts;
    c["warnings"] = warnings_json(o.warnings);
    Json figures = Json::object();
    for (const auto& [path, ci] : o.intervals)
      if (path.starts_with("summary.") || path.starts_with("guests."))
        figures[path] = interval_json(ci);
    c["figures"] = figures;
    candidates.push_back(std::move(c));
  }
  out["answer"] = result.answer ? Json(result.answer->candidate->label) : Json(nullptr);
  out["nearest_failing"] = result.nearest_failing ? Json(result.nearest_failing->candidate->label) : Json(nullptr);
  Json undecided = Json::array();
  for (const CandidateOutcome* o : result.undecided)
    undecided.push_back(o->candidate->label);
  out["undecided"] = undecided;
  return out;
}

std::vector<StatWarning> plan_warnings(const PlanResult& result) {
  std::vector<StatWarning> out;
  if (result.spec.replications < 10)
    out.push_back(StatWarning{"", "[plan] replications = " + std::to_string(result.spec.replications) +
                                      ": with fewer than 10 replications the intervals are wide and verdicts swing "
                                      "with the seeds; 10 or more is recommended"});
  for (const CandidateOutcome& o : result.outcomes)
    for (const StatWarning& w : o.warnings)
      out.push_back(StatWarning{w.figure, o.candidate->label + ": " + w.message});
  return out;
}

} // namespace apq
