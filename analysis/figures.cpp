#include "analysis/figures.hpp"

#include "analysis/tail_statistics.hpp"

#include <algorithm>
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
    if (key != "manifest" && key != "run" && key != "replications" && key != "histograms" && key != "series")
      flatten(value, key, out);
  out.erase("baseline.series.window_s");
  // Violations as counts, so that replications can say how often they happen.
  if (result.contains("monitors"))
    for (const char* kind : {"deadlocks", "stolen_queues", "lock_order_inversions", "kernel_bugs"})
      if (result.at("monitors").contains(kind))
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

double paired_t_p_value(const std::vector<double>& differences) {
  if (differences.size() < 2)
    return 1;
  const ConfidenceInterval ci = mean_confidence_interval(differences, 0.95);
  const double dof = static_cast<double>(ci.n - 1);
  const double standard_error = ci.half_width / student_t_quantile(0.975, dof);
  if (!(standard_error > 0))
    return ci.mean == 0 ? 1 : 0;
  return 2 * (1 - student_t_cdf(std::abs(ci.mean) / standard_error, dof));
}

std::vector<bool> holm_rejections(const std::vector<double>& p_values, double alpha) {
  std::vector<std::size_t> order(p_values.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<bool> rejected(p_values.size(), false);
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (p_values[order[k]] > alpha / static_cast<double>(order.size() - k))
      break; // and every larger p-value is kept too
    rejected[order[k]] = true;
  }
  return rejected;
}

Json warnings_json(const std::vector<StatWarning>& warnings) {
  Json out = Json::array();
  for (const StatWarning& w : warnings)
    out.push_back(Json{{"figure", w.figure}, {"message", w.message}});
  return out;
}

std::map<std::string, std::vector<LatencyHistogram>> replication_histograms(const std::vector<const Json*>& results) {
  std::map<std::string, std::vector<LatencyHistogram>> out;
  std::map<std::string, std::size_t> seen;
  auto add = [&](const std::string& prefix, const Json& h) {
    out[prefix].push_back(histogram_from_json(h));
    ++seen[prefix];
  };
  for (const Json* result : results) {
    if (!result->contains("histograms"))
      continue;
    const Json& h = result->at("histograms");
    add("summary.latency_s", h.at("all"));
    for (const auto& [name, guest] : h.at("guests").items())
      add("guests." + name + ".latency_s", guest);
    if (h.contains("reconfiguration"))
      for (const auto& [name, guest] : h.at("reconfiguration").items())
        add("reconfiguration.impact.guests." + name + ".latency_s", guest);
    if (h.contains("reconfiguration_baseline"))
      for (const auto& [name, guest] : h.at("reconfiguration_baseline").items())
        add("reconfiguration.impact.guests." + name + ".baseline_latency_s", guest);
  }
  for (auto it = out.begin(); it != out.end();)
    it = seen[it->first] == results.size() ? std::next(it) : out.erase(it);
  return out;
}

namespace {

const std::pair<double, const char*> kQuantiles[] = {
    {0.5, "p50"}, {0.9, "p90"}, {0.99, "p99"}, {0.999, "p999"}, {0.9999, "p9999"}};

/** Figures people read in summaries and tables: their intervals are checked for sense. */
bool headline(const std::string& path) {
  static const char* const kSuffixes[] = {".throughput_per_s",   ".completed",      ".failed",
                                          ".latency_s.mean",     ".latency_s.p50",  ".latency_s.p90",
                                          ".latency_s.p99",      ".latency_s.p999", ".extra_delay_request_s",
                                          ".mean_extra_delay_s", ".slow",           ".time_to_recover_s.max"};
  if (path.starts_with("derived."))
    return true;
  if (!path.starts_with("summary.") && !path.starts_with("guests.") && !path.starts_with("reconfiguration.impact."))
    return false;
  for (const char* suffix : kSuffixes)
    if (path.ends_with(suffix))
      return true;
  return false;
}

/** Figures that can be negative, or differences: an interval around 0 is no sign of trouble there. */
bool signed_figure(const std::string& path) {
  return path.find("throughput_loss") != std::string::npos || path.find("lost_request") != std::string::npos ||
         path.find("extra_delay") != std::string::npos || path.find("excess_slow") != std::string::npos;
}

} // namespace

