#pragma once
// Figures across runs: every numeric result of a run, by its JSON path ("summary.latency_s.p99"), gathered over
// replications into Student-t confidence intervals, and paired differences between variants run with common
// random numbers (replication r of every variant sees the same requests).

#include "analysis/figure_format.hpp"
#include "analysis/latency_histogram.hpp"
#include "analysis/report.hpp"
#include "analysis/student_t.hpp"

#include <map>
#include <string>
#include <vector>

namespace apq {

/** The numeric leaves of a result document, by dotted path. The manifest and the run's bookkeeping are left out:
 * they are not figures. Arrays are left out too (timelines, violation lists). */
std::map<std::string, double> numeric_figures(const Json& result);

/** Per path, the interval over the replications that have that figure (a figure missing in some runs, such as an
 * operation that never ran, is summarized over the runs that have it). */
std::map<std::string, ConfidenceInterval> figure_intervals(const std::vector<std::map<std::string, double>>& runs,
                                                           double level);

/** Paired difference `runs[i] - reference[i]` per path present in both, as intervals. */
std::map<std::string, ConfidenceInterval>
paired_differences(const std::vector<std::map<std::string, double>>& runs,
                   const std::vector<std::map<std::string, double>>& reference, double level);

Json interval_json(const ConfidenceInterval& ci);

/** Two-sided p-value of the paired t test of "mean difference 0" (1 with fewer than 2 differences; 0 or 1 when
 * they have no spread, as they differ from 0 or not). */
double paired_t_p_value(const std::vector<double>& differences);

/** Holm's step-down procedure (Holm, "A simple sequentially rejective multiple test procedure", 1979): which of the
 * hypotheses with these p-values are rejected at familywise level alpha. */
std::vector<bool> holm_rejections(const std::vector<double>& p_values, double alpha);

/** Something a reader of a figure must know: it may not hold. Printed on stderr and kept in the JSON. */
struct StatWarning {
  std::string figure; ///< the figure's path; empty: the whole experiment
  std::string message;
};
Json warnings_json(const std::vector<StatWarning>& warnings);

/** A replicated tail quantile is warned about when some replication expects fewer samples above it than this, or
 * when the replications' fractions above it amount to fewer than kMinEffectiveTailSamples independent samples
 * (R / cv^2). Tail samples come in clusters, so raw counts overstate what the replications know; both thresholds
 * come from the coverage study (bench/coverage_study.cpp): above them the intervals held their 95%. */
inline constexpr double kMinTailSamples = 70;
inline constexpr double kMinEffectiveTailSamples = 10;

/** Figures over replications, as the tool reports them. */
struct ReplicatedFigures {
  std::map<std::string, ConfidenceInterval> intervals;
  /** How a figure's interval was made when not a Student-t interval over replications: "exceedance" (a latency
   * quantile: pooled estimate, inverted exceedance interval), "largest" (the largest latency of all replications,
   * no interval). */
  std::map<std::string, std::string> methods;
  std::vector<StatWarning> warnings;
};

/** Every figure of the replications: Student-t intervals over replications, except latency quantiles (pooled from
 * the replications' histograms, intervals by exceedance, tail_statistics.hpp) and maxima (the largest of all).
 * Warns about tail quantiles with too few samples above them in some replication, and about intervals of the
 * figures people read (summary, guests, reconfiguration impact) whose lower bound is below 0 or whose half-width
 * exceeds the estimate. `results` are the runs' documents, `figures` their numeric_figures (plus derived ones). */
ReplicatedFigures summarize_replications(const std::vector<const Json*>& results,
                                         const std::vector<std::map<std::string, double>>& figures, double level);

/** The latency histograms of the replications for one figure prefix ("summary.latency_s", "guests.web.latency_s",
 * "reconfiguration.impact.guests.web.latency_s"), taken from each result's "histograms"; prefixes some result lacks
 * are left out. */
std::map<std::string, std::vector<LatencyHistogram>> replication_histograms(const std::vector<const Json*>& results);

/** Sum of the figures whose path starts with `prefix` and ends with `suffix`. */
double total_over(const std::map<std::string, double>& figures, const std::string& prefix, const std::string& suffix);

/** A figure that tables and reports show for every variant or point. */
struct KeyFigure {
  const char* label; ///< "p99"
  const char* path;  ///< "summary.latency_s.p99"
  FigureKind kind;
};

/** The figures the comparison and sweep tables and the reports show, in order: loss, p99, p999, extra delay,
 *  failed, EBUSY, retries, lock wait, violations (derived.* figures are the totals of add_derived_figures). */
const std::vector<KeyFigure>& key_figures();

/** A replicated figure as tables print it: "6.89 ms [6.71, 7.08]" for a tail quantile (`method` "exceedance"),
 *  "2.50 +- 0.14 ms" otherwise. */
std::string format_figure(const ConfidenceInterval& ci, const std::string& method, FigureKind kind);

/** key_figures() for the HTML report: [{label, path, unit}], unit "s", "fraction", "rate" or "count". */
Json key_figures_json();

} // namespace apq
