// What apqsim writes besides its summary: the trace with control-plane events, the timeline, the time series, HTML
// reports and apqsim report, progress lines on a terminal, the sweep's results table.

#include "cli_support.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace apq::test;
using Json = nlohmann::json;

std::vector<std::string> lines_with(const std::string& text, const std::string& part) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(part) != std::string::npos)
      out.push_back(line);
  return out;
}

/** `apqsim ARGS` on a pseudo-terminal (util-linux script), as a user at a terminal runs it; `env` before it. */
Outcome on_terminal(const std::string& env, const std::string& args) {
  return shell("TERM=xterm " + env + " script -qec \"" + std::string(APQSIM_BINARY) + " " + args + "\" /dev/null");
}

// The ABBA deadlock's control-plane steps in the CSV, in time order with the request events, each lock step
// pointing at its line of configs/strategies/naive-mutex.toml.
TEST_F(Cli, TraceHasControlPlaneEventsWithTheirStrategyLines) {
  const Outcome r = apqsim("run -q configs/seed/abba-deadlock.toml --trace " + (dir_ / "t.csv").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string trace = slurp(dir_ / "t.csv");
  EXPECT_EQ(lines_with(trace, "admin-apmask,apmask_store,ap_perms").size(), 2u) << "request, acquire";
  const auto request = lines_with(trace, "lock_request,,,,,admin-apmask,apmask_store,ap_perms,lock,");
  ASSERT_EQ(request.size(), 1u);
  EXPECT_EQ(request[0].rfind("1.000000000,", 0), 0u) << request[0];
  EXPECT_NE(request[0].find(",configs/strategies/naive-mutex.toml:"), std::string::npos) << request[0];
  const auto deadlock = lines_with(trace, ",deadlock,");
  ASSERT_EQ(deadlock.size(), 1u);
  EXPECT_NE(
      deadlock[0].find("\"admin-assign holds matrix, wants ap_perms; admin-apmask holds ap_perms, wants matrix\""),
      std::string::npos)
      << deadlock[0];
  EXPECT_EQ(lines_with(trace, ",op_start,").size(), 3u) << "apmask_store, in_use, assign_adapter";
  EXPECT_EQ(lines_with(trace, ",op_end,").size(), 0u) << "none returns";
  const auto attempts = lines_with(trace, ",attempt,");
  ASSERT_EQ(attempts.size(), 2u) << "one per admin operation";
  EXPECT_NE(attempts[1].find(",admin-apmask,apmask_store,,+0x01,configs/seed/abba-deadlock.toml:"), std::string::npos)
      << attempts[1];
  EXPECT_EQ(lines_with(trace, ",outcome,").size(), 0u) << "neither operation ends";
  // Time never goes back through the file.
  std::istringstream in(trace);
  std::string line;
  std::getline(in, line);
  double last = 0;
  while (std::getline(in, line)) {
    const double t = std::stod(line.substr(0, line.find(',')));
    ASSERT_GE(t, last) << line;
    last = t;
  }
}

TEST_F(Cli, TimelineAndTimeseriesFollowOneRun) {
  const Outcome r =
      apqsim("run -q configs/seed/v12-stolen-queue.toml --series-window 250ms --json " + (dir_ / "r.json").string() +
             " --timeline " + (dir_ / "t.json").string() + " --timeseries " + (dir_ / "s.csv").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const Json result = Json::parse(slurp(dir_ / "r.json"));
  const Json timeline = Json::parse(slurp(dir_ / "t.json"));
  EXPECT_EQ(timeline["displayTimeUnit"], "ns");
  EXPECT_GT(timeline["traceEvents"].size(), 100u);
  // The timeline's counters are the result's series, one sample per series window.
  const std::size_t windows = result["series"]["guests"]["web"]["completed"].size();
  std::vector<double> completions;
  for (const Json& e : timeline["traceEvents"])
    if (e["ph"] == "C" && e["name"] == "web completions")
      completions.push_back(e["args"]["per window"].get<double>());
  ASSERT_EQ(completions.size(), windows);
  for (std::size_t w = 0; w < windows; ++w)
    EXPECT_EQ(completions[w], result["series"]["guests"]["web"]["completed"][w].get<double>()) << w;
  // The CSV is the same series in long format: run and baseline, per guest and all, each column per window.
  const std::string series = slurp(dir_ / "s.csv");
  EXPECT_EQ(series.rfind("run,guest,metric,window,start_s,end_s,value\nrun,web,completed,0,0,0.25,", 0), 0u)
      << series.substr(0, 200);
  const auto web_completed = lines_with(series, "run,web,completed,");
  ASSERT_EQ(web_completed.size(), windows);
  EXPECT_EQ(web_completed[3], "run,web,completed,3,0.75,1," +
                                  std::to_string(result["series"]["guests"]["web"]["completed"][3].get<uint64_t>()));
  EXPECT_EQ(lines_with(series, "baseline,all,p99_latency_s,").size(), windows);
  std::size_t rows = 0;
  for (char c : series)
    rows += c == '\n';
  ASSERT_EQ(result["series"]["guests"].size(), 1u);
  EXPECT_EQ(rows, 1 + 2 * 2 * 7 * windows) << "header; run and baseline x web and all x 7 columns x windows";
  const Outcome replicated =
      apqsim("run -q configs/validation/mmc.toml --replications 2 --timeline " + (dir_ / "x.json").string());
  EXPECT_EQ(replicated.code, 2);
  EXPECT_NE(replicated.out.find("--timeline: error: it follows one run"), std::string::npos) << replicated.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
}

// A report is one file: the data, the page and Chart.js inside, nothing fetched from anywhere.
TEST_F(Cli, ReportIsOneSelfContainedFile) {
  const Outcome r = apqsim("run -q configs/seed/abba-deadlock.toml --json " + (dir_ / "r.json").string() +
                           " --report " + (dir_ / "a.html").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const Outcome again = apqsim("report " + (dir_ / "r.json").string() + " -o " + (dir_ / "b.html").string());
  ASSERT_EQ(again.code, 0) << again.out;
  const std::string html = slurp(dir_ / "a.html");
  EXPECT_EQ(html, slurp(dir_ / "b.html")) << "--report and apqsim report write the same page";
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Chart.js v"), std::string::npos);
  EXPECT_NE(html.find("<script type=\"application/json\" id=\"apq-data\">"), std::string::npos);
  for (const char* external : {"src=\"http", "href=\"http", "<link ", "@import", "src=\"//"})
    EXPECT_EQ(html.find(external), std::string::npos) << external;
}

TEST_F(Cli, ReportRefusesWhatIsNotAResult) {
  const fs::path text = write("notes.json", "this is not JSON");
  Outcome r = apqsim("report " + text.string() + " -o " + (dir_ / "x.html").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("notes.json:1:2: error: not a JSON result document"), std::string::npos) << r.out;
  const fs::path other = write("other.json", "{\"name\": \"something else\"}");
  r = apqsim("report " + other.string() + " -o " + (dir_ / "x.html").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("other.json: error: not an apqsim result"), std::string::npos) << r.out;
  const fs::path point = write("point-00000.json", "{\"sweep_id\": \"ab\", \"point\": 0, \"figures\": {}}");
  r = apqsim("report " + point.string() + " -o " + (dir_ / "x.html").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("one point of a sweep: report the merged results.json"), std::string::npos) << r.out;
  r = apqsim("report " + (dir_ / "missing.json").string() + " -o " + (dir_ / "x.html").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("missing.json: error: cannot read the result file: No such file or directory"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.html"));
  // An output that cannot be written is an I/O error (3), as for every other output file.
  r = apqsim("run -q configs/validation/mmc.toml --json " + (dir_ / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  r = apqsim("report " + (dir_ / "r.json").string() + " -o /nonexistent-dir/x.html");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("-o /nonexistent-dir/x.html: error: cannot write /nonexistent-dir/x.html: directory "
                       "/nonexistent-dir does not exist"),
            std::string::npos)
      << r.out;
  // And it is found before the work: a run with a --report it could not write does not run.
  r = apqsim("run configs/validation/mmc.toml --report " + dir_.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("--report " + dir_.string() + ": error: cannot write " + dir_.string() + ": it is a directory"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("throughput"), std::string::npos) << "nothing ran";
}

// On a terminal a long run shows where it is; piped, with --quiet, it shows nothing; NO_COLOR drops the colour. The
// progress line changes nothing in the result.
TEST_F(Cli, ProgressOnATerminalOnly) {
  const std::string run = "run configs/seed/random-storm.toml --set run.horizon='\\\"4s\\\"' --set "
                          "run.warmup='\\\"1s\\\"' --json ";
  const Outcome terminal = on_terminal("", run + (dir_ / "a.json").string());
  ASSERT_EQ(terminal.code, 0) << terminal.out;
  EXPECT_NE(terminal.out.find("\r\033[Ksimulated "), std::string::npos) << terminal.out.substr(0, 300);
  EXPECT_NE(terminal.out.find(" of 4s ("), std::string::npos);
  EXPECT_NE(terminal.out.find("\033[1;36m"), std::string::npos) << "colour on a terminal";
  const Outcome plain = on_terminal("NO_COLOR=1", run + (dir_ / "b.json").string());
  EXPECT_NE(plain.out.find("\r\033[Ksimulated "), std::string::npos);
  EXPECT_EQ(plain.out.find("\033[1;36m"), std::string::npos) << "NO_COLOR";
  const Outcome quiet = on_terminal("", run + (dir_ / "c.json").string() + " --quiet");
  EXPECT_EQ(quiet.out.find("simulated"), std::string::npos) << quiet.out;
  const Outcome piped = apqsim("run configs/seed/random-storm.toml --set run.horizon='\"4s\"' --set "
                               "run.warmup='\"1s\"' --json " +
                               (dir_ / "d.json").string());
  EXPECT_EQ(piped.out.find('\r'), std::string::npos);
  EXPECT_EQ(piped.out.find("simulated"), std::string::npos);
  EXPECT_EQ(slurp(dir_ / "a.json"), slurp(dir_ / "d.json"));
}

// On a terminal, the sweep shows its points as they finish, then ends with the table of every point.
TEST_F(Cli, SweepEndsWithAResultsTable) {
  const Outcome r = on_terminal("", "sweep tests/browser/sweep-small.toml -j 2 --out " + (dir_ / "s").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\r\033[Ksweep: points 6/6 ("), std::string::npos) << r.out.substr(0, 400);
  const auto header = lines_with(r.out, "point  reconfig.random.0.rate  run.strategy");
  ASSERT_EQ(header.size(), 1u) << r.out;
  for (const char* column : {"loss", "p99", "p999", "EBUSY", "retries", "lock wait", "violations"})
    EXPECT_NE(header[0].find(column), std::string::npos) << column;
  EXPECT_EQ(lines_with(r.out, "  v12-trylock  ").size() + lines_with(r.out, "  linux-6.13  ").size(), 6u) << r.out;
  EXPECT_NE(slurp(dir_ / "s" / "results.json").find("\"slo\""), std::string::npos) << "[sweep.slo] kept";
}

// explore cannot know how many states it will find: on a terminal it counts those it found, per strategy.
TEST_F(Cli, ExploreCountsStatesOnATerminal) {
  const std::string args = "explore configs/explore/four-way-race.toml --strategy linux-6.13 --json ";
  const Outcome terminal = on_terminal("NO_COLOR=1", args + (dir_ / "a.json").string());
  ASSERT_EQ(terminal.code, 0) << terminal.out.substr(0, 400);
  EXPECT_NE(terminal.out.find("\r\033[Kexplore linux-6.13: "), std::string::npos) << terminal.out.substr(0, 400);
  EXPECT_NE(terminal.out.find(" states explored, "), std::string::npos);
  const Outcome piped = apqsim(args + (dir_ / "b.json").string());
  EXPECT_EQ(piped.out.find("states explored"), std::string::npos);
  EXPECT_NE(piped.out.find("apqsim explore: linux-6.13 ...\n"), std::string::npos) << "the log line stays";
}

} // namespace
