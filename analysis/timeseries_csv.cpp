#include "analysis/timeseries_csv.hpp"

#include "analysis/csv.hpp"

#include <cstdio>
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
void rows(std::ostringstream& out, const std::string& run, const std::string& guest, const Json& metrics,
          double window) {
  for (const auto& [metric, values] : metrics.items()) {
    if (!values.is_array())
      continue;
    for (std::size_t w = 0; w < values.size(); ++w) {
      out << run << ',' << csv_field(guest) << ',' << csv_field(metric) << ',' << w << ','
          << bound(static_cast<double>(w) * window) << ',' << bound(static_cast<double>(w + 1) * window) << ','
          << (values[w].is_number() ? values[w].dump() : "") << '\n';
    }
  }
}

void series_rows(std::ostringstream& out, const std::string& run, const Json& series) {
  const double window = series.value("window_s", 0.0);
  if (series.contains("guests")) {
    for (const auto& [guest, metrics] : series["guests"].items())
      rows(out, run, guest, metrics, window);
    if (series.contains("all"))
      rows(out, run, "all", series["all"], window);
  } else {
    rows(out, run, "all", series, window); // a result of apqsim before per-guest series: all guests together
  }
}

} // namespace

std::string timeseries_csv(const Json& result) {
  std::ostringstream out;
  out << "run,guest,metric,window,start_s,end_s,value\n";
  if (result.contains("series"))
    series_rows(out, "run", result["series"]);
  if (result.contains("baseline") && result["baseline"].contains("series"))
    series_rows(out, "baseline", result["baseline"]["series"]);
  return out.str();
}

} // namespace apq
