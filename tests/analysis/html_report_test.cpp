// What the HTML report and the time-series CSV are made of: the kinds of result they know, the data embedded
// safely, the CCDF points a report draws, the long format of the series. (The pages themselves are drawn and
// checked in a real browser by tests/browser.)

#include "analysis/html_report.hpp"
#include "analysis/timeseries_csv.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace apq {
namespace {

Json fixture() {
  std::ifstream in(std::string(APQSIM_SOURCE_DIR) + "/tests/browser/run-fixture.json");
  return Json::parse(in);
}

TEST(HtmlReport, KnowsEachKindOfResult) {
  EXPECT_EQ(report_kind(fixture()), "run");
  EXPECT_EQ(report_kind(Json::parse(R"({"manifest": {}, "replications": {"count": 3}, "figures": {}})")), "replicated");
  EXPECT_EQ(report_kind(Json::parse(R"({"compare": {"variants": []}})")), "compare");
  EXPECT_EQ(report_kind(Json::parse(R"({"sweep_id": "x", "points": []})")), "sweep");
  EXPECT_EQ(report_kind(Json::parse(R"({"candidates": [], "answer": null})")), "plan");
  try {
    report_kind(Json::parse(R"({"sweep_id": "x", "point": 3, "figures": {}})"));
    ADD_FAILURE() << "a point file is not a sweep's results";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("one point of a sweep"), std::string::npos) << e.what();
  }
  EXPECT_THROW(report_kind(Json::parse("[1, 2]")), std::invalid_argument);
  EXPECT_THROW(report_kind(Json::parse(R"({"name": "x"})")), std::invalid_argument);
}

// The result travels inside a <script> element: a "</script>" in any string of it (a file name, say) must not end
// the element, and the page must read back the very same document.
TEST(HtmlReport, EmbedsTheDocumentSafely) {
  Json doc = fixture();
  doc["manifest"]["config_file"] = "evil</script><script>alert(1)</script><!--.toml";
  const std::string page = html_report(doc);
  const std::size_t data = page.find("<script type=\"application/json\" id=\"apq-data\">");
  ASSERT_NE(data, std::string::npos);
  const std::size_t begin = data + std::string("<script type=\"application/json\" id=\"apq-data\">").size();
  const std::size_t end = page.find("</script>", begin);
  const Json embedded = Json::parse(page.substr(begin, end - begin));
  EXPECT_EQ(embedded["document"], doc);
  EXPECT_EQ(embedded["kind"], "run");
  EXPECT_EQ(embedded["key_figures"][1]["path"], "summary.latency_s.p99");
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("<title>apqsim run · evil&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(embedded_chart_js_version().rfind("Chart.js v", 0), 0u);
  EXPECT_NE(page.find(embedded_chart_js_version()), std::string::npos);
}

// 1000 latencies of 1, 2, ..., 1000 us: the CCDF starts at (1us, 1), has 8 points a decade down to 1/n, and ends
// at (1000us, 1/1000); at 10% exceeding the latency is the 90th percentile, 900us (1% histogram accuracy).
TEST(HtmlReport, CcdfPointsOfAHistogram) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i)
    h.record(i * 1e-6);
  const Json c = ccdf_json(h);
  const auto x = c["latency_s"].get<std::vector<double>>();
  const auto y = c["exceeding"].get<std::vector<double>>();
  ASSERT_EQ(x.size(), 26u); // min, k = 1..24 (10^-3 is 1/n), max
  ASSERT_EQ(y.size(), x.size());
  EXPECT_DOUBLE_EQ(x.front(), 1e-6);
  EXPECT_DOUBLE_EQ(y.front(), 1.0);
  EXPECT_NEAR(y[8], 0.1, 1e-12);
  EXPECT_NEAR(x[8], 900e-6, 9e-6);
  EXPECT_NEAR(y[24], 1e-3, 1e-15);
  EXPECT_DOUBLE_EQ(x.back(), 1000e-6);
  EXPECT_DOUBLE_EQ(y.back(), 1e-3);
  for (std::size_t i = 1; i < x.size(); ++i) {
    EXPECT_GE(x[i], x[i - 1]);
    EXPECT_LE(y[i], y[i - 1]);
  }
  EXPECT_TRUE(ccdf_json(LatencyHistogram())["latency_s"].empty());
}

// Long format: a row per run (the run, its baseline), guest (each, then all), metric and window.
TEST(TimeseriesCsv, PerGuestSeriesAndBaselineInLongFormat) {
  const std::string csv = timeseries_csv(fixture());
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "run,guest,metric,window,start_s,end_s,value");
  std::map<std::string, int> rows;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    lines.push_back(line);
    rows[line.substr(0, line.find(',', line.find(',') + 1))]++;
  }
  // 10 windows x 7 metrics for web, db and all, in the run and in the baseline.
  EXPECT_EQ(rows["run,web"], 70);
  EXPECT_EQ(rows["run,db"], 70);
  EXPECT_EQ(rows["run,all"], 70);
  EXPECT_EQ(rows["baseline,web"], 70);
  EXPECT_EQ(lines.size(), 6u * 70u);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "run,web,completed,4,2,2.5,6000"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "run,db,usable_queues,5,2.5,3,2"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "baseline,web,completed,4,2,2.5,10000"), lines.end());
}

// A result of the series before they were per guest: all guests together; windows without a figure are empty.
TEST(TimeseriesCsv, OlderSeriesAndEmptyWindows) {
  const Json doc =
      Json::parse(R"({"series": {"window_s": 0.25, "completed": [3, 0], "mean_latency_s": [0.001, null]}})");
  EXPECT_EQ(timeseries_csv(doc), "run,guest,metric,window,start_s,end_s,value\n"
                                 "run,all,completed,0,0,0.25,3\n"
                                 "run,all,completed,1,0.25,0.5,0\n"
                                 "run,all,mean_latency_s,0,0,0.25,0.001\n"
                                 "run,all,mean_latency_s,1,0.25,0.5,\n");
}

} // namespace
} // namespace apq
