#include "analysis/figures.hpp"

#include "models/units.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace apq {

namespace {

void flatten(const Json& node, const std::string& path, std::map<std::string, double>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items())
      flatten(value, path.empty() ? key : path + "." + key, out);
  } else if (node.is_number()) {
    out[path] = node.get<double>();
  } else if (node.is_boolean()) {
    out[path] = node.get<bool>() ? 1 : 0;
  }
}

} // namespace

std::map<std::string, double> numeric_figures(const Json& result) {
  std::map<std::string, double> out;
  for (const auto& [key, value] : result.items())
    if (key != "manifest" && key != "run" && key != "replications")
      flatten(value, key, out);
  // Violations as counts, so that replications can say how often they happen.
  if (result.contains("monitors"))
    for (const char* kind : {"deadlocks", "stolen_queues", "lock_order_inversions"})
      out["monitors." + std::string(kind)] = static_cast<double>(result.at("monitors").at(kind).size());
  return out;
}

std::map<std::string, ConfidenceInterval> figure_intervals(const std::vector<std::map<std::string, double>>& runs,
                                                           double level) {
  std::map<std::string, std::vector<double>> samples;
  for (const auto& run : runs)
    for (const auto& [path, value] : run)
      samples[path].push_back(value);
  std::map<std::string, ConfidenceInterval> out;
  for (const auto& [path, values] : samples)
    out[path] = mean_confidence_interval(values, level);
  return out;
}

std::map<std::string, ConfidenceInterval>
paired_differences(const std::vector<std::map<std::string, double>>& runs,
                   const std::vector<std::map<std::string, double>>& reference, double level) {
  std::map<std::string, std::vector<double>> samples;
  for (std::size_t r = 0; r < std::min(runs.size(), reference.size()); ++r)
    for (const auto& [path, value] : runs[r])
      if (auto it = reference[r].find(path); it != reference[r].end())
        samples[path].push_back(value - it->second);
  std::map<std::string, ConfidenceInterval> out;
  for (const auto& [path, values] : samples)
    out[path] = mean_confidence_interval(values, level);
  return out;
}

Json interval_json(const ConfidenceInterval& ci) {
  auto finite = [](double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); };
  return Json{{"mean", ci.mean},
              {"half_width", finite(ci.half_width)},
              {"lower", finite(ci.lower)},
              {"upper", finite(ci.upper)},
              {"n", ci.n}};
}

double total_over(const std::map<std::string, double>& figures, const std::string& prefix, const std::string& suffix) {
  double total = 0;
  for (auto it = figures.lower_bound(prefix); it != figures.end() && it->first.starts_with(prefix); ++it)
    if (it->first.ends_with(suffix))
      total += it->second;
  return total;
}

const std::vector<KeyFigure>& key_figures() {
  static const std::vector<KeyFigure> figures{
      {"loss", "summary.throughput_loss", "fraction"}, {"p99", "summary.latency_s.p99", "s"},
      {"p999", "summary.latency_s.p999", "s"},         {"EBUSY", "derived.ebusy", "count"},
      {"retries", "derived.retries", "count"},         {"lock wait", "derived.lock_wait_s", "s"},
      {"violations", "derived.violations", "count"},
  };
  return figures;
}

std::string format_interval(const ConfidenceInterval& ci, const KeyFigure& figure, bool signed_values) {
  const std::string unit = figure.unit;
  auto fmt = [&](double x, bool sign) {
    if (unit == "s")
      return (sign && x < 0 ? "-" : sign ? "+" : "") + units::format_duration(std::abs(x));
    char buf[32];
    if (unit == "fraction")
      std::snprintf(buf, sizeof buf, sign ? "%+.3f%%" : "%.3f%%", 100 * x);
    else
      std::snprintf(buf, sizeof buf, sign ? "%+.4g" : "%.4g", x);
    return std::string(buf);
  };
  const std::string hw = std::isfinite(ci.half_width) ? fmt(ci.half_width, false) : "n/a";
  return fmt(ci.mean, signed_values) + " +- " + hw;
}

Json key_figures_json() {
  Json out = Json::array();
  for (const KeyFigure& f : key_figures())
    out.push_back(Json{{"label", f.label}, {"path", f.path}, {"unit", f.unit}});
  return out;
}

} // namespace apq
