#include "sim/experiment/plan.hpp"

#include "models/units.hpp"
#include "sim/experiment/design.hpp"
#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace apq {

PlanSpec read_plan_spec(const std::filesystem::path& file) {
  const toml::table table = load_resolved_table(file);
  const ConfigNode root(table, "", file.string());
  if (!root.has("plan"))
    root.fail("no [plan] table: give the SLOs and the factors to size, see configs/capacity/plan-example.toml");
  const ConfigNode plan = root.table("plan");
  PlanSpec spec;
  spec.replications = static_cast<int>(plan.integer_or("replications", spec.replications));
  if (spec.replications < 2)
    plan.fail("replications", "at least 2: an SLO is judged on a confidence interval");
  spec.confidence = plan.number_or("confidence", spec.confidence);
  const ConfigNode slo = plan.table("slo");
  spec.p99 = slo.duration_or("p99", 0.0);
  spec.loss = slo.number_or("loss", -1.0);
  if (auto guests = slo.table_opt("guests"))
    for (const std::string& guest : guests->keys()) {
      const ConfigNode g = guests->table(guest);
      spec.guest_p99[guest] = g.duration("p99");
      g.reject_unknown_keys();
    }
  slo.reject_unknown_keys();
  if (spec.p99 <= 0 && spec.loss < 0 && spec.guest_p99.empty())
    plan.fail("slo", "name at least one SLO: p99, loss, or guests.<name>.p99");

  std::vector<std::string> paths;
  std::vector<std::vector<std::string>> values;
  for (const ConfigNode& f : plan.tables("factors")) {
    paths.push_back(f.string("path"));
    const toml::array* array = f.raw("values") ? f.raw("values")->as_array() : nullptr;
    if (array == nullptr || array->empty())
      f.fail("values", "expected the factor's values from the smallest to the largest resource");
    std::vector<std::string> texts;
    for (const toml::node& v : *array)
      texts.push_back(toml_text(v));
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
      c.overrides.push_back({paths[f], values[f][digit[f]]});
      c.cost += static_cast<double>(digit[f]);
      c.label += (f ? ", " : "") + paths[f] + " = " + display_value(values[f][digit[f]]);
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
  for (const auto& [guest, p99] : spec.guest_p99)
    if (load_scenario(file).find_guest(guest) < 0)
      plan.fail("slo", "no guest named '" + guest + "'");
  return spec;
}

std::map<int, double> capacity_utilization(const Scenario& scenario) {
  const HostConfig host(scenario);
  std::map<int, double> work; // card -> offered seconds of card occupancy per second
  for (const GuestSpec& guest : scenario.guests) {
    const Apcb apcb = filter_matrix(scenario.mdevs[static_cast<std::size_t>(guest.mdev)], host);
    // Card occupancy of one request (engine time / engines) per card, averaged over the guest's mix.
    std::map<int, double> occupancy;
    double capacity = 0;
    for (int a : apcb.adapters.ids()) {
      const CardType& type = *scenario.find_card(a)->type;
      double mean = 0;
      for (const auto& [op, weight] : guest.ops.weights())
        if (type.supports(op))
          mean += weight * type.service[index_of(op)]->mean() / type.engines;
      occupancy[a] = mean;
      if (mean > 0)
        capacity += 1 / mean;
    }
    for (const auto& [a, mean] : occupancy)
      if (mean > 0) // this card's share of the guest's requests is its share of the capacity
        work[a] += guest.arrival->mean_rate() * ((1 / mean) / capacity) * mean;
  }
  return work;
}

namespace {

bool within(const std::map<std::string, ConfidenceInterval>& intervals, const std::string& path, double limit,
            std::string label, bool duration, std::vector<std::string>& verdicts) {
  const auto it = intervals.find(path);
  if (it == intervals.end()) {
    verdicts.push_back(label + ": no figure (" + path + ")");
    return false;
  }
  const ConfidenceInterval& ci = it->second;
  const bool ok = std::isfinite(ci.upper) && ci.upper <= limit;
  auto f = [duration](double x) {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.3g%%", 100 * x + 0.0); // + 0.0: no "-0%"
    return duration ? units::format_duration(x) : std::string(percent);
  };
  verdicts.push_back(label + " " + f(ci.mean) + " +- " + (std::isfinite(ci.half_width) ? f(ci.half_width) : "n/a") +
                     (ok ? " <= " : " NOT <= ") + f(limit));
  return ok;
}

} // namespace

PlanResult run_plan(const std::filesystem::path& file, const PlanSpec& spec, const ExperimentOptions& options,
                    const std::function<void(std::size_t, const PlanCandidate&)>& on_candidate) {
  PlanResult result;
  result.file = file;
  result.spec = spec;
  result.outcomes.reserve(spec.candidates.size());
  for (const PlanCandidate& candidate : result.spec.candidates) {
    if (on_candidate)
      on_candidate(result.outcomes.size(), candidate);
    CandidateOutcome outcome;
    outcome.candidate = &candidate;
    const Scenario scenario = load_scenario(file, candidate.overrides);
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
      std::vector<std::map<std::string, double>> figures;
      for (const Replication& r : runs[0])
        figures.push_back(r.figures);
      outcome.intervals = figure_intervals(figures, spec.confidence);
      outcome.simulated = true;
      bool ok = true;
      if (spec.p99 > 0)
        ok = within(outcome.intervals, "summary.latency_s.p99", spec.p99, "p99", true, outcome.verdicts) && ok;
      for (const auto& [guest, p99] : spec.guest_p99)
        ok = within(outcome.intervals, "guests." + guest + ".latency_s.p99", p99, guest + " p99", true,
                    outcome.verdicts) &&
             ok;
      if (spec.loss >= 0 && scenario.control.reconfigures())
        ok = within(outcome.intervals, "summary.throughput_loss", spec.loss, "loss", false, outcome.verdicts) && ok;
      outcome.meets = ok;
    }
    result.outcomes.push_back(std::move(outcome));
    if (result.outcomes.back().meets)
      break; // candidates come smallest first: the first that meets the SLOs is the answer
  }
  for (const CandidateOutcome& o : result.outcomes) {
    if (o.meets)
      result.answer = &o;
    else if (o.simulated || o.bracketed_out)
      result.nearest_failing = &o; // the last failure before the answer is the nearest one
  }
  return result;
}

