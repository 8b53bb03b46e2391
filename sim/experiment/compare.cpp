#include "sim/experiment/compare.hpp"

#include "analysis/figure_format.hpp"
#include "models/units.hpp"
#include "sim/experiment/design.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace apq {

CompareSpec read_compare_spec(const std::filesystem::path& file) {
  const toml::table table = load_resolved_table(file);
  const ConfigNode root(table, "", file.string());
  if (!root.has("compare"))
    root.fail("no [compare] table: say which variants to compare, e.g. strategies = [\"v12-trylock\", "
              "\"linux-6.13\"]");
  const ConfigNode compare = root.table("compare");
  CompareSpec spec;
  if (compare.has("strategies")) {
    const std::vector<std::string> strategies = compare.strings("strategies");
    const toml::array& written = *compare.raw("strategies")->as_array();
    for (std::size_t i = 0; i < strategies.size(); ++i)
      spec.variants.push_back(
          Variant{strategies[i], {override_at("run.strategy", *written.get(i), written.get(i)->source())}});
  }
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

namespace {

bool is_quantile(const std::string& path) {
  return path.ends_with(".p50") || path.ends_with(".p90") || path.ends_with(".p99") || path.ends_with(".p999") ||
         path.ends_with(".p9999");
}

} // namespace

std::vector<double> pair_differences(const std::vector<std::map<std::string, double>>& mine,
                                     const std::vector<std::map<std::string, double>>& theirs,
                                     const std::string& path) {
  std::vector<double> differences;
  for (std::size_t r = 0; r < std::min(mine.size(), theirs.size()); ++r) {
    const auto a = mine[r].find(path), b = theirs[r].find(path);
    if (a != mine[r].end() && b != theirs[r].end())
      differences.push_back(a->second - b->second);
  }
  return differences;
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
  try {
    result.runs = run_replications(scenarios, 0, static_cast<std::size_t>(spec.replications), options);
  } catch (const IncompleteExperiment& e) {
    // Pairs need every variant: keep the seeds all of them completed, if that still gives intervals.
    result.runs = e.complete();
    std::set<uint64_t> common;
    for (const Replication& r : result.runs[0])
      common.insert(r.seed);
    for (const auto& runs : result.runs) {
      std::set<uint64_t> seeds;
      for (const Replication& r : runs)
        if (common.contains(r.seed))
          seeds.insert(r.seed);
      common = std::move(seeds);
    }
    if (common.size() < 2)
      throw;
    for (auto& runs : result.runs)
      std::erase_if(runs, [&common](const Replication& r) { return !common.contains(r.seed); });
    result.spec.replications = static_cast<int>(common.size());
    result.incomplete = e.what();
    result.signal = e.signal();
  }
  std::vector<std::vector<std::map<std::string, double>>> figures(result.runs.size());
  for (std::size_t v = 0; v < result.runs.size(); ++v)
    for (const Replication& r : result.runs[v])
      figures[v].push_back(r.figures);
  for (std::size_t v = 0; v < figures.size(); ++v) {
    result.figures.push_back(summarize(result.scenarios[v], result.runs[v], spec.confidence));
    result.paired.push_back(paired_differences(figures[v], figures[0], spec.confidence));
  }
  // The table's comparisons, corrected for their number.
  const double alpha = 1 - spec.confidence;
  for (std::size_t v = 1; v < figures.size(); ++v)
    for (const KeyFigure& c : key_figures()) {
      const std::vector<double> differences = pair_differences(figures[v], figures[0], c.path);
      // Figures identical in every pair (0 EBUSY under two blocking strategies) hold no test: left out of the count.
      const bool identical = std::all_of(differences.begin(), differences.end(), [](double d) { return d == 0; });
      if (differences.size() < 2 || identical)
        continue;
      result.comparisons.push_back(PairedComparison{v, c.path, {}, paired_t_p_value(differences), false});
    }
  result.comparison_count = result.comparisons.size();
  result.comparison_level = 1 - alpha / static_cast<double>(std::max<std::size_t>(result.comparison_count, 1));
  for (PairedComparison& pc : result.comparisons) {
    const std::vector<double> differences = pair_differences(figures[pc.variant], figures[0], pc.path);
    pc.difference = mean_confidence_interval(differences, result.comparison_level);
    if (is_quantile(pc.path)) {
      // Never narrower than the histograms' resolution (1% of each quantile).
      const auto &mine = result.figures[pc.variant].intervals, &theirs = result.figures[0].intervals;
      if (mine.contains(pc.path) && theirs.contains(pc.path)) {
        const double floor = 0.01 * (std::abs(mine.at(pc.path).mean) + std::abs(theirs.at(pc.path).mean));
        if (!(pc.difference.half_width >= floor)) {
          pc.difference.half_width = floor;
          pc.difference.lower = pc.difference.mean - floor;
          pc.difference.upper = pc.difference.mean + floor;
        }
      }
    }
  }
  std::vector<double> p_values;
  for (const PairedComparison& pc : result.comparisons)
    p_values.push_back(pc.p_value);
  const std::vector<bool> rejected = holm_rejections(p_values, alpha);
  for (std::size_t i = 0; i < result.comparisons.size(); ++i)
    result.comparisons[i].different = rejected[i];
  // Violations a variant's scenario does not expect.
  const std::pair<const char*, const char*> kMonitors[] = {{"deadlock", "monitors.deadlocks"},
                                                           {"stolen_queue", "monitors.stolen_queues"},
                                                           {"lock_order_inversion", "monitors.lock_order_inversions"}};
  for (std::size_t v = 0; v < result.runs.size(); ++v)
    for (const auto& [name, path] : kMonitors) {
      const auto& expect = result.scenarios[v].run.expect;
      if (std::find(expect.begin(), expect.end(), name) != expect.end())
        continue;
      for (const Replication& r : result.runs[v])
        if (auto it = r.figures.find(path); it != r.figures.end() && it->second > 0) {
          result.unexpected.push_back(spec.variants[v].name + ": " + name + " (seed " + std::to_string(r.seed) + ")");
          break;
        }
    }
  return result;
}

namespace {

std::string cell(const ReplicatedFigures& figures, const KeyFigure& column) {
  const auto it = figures.intervals.find(column.path);
  if (it == figures.intervals.end())
    return "-";
  const auto method = figures.methods.find(column.path);
  return format_figure(it->second, method == figures.methods.end() ? "" : method->second, column.kind);
}

std::string difference_cell(const CompareResult& result, std::size_t v, const KeyFigure& column) {
  for (const PairedComparison& pc : result.comparisons)
    if (pc.variant == v && pc.path == column.path) {
      std::string text = format_interval(pc.difference.mean, pc.difference.half_width, column.kind);
      if (pc.difference.mean > 0)
        text = "+" + text;
      return text + (pc.different ? " *" : "  ");
    }
  if (auto it = result.paired[v].find(column.path); it != result.paired[v].end() && it->second.mean == 0)
    return "identical  ";
  return "-";
}

} // namespace

std::string compare_table(const CompareResult& result) {
  std::ostringstream out;
  char line[512];
  out << "apqsim compare · " << result.file.string() << " · " << result.spec.replications
      << " replications per variant, common random numbers (seeds " << result.scenarios[0].run.seed << ".."
      << result.scenarios[0].run.seed + result.spec.replications - 1 << ") · " << result.spec.confidence * 100
      << "% intervals\n";
  if (!result.incomplete.empty())
    out << "INCOMPLETE: only the replications every variant completed (" << result.incomplete << ")\n";
  out << "mean +- half-width over replications; p99 and p999: pooled estimate [interval]; loss: completed-request "
         "deficit against the baseline; extra delay and failed: requests that belong to a reconfiguration "
         "(issued in an operation's window or touched by it)\n\n";
  std::snprintf(line, sizeof line, "%-16s", "variant");
  out << line;
  for (const KeyFigure& c : key_figures()) {
    std::snprintf(line, sizeof line, " %22s", c.label);
    out << line;
  }
  out << "\n";
  for (std::size_t v = 0; v < result.spec.variants.size(); ++v) {
    std::snprintf(line, sizeof line, "%-16.16s", result.spec.variants[v].name.c_str());
    out << line;
    for (const KeyFigure& c : key_figures()) {
      std::snprintf(line, sizeof line, " %22s", cell(result.figures[v], c).c_str());
      out << line;
    }
    out << "\n";
  }
  char level[32];
  std::snprintf(level, sizeof level, "%.3g%%", 100 * result.comparison_level);
  out << "\npaired differences against " << result.spec.variants[0].name << " (same seeds): " << result.comparison_count
      << " comparisons; intervals at " << level << " each (Bonferroni: " << result.spec.confidence * 100
      << "% for all together); * = a difference by Holm's step-down test at " << (1 - result.spec.confidence) * 100
      << "% familywise\n";
  for (std::size_t v = 1; v < result.spec.variants.size(); ++v) {
    std::snprintf(line, sizeof line, "%-16.16s", result.spec.variants[v].name.c_str());
    out << line;
    for (const KeyFigure& c : key_figures()) {
      std::snprintf(line, sizeof line, " %22s", difference_cell(result, v, c).c_str());
      out << line;
    }
    out << "\n";
  }
  out << "\ncommon random numbers make variants see the same requests: they narrow the differences of figures that "
         "follow the requests (mean latency, throughput), much less those of rare events (p999) or of the "
         "control plane (EBUSY, retries, lock wait), whose randomness the variants do not share once they diverge\n";
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
  if (!result.incomplete.empty())
    compare["incomplete"] = result.incomplete;
  compare["confidence"] = result.spec.confidence;
  compare["reference"] = result.spec.variants[0].name;
  compare["correction"] = Json{{"tests", "holm"},
                               {"intervals", "bonferroni"},
                               {"comparisons", result.comparison_count},
                               {"interval_level", result.comparison_level}};
  Json comparisons = Json::array();
  for (const PairedComparison& pc : result.comparisons) {
    Json j = interval_json(pc.difference);
    j["variant"] = result.spec.variants[pc.variant].name;
    j["metric"] = pc.path;
    j["p_value"] = pc.p_value;
    j["different"] = pc.different;
    comparisons.push_back(std::move(j));
  }
  compare["comparisons"] = comparisons;
  compare["unexpected_violations"] = result.unexpected;
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
    variant["warnings"] = warnings_json(result.figures[v].warnings);
    Json& figures = variant["figures"];
    figures = Json::object();
    for (const auto& [path, ci] : result.figures[v].intervals) {
      Json j = interval_json(ci);
      if (auto it = result.figures[v].methods.find(path); it != result.figures[v].methods.end())
        j["method"] = it->second;
      figures[path] = std::move(j);
    }
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
