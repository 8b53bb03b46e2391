#pragma once
// The HTML report of a result (apqsim run|compare|sweep|plan|explore --report FILE.html, apqsim report RESULT.json):
// one self-contained file that opens offline in any browser, with the result inside it as JSON and Chart.js
// (Debian's libjs-chart.js, embedded at build time) drawing it. The page is written in analysis/report/report.js.

#include "analysis/report.hpp"

#include <string>

namespace apq {

/** What a result document is: "run", "replicated" (a run with replications), "compare", "sweep" (a merged
 *  results.json), "plan" or "explore". Throws std::invalid_argument naming what it lacks if it is none of them. */
std::string report_kind(const Json& document);

/** The report of `document` (any kind report_kind knows), as one HTML page. */
std::string html_report(const Json& document);

/** The Chart.js version embedded in reports. */
std::string embedded_chart_js_version();

} // namespace apq
