#pragma once
// Figures across runs: every numeric result of a run, by its JSON path ("summary.latency_s.p99"), gathered over
// replications into Student-t confidence intervals, and paired differences between variants run with common
// random numbers (replication r of every variant sees the same requests).

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

/** Sum of the figures whose path starts with `prefix` and ends with `suffix`. */
double total_over(const std::map<std::string, double>& figures, const std::string& prefix, const std::string& suffix);

/** A figure that tables and reports show for every variant or point. */
struct KeyFigure {
  const char* label; ///< "p99"
  const char* path;  ///< "summary.latency_s.p99"
  const char* unit;  ///< "s" (a duration), "fraction" (shown in %) or "count"
};

/** The figures comparison and sweep tables show, in order: loss, p99, p999, EBUSY, retries, lock wait, violations
 *  (derived.* figures are the totals of add_derived_figures). */
const std::vector<KeyFigure>& key_figures();

/** "2.5ms +- 1.39ms", "-0.003% +- 0.008%"; `signed_values` for differences ("+1.2ms +- 300us"). */
std::string format_interval(const ConfidenceInterval& ci, const KeyFigure& figure, bool signed_values);

Json key_figures_json();

} // namespace apq