std::string plan_report(const PlanResult& result) {
  std::ostringstream out;
  out << "apqsim plan · " << result.file.string() << " · " << result.spec.candidates.size() << " candidates, "
      << result.spec.replications << " replications each, " << result.spec.confidence * 100
      << "% intervals (an SLO is met when the whole interval is within it)\n\n";
  for (const CandidateOutcome& o : result.outcomes) {
    out << "  " << (o.meets ? "MEETS " : o.bracketed_out ? "BOUND " : "FAILS ") << o.candidate->label << "\n";
    if (o.bracketed_out)
      out << "        skipped without simulation: " << o.bracket_reason << "\n";
    for (const std::string& v : o.verdicts)
      out << "        " << v << "\n";
  }
  out << "\n";
  if (result.answer != nullptr)
    out << "answer: " << result.answer->candidate->label << "\n";
  else
    out << "answer: none of the candidates meets the SLOs; extend the factors' values\n";
  if (result.nearest_failing != nullptr)
    out << "nearest configuration that fails: " << result.nearest_failing->candidate->label << "\n";
  return out.str();
}

Json plan_json(const PlanResult& result) {
  Json out;
  out["plan"] = Json{{"file", result.file.string()},
                     {"replications", result.spec.replications},
                     {"confidence", result.spec.confidence}};
  // The SLOs as figure paths and limits, in the units of the figures (seconds, fractions).
  Json slo = Json::object();
  if (result.spec.p99 > 0)
    slo["summary.latency_s.p99"] = result.spec.p99;
  for (const auto& [guest, p99] : result.spec.guest_p99)
    slo["guests." + guest + ".latency_s.p99"] = p99;
  if (result.spec.loss >= 0)
    slo["summary.throughput_loss"] = result.spec.loss;
  out["plan"]["slo"] = slo;
  Json& candidates = out["candidates"];
  candidates = Json::array();
  for (const CandidateOutcome& o : result.outcomes) {
    Json c;
    c["label"] = o.candidate->label;
    Json set = Json::object();
    for (const ConfigOverride& v : o.candidate->overrides)
      set[v.path] = v.value;
    c["set"] = set;
    c["status"] = o.meets ? "meets" : o.bracketed_out ? "over capacity" : "fails";
    if (o.bracketed_out)
      c["reason"] = o.bracket_reason;
    c["verdicts"] = o.verdicts;
    Json figures = Json::object();
    for (const auto& [path, ci] : o.intervals)
      if (path.starts_with("summary.") || path.starts_with("guests."))
        figures[path] = interval_json(ci);
    c["figures"] = figures;
    candidates.push_back(std::move(c));
  }
  out["answer"] = result.answer ? Json(result.answer->candidate->label) : Json(nullptr);
  out["nearest_failing"] = result.nearest_failing ? Json(result.nearest_failing->candidate->label) : Json(nullptr);
  return out;
}

} // namespace apq
