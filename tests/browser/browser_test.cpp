// HTML reports of every kind, drawn by a real browser (Debian's headless Chromium): apqsim writes the report as a
// user would ask for it, Chromium opens the file, and the test fails on any console error or uncaught exception,
// on a report that did not finish drawing, and on a chart that drew no data. A screenshot of each report goes to
// build/test-artifacts/report-KIND.png (look at them: they are what users see).
//
// run-fixture.json is a hand-made run result in the agreed shape of per-guest time series (series.guests.NAME,
// series.all, baseline.series: completed, failed, mean/p50/p99 latency, usable queues, in flight) and per-event
// reconfiguration windows (reconfiguration.events), so that the report's use of them is tested before and after
// the simulator writes them.

#include "../cli/cli_support.hpp"
#include "headless_chromium.hpp"

namespace apq::test {
namespace {

/** Per chart on the page: its title, whether it drew data (a visible dataset that is not a guide line has an
 *  element at finite coordinates), its canvas size. Asked of Chart.js itself, not of the page's own bookkeeping. */
const char* const kChartsQuery = R"js((() => Object.values(Chart.instances).map((c) => ({
  title: c.canvas.getAttribute('aria-label'),
  width: c.canvas.width,
  height: c.canvas.height,
  drew: c.data.datasets.some((ds, i) => !ds.apqGuide && c.isDatasetVisible(i) &&
    c.getDatasetMeta(i).data.some((e) => e && !e.skip && Number.isFinite(e.x) && Number.isFinite(e.y))),
})))())js";

class Browser : public ::testing::Test {
protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("apqsim-browser-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::create_directories(APQSIM_ARTIFACTS_DIR);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /** Opens `report` in Chromium, checks it, saves its screenshot as report-`kind`.png; returns the chart titles. */
  std::vector<std::string> check_report(const fs::path& report, const std::string& kind, std::size_t min_charts) {
    EXPECT_TRUE(fs::exists(report)) << report;
    const fs::path artifacts(APQSIM_ARTIFACTS_DIR);
    HeadlessChromium browser(APQSIM_CHROMIUM, dir_ / "profile", artifacts / ("chromium-" + kind + ".log"));
    browser.open("file://" + fs::absolute(report).string());
    EXPECT_TRUE(browser.wait_until("window.apqReport && window.apqReport.done", std::chrono::seconds(30)))
        << "the report never finished drawing";
    const Json page_errors = browser.evaluate("window.apqReport ? window.apqReport.errors : ['no apqReport']");
    EXPECT_EQ(page_errors, Json::array()) << page_errors.dump(1);
    const Json charts = browser.evaluate(kChartsQuery);
    std::vector<std::string> titles;
    for (const Json& c : charts) {
      titles.push_back(c.value("title", ""));
      EXPECT_TRUE(c.value("drew", false)) << "chart '" << c.value("title", "") << "' drew no data";
      EXPECT_GT(c.value("width", 0), 100) << c.value("title", "");
      EXPECT_GT(c.value("height", 0), 100) << c.value("title", "");
    }
    EXPECT_GE(charts.size(), min_charts) << charts.dump(1);
    const std::string png = browser.screenshot_png();
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    std::ofstream(artifacts / ("report-" + kind + ".png"), std::ios::binary) << png;
    // Errors come last: the screenshot's resize redraws every chart once more.
    EXPECT_TRUE(browser.console_errors().empty()) << browser.console_errors().front();
    std::cout << "screenshot: " << (artifacts / ("report-" + kind + ".png")).string() << " (" << charts.size()
              << " charts drawn in " << browser.evaluate("window.apqReport.drawMs").dump() << " ms)\n";
    return titles;
  }

  bool has(const std::vector<std::string>& titles, const std::string& title) {
    return std::find(titles.begin(), titles.end(), title) != titles.end();
  }

  std::string name_;
  fs::path dir_;
};

// A storm under v12-trylock, as apqsim run --report writes it: time series, the CCDF against the baseline,
// operation outcomes, lock waits and holds.
TEST_F(Browser, RunReport) {
  const fs::path report = dir_ / "storm.html";
  const Outcome r = apqsim("run configs/seed/random-storm.toml --set run.horizon='\"3s\"' --set run.warmup='\"0.5s\"' "
                           "-q --report " +
                           report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto titles = check_report(report, "run", 5);
  for (const char* t : {"Throughput", "Reconfiguration against the baseline", "Operation outcomes", "Lock hold"})
    EXPECT_TRUE(has(titles, t)) << t;
}

// The ABBA deadlock: operations that never return, violations drawn on the time charts.
TEST_F(Browser, DeadlockRunReport) {
  const fs::path report = dir_ / "abba.html";
  const Outcome r = apqsim("run configs/seed/abba-deadlock.toml -q --report " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  check_report(report, "deadlock", 3);
}

// Per-guest series with the baseline, usable queues, requests in flight, and per-event reconfiguration windows
// as bands, from a result file through apqsim report.
TEST_F(Browser, SeriesAndEventsReport) {
  const fs::path report = dir_ / "fixture.html";
  const Outcome r = apqsim("report tests/browser/run-fixture.json -o " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto titles = check_report(report, "series", 8);
  for (const char* t : {"Throughput", "p99 latency", "Failures", "Usable queues", "Requests in flight", "Per guest"})
    EXPECT_TRUE(has(titles, t)) << t;
}

TEST_F(Browser, ReplicatedRunReport) {
  const fs::path report = dir_ / "replicated.html";
  const Outcome r = apqsim("run configs/quickstart.toml --set run.horizon='\"2s\"' --set run.warmup='\"0.5s\"' "
                           "--replications 3 -j 2 -q --report " +
                           report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  check_report(report, "replicated", 3);
}

TEST_F(Browser, CompareReport) {
  const fs::path report = dir_ / "compare.html";
  const Outcome r = apqsim("compare tests/browser/compare-small.toml -j 2 -q --report " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto titles = check_report(report, "compare", 10);
  EXPECT_TRUE(has(titles, "p99")) << "a figure per variant";
  EXPECT_TRUE(has(titles, "p99 − mainline-6.0")) << "paired differences against the reference";
}

// Two factors: lines against the first with interval bands and the SLO, and a heatmap of both.
TEST_F(Browser, SweepReport) {
  const fs::path report = dir_ / "sweep.html";
  const Outcome r = apqsim("sweep tests/browser/sweep-small.toml -j 2 -q --out " + (dir_ / "sweep").string() +
                           " --report " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  check_report(report, "sweep", 5);
  HeadlessChromium browser(APQSIM_CHROMIUM, dir_ / "profile2", dir_ / "chromium.log");
  browser.open("file://" + report.string());
  ASSERT_TRUE(browser.wait_until("window.apqReport && window.apqReport.done", std::chrono::seconds(30)));
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('.heatmap td[data-value]').length"), 6) << "3 x 2 cells";
  EXPECT_EQ(browser.evaluate("Object.values(Chart.instances).some((c) => c.data.datasets.some((d) => "
                             "d.label === 'SLO 2ms'))"),
            true);
}

TEST_F(Browser, PlanReport) {
  const fs::path report = dir_ / "plan.html";
  const Outcome r = apqsim("plan tests/browser/plan-small.toml -j 2 -q --report " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto titles = check_report(report, "plan", 2);
  EXPECT_TRUE(has(titles, "guests.web.latency_s.p99 ≤ 1ms")) << "a chart per SLO";
}

} // namespace
} // namespace apq::test