ReplicatedFigures summarize_replications(const std::vector<const Json*>& results,
                                         const std::vector<std::map<std::string, double>>& figures, double level) {
  ReplicatedFigures out;
  out.intervals = figure_intervals(figures, level);
  const auto all_histograms = replication_histograms(results);
  std::size_t guest_prefixes = 0;
  for (const auto& [prefix, histograms] : all_histograms)
    guest_prefixes += prefix.starts_with("guests.");
  for (const auto& [prefix, histograms] : all_histograms) {
    // One guest: its figures are the overall ones, warned about once.
    const bool echo = guest_prefixes == 1 && prefix.starts_with("guests.");
    std::vector<const LatencyHistogram*> runs;
    double largest = 0;
    for (const LatencyHistogram& h : histograms) {
      runs.push_back(&h);
      largest = std::max(largest, h.max());
    }
    for (const auto& [q, name] : kQuantiles) {
      const std::string path = prefix + "." + name;
      const QuantileInterval qi = quantile_interval(runs, q, level);
      if (qi.replications == 0)
        continue;
      out.intervals[path] = ConfidenceInterval{qi.estimate, (qi.upper - qi.lower) / 2, qi.lower, qi.upper,
                                               static_cast<int>(qi.replications)};
      out.methods[path] = "exceedance";
      if (qi.replications < 2 || !headline(path) || echo)
        continue;
      char text[400];
      if (qi.min_tail_samples < kMinTailSamples) {
        std::snprintf(text, sizeof text,
                      "a replication has only %.3g samples expected above its %s (fewer than %.0f): the interval may "
                      "not hold; lengthen the runs (each replication needs its own tail samples)",
                      qi.min_tail_samples, name, kMinTailSamples);
        out.warnings.push_back(StatWarning{path, text});
      } else if (qi.effective_tail_samples < kMinEffectiveTailSamples) {
        std::snprintf(text, sizeof text,
                      "the replications disagree so much on how many samples lie above the %s that together they "
                      "amount to about %.2g independent samples (fewer than %.0f): the tail comes in a few large "
                      "bursts; the interval may not hold; lengthen the runs",
                      name, qi.effective_tail_samples, kMinEffectiveTailSamples);
        out.warnings.push_back(StatWarning{path, text});
      }
    }
    const std::string max_path = prefix + ".max";
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.intervals[max_path] = ConfidenceInterval{largest, nan, nan, nan, static_cast<int>(runs.size())};
    out.methods[max_path] = "largest";
  }
  for (const auto& [path, ci] : out.intervals) {
    if (out.methods.contains(path) || !headline(path) || ci.n < 2 || !std::isfinite(ci.half_width) ||
        ci.half_width == 0)
      continue;
    char text[320];
    if (signed_figure(path))
      continue;
    if (ci.lower < 0) {
      std::snprintf(text, sizeof text,
                    "the interval reaches below 0 (%.4g +- %.4g): the replications disagree too much for a Student-t "
                    "interval (an outlier?); look at them one by one (--json) or run more",
                    ci.mean, ci.half_width);
      out.warnings.push_back(StatWarning{path, text});
    } else if (ci.half_width > std::abs(ci.mean)) {
      std::snprintf(text, sizeof text, "the half-width exceeds the estimate (%.4g +- %.4g): the figure is not known",
                    ci.mean, ci.half_width);
      out.warnings.push_back(StatWarning{path, text});
    }
  }
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
      {"loss", "summary.throughput_loss", FigureKind::fraction},
      {"p99", "summary.latency_s.p99", FigureKind::duration},
      {"p999", "summary.latency_s.p999", FigureKind::duration},
      {"extra delay/req", "reconfiguration.impact.all.mean_extra_delay_s", FigureKind::duration},
      {"failed", "reconfiguration.impact.all.failed", FigureKind::count},
      {"EBUSY", "derived.ebusy", FigureKind::count},
      {"retries", "derived.retries", FigureKind::count},
      {"lock wait", "derived.lock_wait_s", FigureKind::duration},
      {"violations", "derived.violations", FigureKind::count},
  };
  return figures;
}

std::string format_figure(const ConfidenceInterval& ci, const std::string& method, FigureKind kind) {
  if (method == "exceedance")
    return format_bounds(ci.mean, ci.lower, ci.upper, kind);
  return format_interval(ci.mean, ci.half_width, kind);
}

Json key_figures_json() {
  Json out = Json::array();
  for (const KeyFigure& f : key_figures()) {
    const bool duration = f.kind == FigureKind::duration, rate = f.kind == FigureKind::rate;
    const char* unit = duration ? "s" : rate ? "rate" : f.kind == FigureKind::fraction ? "fraction" : "count";
    out.push_back(Json{{"label", f.label}, {"path", f.path}, {"unit", unit}});
  }
  return out;
}

} // namespace apq
