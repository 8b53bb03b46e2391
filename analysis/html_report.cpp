#include "analysis/html_report.hpp"

#include "analysis/figures.hpp"

#include <stdexcept>
#include <string_view>

namespace apq {

namespace detail {
// Defined by the source analysis/CMakeLists.txt generates from analysis/report/ and Debian's Chart.js.
extern const std::string_view kReportJs;
extern const std::string_view kReportCss;
extern const std::string_view kChartJs;
extern const std::string_view kChartJsVersion;
} // namespace detail

namespace {

/** JSON inside a <script> element: "</script" would end the element early and "<!--" change how it is read, so
 *  every "<" becomes the JSON escape \u003c (the document reads back the same). */
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json)
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string title_of(const std::string& kind, const Json& document) {
  std::string file;
  if (document.contains("manifest") && document["manifest"].contains("config_file"))
    file = document["manifest"]["config_file"].get<std::string>();
  else if (kind == "plan" && document.contains("file"))
    file = document["file"].get<std::string>();
  else if (kind == "sweep" && !document["points"].empty() && document["points"][0].contains("manifest"))
    file = document["points"][0]["manifest"].value("config_file", "");
  const std::string command = kind == "replicated" ? "run" : kind;
  return "apqsim " + command + (file.empty() ? "" : " · " + file);
}

} // namespace

std::string report_kind(const Json& d) {
  if (!d.is_object())
    throw std::invalid_argument("not an apqsim result: expected a JSON object");
  if (d.value("kind", "") == "explore" && d.contains("strategies"))
    return "explore";
  if (d.contains("compare") && d["compare"].contains("variants"))
    return "compare";
  if (d.contains("points") && d.contains("sweep_id"))
    return "sweep";
  if (d.contains("candidates"))
    return "plan";
  if (d.contains("replications") && d.contains("figures"))
    return "replicated";
  if (d.contains("summary") && d.contains("guests"))
    return "run";
  if (d.contains("sweep_id"))
    throw std::invalid_argument("this is one point of a sweep: report the merged results.json of its directory");
  throw std::invalid_argument("not an apqsim result: a run (--json), a comparison, a sweep's results.json, a plan "
                              "or an exploration has summary and guests, compare, points, candidates or strategies");
}

std::string html_report(const Json& document) {
  const std::string kind = report_kind(document);
  const Json data{{"kind", kind},
                  {"title", title_of(kind, document)},
                  {"key_figures", key_figures_json()},
                  {"chart_js", std::string(detail::kChartJsVersion)},
                  {"document", document}};
  std::string page;
  page.reserve(detail::kChartJs.size() + detail::kReportJs.size() + (1 << 20));
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  page += html_escape(data["title"].get<std::string>());
  page += "</title>\n<style>\n";
  page += detail::kReportCss;
  page += "</style>\n</head>\n<body>\n<div id=\"report\"><noscript>This report draws its figures with JavaScript: "
          "open it in a browser with JavaScript enabled.</noscript></div>\n";
  // The data first: the report's script reads it when it runs.
  page += "<script type=\"application/json\" id=\"apq-data\">";
  page += script_safe(data.dump());
  page += "</script>\n<script>\n";
  page += detail::kChartJs;
  page += "\n</script>\n<script>\n";
  page += detail::kReportJs;
  page += "\n</script>\n</body>\n</html>\n";
  return page;
}

std::string embedded_chart_js_version() {
  return std::string(detail::kChartJsVersion);
}

} // namespace apq
