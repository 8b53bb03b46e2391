#include "analysis/timeseries_csv.hpp"

#include "analysis/csv.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <sstream>

namespace apq {

namespace {

/** A window bound: nine significant digits, without the binary noise of w x window. */
std::string bound(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", seconds);
  return text;
}

/** The rows of one set of series (one guest, or all): every array of `metrics`, window by window. */
void rows(std::ostringstream& out, const std::string& run, const std::string& guest, const Json& metrics, double window,
          double horizon) {
  for (const auto& [metric, values] : metrics.items()) {
    if (!values.is_array())
      continue;
    for (std::size_t w = 0; w < values.size(); ++w) {
      out << run << ',' << csv_field(guest) << ',' << csv_field(metric) << ',' << w << ','
          << bound(static_cast<double>(w) * window) << ','
          << bound(std::min(horizon, static_cast<double>(w + 1) * window)) << ','
          << (values[w].is_number() ? values[w].dump() : "") << '\n';
    }
  }
}

/** The last window ends at the horizon, which need not be a whole number of windows. */
void series_rows(std::ostringstream& out, const std::string& run, const Json& series, double horizon) {
  const double window = series.at("window_s").get<double>();
  for (const auto& [guest, metrics] : series.at("guests").items())
    rows(out, run, guest, metrics, window, horizon);
  rows(out, run, "all", series.at("all"), window, horizon);
}

} // namespace

std::string timeseries_csv(const Json& result) {
  std::ostringstream out;
  out << "run,guest,metric,window,start_s,end_s,value\n";
  const double horizon = result.contains("run") ? result["run"].value("horizon_s", 0.0) : 0.0;
  const double end = horizon > 0 ? horizon : std::numeric_limits<double>::infinity();
  if (result.contains("series"))
    series_rows(out, "run", result["series"], end);
  if (result.contains("baseline") && result["baseline"].contains("series"))
    series_rows(out, "baseline", result["baseline"]["series"], end);
  return out.str();
}

} // namespace apq
