// What the HTML report and the time-series CSV are made of: the kinds of result they know, the data embedded
// safely, the CCDF points a report draws, the long format of the series. (The pages themselves are drawn and
// checked in a real browser by tests/browser.)

#include "analysis/html_report.hpp"
#include "analysis/time_series.hpp"
#include "analysis/timeseries_csv.hpp"

#include <gtest/gtest.h>
#include <sstream>

namespace apq {
namespace {

/** A recorded series over 2.5 s in windows of 1 s (the last one half a window) for guests web and db: web completes
 *  3, 6000, 1 requests, db fails 2 in its last window with nothing completed there. */
TimeSeries recorded_series(uint64_t web_second_window) {
  std::vector<SeriesRecorder::Levels> levels{{4, 0}, {2, 0}};
  SeriesRecorder recorder(1.0, 2.5, {"web", "db"}, [&levels](std::size_t g) { return levels[g]; });
  for (int i = 0; i < 3; ++i)
    recorder.completed(0, 0.1 * (i + 1), 1e-3);
  recorder.completed(1, 0.5, 2e-3);
  levels[0] = {4, 5};
  for (uint64_t i = 0; i < web_second_window; ++i)
    recorder.completed(0, 1.0 + 0.9 * static_cast<double>(i) / static_cast<double>(web_second_window), 2e-3);
  levels[1] = {1, 0};
  recorder.completed(0, 2.2, 5e-3);
  recorder.failed(1, 2.3);
  recorder.failed(1, 2.4);
  return recorder.finish();
}

/** A run's result document as to_json writes it, with its series and its baseline's. */
Json run_document() {
  RunResult r;
  r.manifest = Manifest{"0.1.0", "abc123", "3.32.0", "x.toml", std::string(64, 'f'), "{}", 7};
  r.horizon = 2.5;
  r.warmup = 0.5;
  GuestResult web, db;
  web.name = "web";
  db.name = "db";
  for (int i = 1; i <= 100; ++i)
    web.latency.record(i * 1e-5);
  r.guests = {web, db};
  r.series = recorded_series(6000);
  r.baseline.present = true;
  r.baseline.guests.resize(2);
  r.baseline.guest_latency.resize(2);
  r.baseline.series = recorded_series(10000);
  return to_json(r);
}

TEST(HtmlReport, KnowsEachKindOfResult) {
  EXPECT_EQ(report_kind(run_document()), "run");
  EXPECT_EQ(report_kind(Json::parse(R"({"manifest": {}, "replications": {"count": 3}, "figures": {}})")), "replicated");
  EXPECT_EQ(report_kind(Json::parse(R"({"compare": {"variants": []}})")), "compare");
  EXPECT_EQ(report_kind(Json::parse(R"({"sweep_id": "x", "points": []})")), "sweep");
  EXPECT_EQ(report_kind(Json::parse(R"({"candidates": [], "answer": null})")), "plan");
  EXPECT_EQ(report_kind(Json::parse(R"({"kind": "explore", "strategies": [], "classes": []})")), "explore");
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
  Json doc = run_document();
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

// Long format: a row per run (the run, its baseline), guest (each, then all), column of the series (series_json)
// and window; the last window ends at the horizon; a window without a figure has an empty value.
TEST(TimeseriesCsv, PerGuestSeriesAndBaselineInLongFormat) {
  const std::string csv = timeseries_csv(run_document());
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
  // 3 windows x 7 columns for web, db and all, in the run and in the baseline.
  EXPECT_EQ(rows["run,web"], 21);
  EXPECT_EQ(rows["run,db"], 21);
  EXPECT_EQ(rows["run,all"], 21);
  EXPECT_EQ(rows["baseline,web"], 21);
  EXPECT_EQ(lines.size(), 6u * 21u);
  auto has = [&lines](const std::string& row) { return std::find(lines.begin(), lines.end(), row) != lines.end(); };
  EXPECT_TRUE(has("run,web,completed,0,0,1,3"));
  EXPECT_TRUE(has("run,web,completed,1,1,2,6000"));
  EXPECT_TRUE(has("run,web,completed,2,2,2.5,1"));
  EXPECT_TRUE(has("baseline,web,completed,1,1,2,10000"));
  EXPECT_TRUE(has("run,all,completed,0,0,1,4"));
  EXPECT_TRUE(has("run,db,failed,2,2,2.5,2"));
  EXPECT_TRUE(has("run,db,mean_latency_s,2,2,2.5,")) << "nothing completed: no figure";
  EXPECT_TRUE(has("run,db,usable_queues,2,2,2.5,1"));
  EXPECT_TRUE(has("run,web,in_flight,1,1,2,5"));
}

} // namespace
} // namespace apq
