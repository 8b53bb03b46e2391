// HTML reports of every kind, drawn by a real browser (Debian's headless Chromium): apqsim writes the report as a
// user would ask for it, Chromium opens the file, and the test fails on any console error or uncaught exception,
// on a report that did not finish drawing, and on a chart that drew no data. A screenshot of each report goes to
// build/test-artifacts/report-KIND.png (look at them: they are what users see).

#include "../cli/cli_support.hpp"
#include "headless_chromium.hpp"

#include <memory>

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

class Browser : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs::create_directories(APQSIM_ARTIFACTS_DIR);
  }

  /** Chromium with `report` open and drawn (or the test failed saying it never finished). */
  std::unique_ptr<HeadlessChromium> open_report(const fs::path& report, const std::string& profile,
                                                const fs::path& log) {
    EXPECT_TRUE(fs::exists(report)) << report;
    auto browser = std::make_unique<HeadlessChromium>(APQSIM_CHROMIUM, dir_ / profile, log);
    browser->open("file://" + fs::absolute(report).string());
    EXPECT_TRUE(browser->wait_until("window.apqReport && window.apqReport.done", std::chrono::seconds(30)))
        << "the report never finished drawing";
    return browser;
  }

  /** Opens `report` in Chromium, checks it, saves its screenshot as report-`kind`.png; returns the chart titles. */
  std::vector<std::string> check_report(const fs::path& report, const std::string& kind, std::size_t min_charts) {
    const fs::path artifacts(APQSIM_ARTIFACTS_DIR);
    const auto browser = open_report(report, "profile", artifacts / ("chromium-" + kind + ".log"));
    const Json page_errors = browser->evaluate("window.apqReport ? window.apqReport.errors : ['no apqReport']");
    EXPECT_EQ(page_errors, Json::array()) << page_errors.dump(1);
    const Json charts = browser->evaluate(kChartsQuery);
    std::vector<std::string> titles;
    for (const Json& c : charts) {
      titles.push_back(c.value("title", ""));
      EXPECT_TRUE(c.value("drew", false)) << "chart '" << c.value("title", "") << "' drew no data";
      EXPECT_GT(c.value("width", 0), 100) << c.value("title", "");
      EXPECT_GT(c.value("height", 0), 100) << c.value("title", "");
    }
    EXPECT_GE(charts.size(), min_charts) << charts.dump(1);
    const std::string png = browser->screenshot_png();
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    std::ofstream(artifacts / ("report-" + kind + ".png"), std::ios::binary) << png;
    // Errors come last: the screenshot's resize redraws every chart once more.
    EXPECT_TRUE(browser->console_errors().empty()) << browser->console_errors().front();
    std::cout << "screenshot: " << (artifacts / ("report-" + kind + ".png")).string() << " (" << charts.size()
              << " charts drawn in " << browser->evaluate("window.apqReport.drawMs").dump() << " ms)\n";
    return titles;
  }

  /** `apqsim ARGS --report DIR/KIND.html`, then check_report of what it wrote. */
  std::vector<std::string> report_of(const std::string& args, const std::string& kind, std::size_t min_charts) {
    const fs::path report = dir_ / (kind + ".html");
    const Outcome r = apqsim(args + " --report " + report.string());
    EXPECT_EQ(r.code, 0) << r.out;
    return r.code == 0 ? check_report(report, kind, min_charts) : std::vector<std::string>{};
  }

  bool has(const std::vector<std::string>& titles, const std::string& title) {
    return std::find(titles.begin(), titles.end(), title) != titles.end();
  }
};

// A storm under v12-trylock, as apqsim run --report writes it: time series, the CCDF against the baseline,
// operation outcomes, lock waits and holds.
TEST_F(Browser, RunReport) {
  const auto titles = report_of(
      "run configs/seed/random-storm.toml --set run.horizon='\"3s\"' --set run.warmup='\"0.5s\"' -q", "run", 5);
  for (const char* t : {"Throughput", "Reconfiguration against the baseline", "Operation outcomes", "Lock hold"})
    EXPECT_TRUE(has(titles, t)) << t;
}

// The ABBA deadlock: operations that never return, violations drawn on the time charts.
TEST_F(Browser, DeadlockRunReport) {
  report_of("run configs/seed/abba-deadlock.toml -q", "deadlock", 3);
}

// A card that goes offline and comes back, through --json and apqsim report: three guests' series next to their
// baseline's, usable queues dropping, failures, the operations as bands.
TEST_F(Browser, CardOfflineReportFromAResultFile) {
  const fs::path result = dir_ / "offline.json";
  const fs::path report = dir_ / "offline.html";
  Outcome r = apqsim("run configs/reconfig/card-offline.toml --set run.horizon='\"10s\"' --set run.warmup='\"1s\"' "
                     "--set reconfig.timeline.0.at='\"3s\"' --set reconfig.timeline.1.at='\"6s\"' -q --json " +
                     result.string());
  ASSERT_EQ(r.code, 0) << r.out;
  r = apqsim("report " + result.string() + " -o " + report.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto titles = check_report(report, "card-offline", 8);
  for (const char* t : {"Throughput", "p99 latency", "Failures", "Usable queues", "Requests in flight", "Per guest"})
    EXPECT_TRUE(has(titles, t)) << t;
}

TEST_F(Browser, ReplicatedRunReport) {
  report_of("run configs/quickstart.toml --set run.horizon='\"2s\"' --set run.warmup='\"0.5s\"' --replications 3 "
            "-j 2 -q",
            "replicated", 3);
}

TEST_F(Browser, CompareReport) {
  const auto titles = report_of("compare tests/browser/compare-small.toml -j 2 -q", "compare", 10);
  EXPECT_TRUE(has(titles, "p99")) << "a figure per variant";
  EXPECT_TRUE(has(titles, "p99 − linux-6.13")) << "paired differences against the reference";
}

// Two factors: lines against the first with interval bands and the SLO, and a heatmap of both.
TEST_F(Browser, SweepReport) {
  report_of("sweep tests/browser/sweep-small.toml -j 2 -q --out " + (dir_ / "sweep").string(), "sweep", 5);
  const auto browser = open_report(dir_ / "sweep.html", "profile2", dir_ / "chromium.log");
  EXPECT_EQ(browser->evaluate("document.querySelectorAll('.heatmap td[data-value]').length"), 6) << "3 x 2 cells";
  EXPECT_EQ(browser->evaluate("Object.values(Chart.instances).some((c) => c.data.datasets.some((d) => "
                              "d.label === 'SLO 2ms'))"),
            true);
}

TEST_F(Browser, PlanReport) {
  const auto titles = report_of("plan tests/browser/plan-small.toml -j 2 -q", "plan", 3);
  EXPECT_TRUE(has(titles, "web p99 <= 1ms")) << "a chart per SLO";
}

// Every interleaving of the ABBA race under each strategy: outcome classes per strategy, witnesses.
TEST_F(Browser, ExploreReport) {
  const auto titles = report_of("explore configs/explore/abba-stolen.toml -q", "explore", 1);
  EXPECT_TRUE(has(titles, "Schedules by outcome"));
}

} // namespace
} // namespace apq::test
