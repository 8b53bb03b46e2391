#include "sim/experiment/compare.hpp"

#include "models/units.hpp"
#include "sim/experiment/design.hpp"

#include <cmath>
#include <sstream>

namespace apq {

CompareSpec read_compare_spec(const std::filesystem::path& file) {
  const toml::table table = load_resolved_table(file);
  const ConfigNode root(table, "", file.string());
  if (!root.has("compare"))
    root.fail("no [compare] table: say which variants to compare, e.g. strategies = [\"v12-trylock\", "
              "\"mainline-6.0\"]");
  const ConfigNode compare = root.table("compare");
  CompareSpec spec;
  if (compare.has("strategies"))
    for (const std::string& strategy : compare.strings("strategies"))
      spec.variants.push_back(Variant{strategy, {{"run.strategy", "\"" + strategy + "\""}}});
  if (compare.has("variants"))
    for (const ConfigNode& v : compare.tables("variants")) {
      Variant variant;
      variant.name = v.string("name");
      if (v.has("set"))
        variant.overrides = read_overrides(v.table("set"));
      v.reject_unknown_keys();
      spec.variants.push_back(std::move(variant));
    }
  if (spec.variants.size() < 2)
    compare.fail("compare at least two variants (strategies = [...] or [[compare.variants]])");
  spec.replications = static_cast<int>(compare.integer_or("replications", spec.replications));
  if (spec.replications < 2)
    compare.fail("replications", "at least 2: paired intervals need a spread");
  spec.confidence = compare.number_or("confidence", spec.confidence);
  if (!(spec.confidence > 0 && spec.confidence < 1))
    compare.fail("confidence", "must be between 0 and 1");
  compare.reject_unknown_keys();
  return spec;
}

CompareResult run_compare(const std::filesystem::path& file, const CompareSpec& spec,
                          const ExperimentOptions& options) {
  CompareResult result;
  result.file = file;
  result.spec = spec;
  for (const Variant& variant : spec.variants)
    result.scenarios.push_back(load_scenario(file, variant.overrides));
  std::vector<const Scenario*> scenarios;
  for (const Scenario& s : result.scenarios)
    scenarios.push_back(&s);
  result.runs = run_replications(scenarios, 0, static_cast<std::size_t>(spec.replications), options);
  std::vector<std::vector<std::map<std::string, double>>> figures(result.runs.size());
  for (std::size_t v = 0; v < result.runs.size(); ++v)
    for (const Replication& r : result.runs[v])
      figures[v].push_back(r.figures);
  for (std::size_t v = 0; v < figures.size(); ++v) {
    result.intervals.push_back(figure_intervals(figures[v], spec.confidence));
    result.paired.push_back(paired_differences(figures[v], figures[0], spec.confidence));
  }
  return result;
}

namespace {

std::string cell(const std::map<std::string, ConfidenceInterval>& intervals, const KeyFigure& figure, bool signed_) {
  const auto it = intervals.find(figure.path);
  return it == intervals.end() ? "-" : format_interval(it->second, figure, signed_);
}

} // namespace

std::string compare_table(const CompareResult& result) {
  std::ostringstream out;
  char line[512];
  out << "apqsim compare · " << result.file.string() << " · " << result.spec.replications
      << " replications per variant, common random numbers (seeds " << result.scenarios[0].run.seed << ".."
      << result.scenarios[0].run.seed + result.spec.replications - 1 << ") · " << result.spec.confidence * 100
      << "% intervals\n\n";
  std::snprintf(line, sizeof line, "%-22s", "variant");
  out << line;
  for (const KeyFigure& c : key_figures()) {
    std::snprintf(line, sizeof line, " %24s", c.label);
    out << line;
  }
  out << "\n";
  for (std::size_t v = 0; v < result.spec.variants.size(); ++v) {
    std::snprintf(line, sizeof line, "%-22s", result.spec.variants[v].name.c_str());
    out << line;
    for (const KeyFigure& c : key_figures()) {
      std::snprintf(line, sizeof line, " %24s", cell(result.intervals[v], c, false).c_str());
      out << line;
    }
    out << "\n";
  }
  out << "\npaired differences against " << result.spec.variants[0].name << " (same seeds):\n";
  for (std::size_t v = 1; v < result.spec.variants.size(); ++v) {
    std::snprintf(line, sizeof line, "%-22s", result.spec.variants[v].name.c_str());
    out << line;
    for (const KeyFigure& c : key_figures()) {
      std::snprintf(line, sizeof line, " %24s", cell(result.paired[v], c, true).c_str());
      out << line;
    }
    out << "\n";
  }
  return out.str();
}

Json compare_json(const CompareResult& result) {
  Json out;
  out["manifest"] = result.runs.at(0).at(0).result.at("manifest");
  Json seeds = Json::array();
  for (const Replication& r : result.runs[0])
    seeds.push_back(r.seed);
  out["manifest"]["seeds"] = seeds;
  Json& compare = out["compare"];
  compare["replications"] = result.spec.replications;
  compare["confidence"] = result.spec.confidence;
  compare["reference"] = result.spec.variants[0].name;
  Json& variants = compare["variants"];
  variants = Json::array();
  for (std::size_t v = 0; v < result.spec.variants.size(); ++v) {
    Json variant;
    variant["name"] = result.spec.variants[v].name;
    Json overrides = Json::object();
    for (const ConfigOverride& o : result.spec.variants[v].overrides)
      overrides[o.path] = o.value;
    variant["set"] = overrides;
    variant["config_sha256"] = result.scenarios[v].config_sha256;
    Json& figures = variant["figures"];
    figures = Json::object();
    for (const auto& [path, ci] : result.intervals[v])
      figures[path] = interval_json(ci);
    Json& paired = variant["paired_vs_reference"];
    paired = Json::object();
    if (v > 0)
      for (const auto& [path, ci] : result.paired[v])
        paired[path] = interval_json(ci);
    variants.push_back(std::move(variant));
  }
  return out;
}

std::string compare_csv(const CompareResult& result) {
  std::ostringstream out;
  out.precision(17);
  out << "variant,replication,seed,metric,value\n";
  for (std::size_t v = 0; v < result.runs.size(); ++v)
    for (std::size_t r = 0; r < result.runs[v].size(); ++r)
      for (const auto& [path, value] : result.runs[v][r].figures)
        out << '"' << result.spec.variants[v].name << "\"," << r << ',' << result.runs[v][r].seed << ',' << path << ','
            << value << '\n';
  return out.str();
}

} // namespace apq
