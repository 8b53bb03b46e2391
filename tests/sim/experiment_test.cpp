// Experiments: replications and their seeds, common random numbers across variants, the stopping rule, sweep
// resume and sharding. Every run happens in forked children (this process never creates an engine).

#include "../temp_dir_test.hpp"
#include "models/analytic/queueing_formulas.hpp"
#include "sim/experiment/compare.hpp"
#include "sim/experiment/plan.hpp"
#include "sim/experiment/sweep.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace apq {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A short storm: two strategies, the same seeds.
Scenario storm(const std::string& strategy) {
  return load_scenario(
      test::source_dir() + "/configs/seed/random-storm.toml",
      {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}, {"run.strategy", "\"" + strategy + "\""}});
}

TEST(Experiment, ReplicationsUseSuccessiveSeedsAndVariantsShareTheirRequests) {
  const Scenario v12 = storm("v12-trylock");
  const Scenario mainline = storm("linux-6.13");
  ExperimentOptions options;
  options.jobs = 2;
  const auto runs = run_replications({&v12, &mainline}, 0, 2, options);
  ASSERT_EQ(runs.size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(runs[0][r].seed, v12.run.seed + r);
    EXPECT_EQ(runs[1][r].seed, v12.run.seed + r);
    // Common random numbers: the guests issue the same requests whatever the strategy, and both variants are
    // measured against the same baseline.
    for (const char* path : {"guests.web.offered", "guests.db.offered", "baseline.completed"})
      EXPECT_EQ(runs[0][r].figures.at(path), runs[1][r].figures.at(path)) << path;
    // ... while the control planes differ: only the trylock strategy sees -EBUSY.
    EXPECT_EQ(runs[1][r].figures.at("derived.ebusy"), 0);
  }
  EXPECT_NE(runs[0][0].figures.at("guests.web.offered"), runs[0][1].figures.at("guests.web.offered"));
  EXPECT_GT(runs[0][0].figures.at("derived.ebusy") + runs[0][1].figures.at("derived.ebusy"), 0);
}

TEST(Experiment, OneBaselinePerSeedServesEveryScenarioWithTheSameWorkload) {
  // A sweep's points over the control plane (strategy, an admin's rate) share their baselines; a point with another
  // workload has its own. Progress counts every child: baselines plus runs.
  const Scenario v12 = storm("v12-trylock");
  const Scenario mainline = storm("linux-6.13");
  const std::string file = test::source_dir() + "/configs/seed/random-storm.toml";
  const Scenario faster_admin = load_scenario(
      file, {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}, {"reconfig.random.0.rate", "\"40/s\""}});
  const Scenario other_workload = load_scenario(
      file, {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}, {"guests.0.arrival.rate", "\"10k/s\""}});
  std::size_t children = 0;
  ExperimentOptions options;
  options.jobs = 2;
  options.progress = [&children](std::size_t, std::size_t total) { children = total; };
  std::vector<std::size_t> completed_order;
  const auto runs = run_replications({&v12, &mainline, &faster_admin, &other_workload}, 0, 2, options,
                                     [&completed_order](std::size_t index, std::vector<Replication>& done) {
                                       EXPECT_EQ(done.size(), 2u);
                                       completed_order.push_back(index);
                                     });
  EXPECT_EQ(children, 2u /* shared baselines */ + 2u /* other_workload's */ + 4u * 2u /* runs */);
  std::sort(completed_order.begin(), completed_order.end());
  EXPECT_EQ(completed_order, (std::vector<std::size_t>{0, 1, 2, 3}));
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(runs[0][r].figures.at("baseline.completed"), runs[2][r].figures.at("baseline.completed"));
    EXPECT_NE(runs[0][r].figures.at("baseline.completed"), runs[3][r].figures.at("baseline.completed"));
    // Each run paired with its own workload's baseline: the same requests offered in both.
    EXPECT_EQ(runs[3][r].figures.at("guests.web.offered"), runs[3][r].figures.at("baseline.guests.web.offered"));
  }
}

TEST(Compare, PairsLeaveOutReplicationsWhereEitherRunLacksTheFigure) {
  // Replication 1 of the variant touched no request (no extra delay per request): its pair is left out, not read
  // as 0 (this used to end compare with "internal error: map::at").
  const std::vector<std::map<std::string, double>> variant{{{"x", 5}}, {}, {{"x", 9}}};
  const std::vector<std::map<std::string, double>> first{{{"x", 2}}, {{"x", 4}}, {{"x", 1}}};
  EXPECT_EQ(pair_differences(variant, first, "x"), (std::vector<double>{3, 8}));
  EXPECT_TRUE(pair_differences(variant, first, "y").empty());
}

TEST(Experiment, ReplicateSummarizesRunsAsTIntervals) {
  const Scenario scenario = load_scenario(test::source_dir() + "/configs/validation/mmc.toml",
                                          {{"run.horizon", "\"20s\""}, {"run.warmup", "\"1s\""}});
  StoppingRule rule;
  rule.replications = 3;
  ExperimentOptions options;
  options.jobs = 2;
  const ReplicatedResult result = replicate(scenario, rule, options);
  ASSERT_EQ(result.runs.size(), 3u);
  std::vector<double> completed;
  for (const Replication& r : result.runs)
    completed.push_back(r.figures.at("summary.completed"));
  const ConfidenceInterval expected = mean_confidence_interval(completed, 0.95);
  EXPECT_DOUBLE_EQ(result.intervals().at("summary.completed").mean, expected.mean);
  EXPECT_DOUBLE_EQ(result.intervals().at("summary.completed").half_width, expected.half_width);
  // 3.2k/s over 19 s: 60800 requests per run, within Poisson noise (4 SE = 4 sqrt(60800) ~ 990).
  EXPECT_NEAR(expected.mean, 60800, 990);
}

TEST(Experiment, StoppingRuleStopsAtTheFirstCountThatIsPreciseEnoughWhateverTheJobs) {
  const Scenario scenario = load_scenario(test::source_dir() + "/configs/validation/mmc.toml",
                                          {{"run.horizon", "\"4s\""}, {"run.warmup", "\"0.5s\""}});
  StoppingRule rule;
  rule.target_metric = "summary.throughput_per_s";
  // Each 3.5 s run counts about 11200 requests (Poisson: 0.95% relative spread): a relative error of 0.6% needs
  // about (2.2 x 0.95 / 0.6)^2 = 12 replications, well past the first 3.
  rule.target_relative_error = 0.006;
  rule.min_replications = 3;
  rule.max_replications = 30;
  std::vector<ReplicatedResult> results;
  for (int jobs : {1, 2, 3}) {
    ExperimentOptions options;
    options.jobs = jobs;
    results.push_back(replicate(scenario, rule, options));
  }
  const ReplicatedResult& result = results[0];
  const ConfidenceInterval& ci = result.intervals().at("summary.throughput_per_s");
  EXPECT_TRUE(result.target_reached);
  EXPECT_LE(ci.half_width, 0.006 / 1.006 * ci.mean);
  EXPECT_GT(result.runs.size(), 3u) << "the target should need more than the first 3";
  // The first count that met the rule: one fewer did not.
  std::vector<double> fewer;
  for (std::size_t r = 0; r + 1 < result.runs.size(); ++r)
    fewer.push_back(result.runs[r].figures.at("summary.throughput_per_s"));
  const ConfidenceInterval before = mean_confidence_interval(fewer, 0.95);
  EXPECT_GT(before.half_width, 0.006 / 1.006 * before.mean);
  // Decided one count at a time, in order: the same runs and figures with 1, 2 or 3 jobs.
  for (const ReplicatedResult& other : results) {
    ASSERT_EQ(other.runs.size(), result.runs.size());
    EXPECT_EQ(other.intervals().at("summary.throughput_per_s").mean, ci.mean);
    EXPECT_EQ(other.intervals().at("summary.latency_s.p99").upper,
              result.intervals().at("summary.latency_s.p99").upper);
  }
}

TEST(Experiment, StoppingRuleStartsAtTenReplicationsByDefault) {
  const Scenario scenario = load_scenario(test::source_dir() + "/configs/validation/mmc.toml",
                                          {{"run.horizon", "\"1s\""}, {"run.warmup", "\"0.1s\""}});
  StoppingRule rule;
  rule.target_relative_error = 0.5; // met at once
  ExperimentOptions options;
  options.jobs = 2;
  const ReplicatedResult result = replicate(scenario, rule, options);
  EXPECT_EQ(rule.target_metric, "summary.latency_s.mean");
  EXPECT_TRUE(result.target_reached);
  EXPECT_EQ(result.runs.size(), 10u);
}

TEST(Experiment, Mser5FindsTheTransient) {
  // M/M/4 (capacity 4k/s) overloaded at 4.4k/s for its first 60 s: a backlog of 400/s x 60 s = 24000 requests,
  // which drains at 4k/s - 2k/s once the load drops, by t = 72 s. Latency is far above its steady state until then.
  const Scenario scenario = load_scenario(
      test::source_dir() + "/configs/validation/mmc.toml",
      {{"run.horizon", "\"400s\""},
       {"run.warmup", "\"mser5\""},
       {"guests.0.arrival",
        R"({ process = "schedule", steps = [{ at = "0s", rate = "4.4k/s" }, { at = "60s", rate = "2k/s" }] })"}});
  ASSERT_TRUE(scenario.run.detect_warmup);
  StoppingRule rule;
  rule.replications = 2;
  ExperimentOptions options;
  options.jobs = 2;
  const ReplicatedResult result = replicate(scenario, rule, options);
  EXPECT_TRUE(result.warmup_detected);
  EXPECT_TRUE(result.warmup_reliable);
  EXPECT_GE(result.warmup, 60);
  EXPECT_LE(result.warmup, 100);
  // The pilot's seed is none of the replications'.
  for (const Replication& r : result.runs)
    EXPECT_NE(r.seed, result.pilot_seed);
  EXPECT_FALSE(result.pilot_seed >= scenario.run.seed && result.pilot_seed < scenario.run.seed + 100);
}

TEST(Experiment, Mser5RefusesACutBeyondTheFirstHalfAndSaysSo) {
  // The same overload, over a run too short to see its end: the backlog still grows at the horizon.
  const Scenario scenario = load_scenario(
      test::source_dir() + "/configs/validation/mmc.toml",
      {{"run.horizon", "\"40s\""},
       {"run.warmup", "\"mser5\""},
       {"guests.0.arrival",
        R"({ process = "schedule", steps = [{ at = "0s", rate = "2k/s" }, { at = "10s", rate = "4.4k/s" }] })"}});
  StoppingRule rule;
  rule.replications = 2;
  ExperimentOptions options;
  options.jobs = 2;
  const ReplicatedResult result = replicate(scenario, rule, options);
  EXPECT_FALSE(result.warmup_reliable);
  EXPECT_LE(result.warmup, 20.0) << "never beyond the first half";
  ASSERT_FALSE(result.figures.warnings.empty());
  EXPECT_NE(result.figures.warnings[0].message.find("MSER-5 cannot place the warm-up"), std::string::npos);
}

TEST(Experiment, RunsShortAgainstTheLatencysCorrelationTimeAreWarnedAbout) {
  // M/M/4 at rho 0.95: latency is correlated over about 0.2 s, so a 0.9 s measurement holds a couple of
  // independent stretches; the same queue at rho 0.5 over 20 s holds thousands.
  const Scenario scenario =
      load_scenario(test::source_dir() + "/configs/validation/mmc.toml",
                    {{"run.horizon", "\"1s\""}, {"run.warmup", "\"0.1s\""}, {"guests.0.arrival.rate", "\"3.8k/s\""}});
  StoppingRule rule;
  rule.replications = 10;
  ExperimentOptions options;
  options.jobs = 2;
  const ReplicatedResult result = replicate(scenario, rule, options);
  bool warned = false;
  for (const StatWarning& w : result.figures.warnings)
    warned = warned || w.message.find("correlation time") != std::string::npos;
  EXPECT_TRUE(warned);

  const Scenario calm =
      load_scenario(test::source_dir() + "/configs/validation/mmc.toml",
                    {{"run.horizon", "\"20s\""}, {"run.warmup", "\"1s\""}, {"guests.0.arrival.rate", "\"2k/s\""}});
  const ReplicatedResult quiet = replicate(calm, rule, options);
  for (const StatWarning& w : quiet.figures.warnings)
    EXPECT_EQ(w.figure.find("mean"), std::string::npos) << w.message;
  for (const StatWarning& w : quiet.figures.warnings)
    EXPECT_FALSE(w.figure.empty()) << "no warning about the runs themselves: " << w.message;
}

class SweepFiles : public test::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    std::ofstream(dir_ / "sweep.toml") << "include = \"" << test::source_dir() << R"(/configs/validation/mmc.toml"
[run]
horizon = "4s"
warmup = "1s"
[sweep]
mode = "zip"
replications = 2
[[sweep.factors]]
path = "guests.0.arrival.rate"
values = ["1k/s", "2k/s", "3k/s"]
[[sweep.factors]]
path = "run.seed"
values = [1, 1, 1]
)";
  }
};

TEST_F(SweepFiles, ResumeSkipsFinishedPointsAndShardsMergeToTheSameResults) {
  const SweepSpec spec = read_sweep_spec(dir_ / "sweep.toml");
  ASSERT_EQ(spec.points.size(), 3u);
  ExperimentOptions options;
  options.jobs = 2;
  const SweepRun first = run_sweep(dir_ / "sweep.toml", spec, dir_ / "all", {1, 1}, options, {});
  EXPECT_EQ(first.points_run, 3u);
  const std::string csv = slurp(dir_ / "all" / "results.csv");
  const std::string point1 = slurp(dir_ / "all" / "point-00001.json");
  const SweepRun again = run_sweep(dir_ / "sweep.toml", spec, dir_ / "all", {1, 1}, options, {});
  EXPECT_EQ(again.points_run, 0u);
  EXPECT_EQ(again.points_skipped, 3u);
  EXPECT_EQ(slurp(dir_ / "all" / "point-00001.json"), point1);

  // Shard 1/2 runs points 0 and 2, shard 2/2 point 1, each into its own directory; the merge equals the whole.
  const SweepRun a = run_sweep(dir_ / "sweep.toml", spec, dir_ / "s1", {1, 2}, options, {});
  const SweepRun b = run_sweep(dir_ / "sweep.toml", spec, dir_ / "s2", {2, 2}, options, {});
  EXPECT_EQ(a.points_run, 2u);
  EXPECT_EQ(b.points_run, 1u);
  EXPECT_FALSE(fs::exists(dir_ / "s1" / "results.csv")); // incomplete on its own
  EXPECT_EQ(merge_sweep({dir_ / "s1", dir_ / "s2"}, dir_ / "merged"), 3u);
  EXPECT_EQ(slurp(dir_ / "merged" / "results.csv"), csv);
  EXPECT_THROW(merge_sweep({dir_ / "s1"}, dir_ / "partial"), std::runtime_error); // point 1 missing
  // A missing last point (its shard not run) is found too: point files know how many points their sweep has.
  fs::create_directories(dir_ / "first-two");
  for (const char* name : {"point-00000.json", "point-00001.json"})
    fs::copy_file(dir_ / "all" / name, dir_ / "first-two" / name);
  try {
    merge_sweep({dir_ / "first-two"}, dir_ / "partial");
    ADD_FAILURE() << "merged a sweep without its last point";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "1 of the sweep's 3 points are missing (point 2): run their shards first");
  }
  EXPECT_FALSE(fs::exists(dir_ / "partial" / "results.csv"));
  // The throughput column follows the factor: about 1k, 2k, 3k per second.
  EXPECT_NE(csv.find("0,\"1k/s\",\"1\",summary.throughput_per_s,"), std::string::npos) << csv.substr(0, 300);
}

TEST(Plan, CapacityBoundCountsEachCardsShareOfTheWork) {
  // 40k/s of RSA-2048 CRT (54 us of card occupancy each) on 3 CEX8A: 2.16 cards of work, 72% each.
  const Scenario three =
      load_scenario(test::source_dir() + "/configs/capacity/plan-example.toml", {{"cards.0.ids", "\"0x00-0x02\""}});
  const auto utilization = capacity_utilization(three);
  ASSERT_EQ(utilization.size(), 3u);
  // api adds 20k/s (high and low states alike weigh 2 s) of 0.8 x 8 us + 0.2 x 15 us = 9.4 us: 0.188 cards.
  for (const auto& [card, u] : utilization)
    EXPECT_NEAR(u, (40e3 * 54e-6 + 20e3 * 9.4e-6) / 3, 1e-9) << card;
}

} // namespace
} // namespace apq

namespace apq {
namespace {

/** A plan file next to the test's temporary directory. */
fs::path plan_file(const std::string& name, const std::string& body) {
  const fs::path dir = fs::temp_directory_path() / "apqsim-plan-test";
  fs::create_directories(dir);
  const fs::path file = dir / name;
  std::ofstream(file) << "include = \"" << test::source_dir() << "/configs/validation/mmc.toml\"\n" << body;
  return file;
}

/** The response time that M/M/4 (mean service 1 ms) at 2k/s exceeds with probability p. */
double mmc_threshold(double p) {
  return analytic::mmc_response_quantile(4, 2000, 1000, 1 - p);
}

TEST(Plan, SlosForGuestPatternsAndGroupsExpandAtReading) {
  const fs::path file = plan_file("patterns.toml", R"(
[[cards]]
ids = "0x01"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web-1"
adapters = "0x01"
domains = "0x00"
arrival = { process = "poisson", rate = "10/s" }
[[guests]]
name = "web-2"
adapters = "0x01"
domains = "0x01"
arrival = { process = "poisson", rate = "10/s" }
[plan]
slo = { failed = 0.001, guests = { "web-*" = { p99 = "5ms", loss = 0.01 } }, groups = { front = { guests = ["web-2", "web-?"], p999 = "9ms" } } }
[[plan.factors]]
path = "run.seed"
values = [1]
)");
  const PlanSpec spec = read_plan_spec(file);
  std::vector<std::string> labels;
  for (const Slo& slo : spec.slos)
    labels.push_back(slo.label());
  EXPECT_EQ(labels, (std::vector<std::string>{"failed <= 0.1%", "web-1 p99 <= 5ms", "web-1 loss <= 1%",
                                              "web-2 p99 <= 5ms", "web-2 loss <= 1%", "front p999 <= 9ms"}));
  EXPECT_EQ(spec.slos.back().guests, (std::vector<std::string>{"web-2", "web-1"})); // each once
  EXPECT_EQ(spec.replications, 10) << "at least 10 replications by default";

  const fs::path bad = plan_file("bad.toml", R"(
[plan]
slo = { guests = { "db*" = { p99 = "5ms" } } }
[[plan.factors]]
path = "run.seed"
values = [1]
)");
  try {
    read_plan_spec(bad);
    FAIL() << "a pattern that matches no guest must be an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no guest named or matching 'db*'"), std::string::npos) << e.what();
  }
}

TEST(Plan, LatencySlosAreJudgedAsExceedanceWithThreeVerdicts) {
  // M/M/4 at rho 0.5: thresholds the response time exceeds 0.3%, 1% and 3% of the time. "p99 <= x" is
  // P(T > x) <= 1%: the first meets, the last fails, and the one on the edge cannot be told from 1%.
  char body[1024];
  std::snprintf(body, sizeof body, R"(
[run]
horizon = "2s"
warmup = "0.2s"
[plan]
slo = { p99 = "%.9fs", guests = { "g*" = { p99 = "%.9fs" } }, groups = { edge = { guests = ["g0"], p99 = "%.9fs" } } }
[[plan.factors]]
path = "guests.0.arrival.rate"
values = ["2k/s"]
)",
                mmc_threshold(0.03), mmc_threshold(0.003), mmc_threshold(0.01));
  const PlanSpec spec = read_plan_spec(plan_file("verdicts.toml", body));
  ExperimentOptions options;
  options.jobs = 2;
  const PlanResult result = run_plan(plan_file("verdicts.toml", body), spec, options);
  ASSERT_EQ(result.outcomes.size(), 1u);
  const CandidateOutcome& o = result.outcomes[0];
  ASSERT_EQ(o.verdicts.size(), 3u);
  EXPECT_EQ(o.verdicts[0].verdict, SloVerdict::Verdict::fails) << o.verdicts[0].text;
  EXPECT_EQ(o.verdicts[1].verdict, SloVerdict::Verdict::meets) << o.verdicts[1].text;
  EXPECT_EQ(o.verdicts[2].verdict, SloVerdict::Verdict::undecided) << o.verdicts[2].text;
  EXPECT_TRUE(o.verdicts[2].replications_needed.has_value());
  EXPECT_NE(o.verdicts[2].text.find("replications would decide"), std::string::npos);
  EXPECT_EQ(o.verdict, SloVerdict::Verdict::fails);
  EXPECT_EQ(o.replications, 10u);
  // The fraction above each threshold, within its interval, is near theory (1% bucket resolution aside).
  EXPECT_NEAR(o.verdicts[0].estimate, 0.03, 0.006);
  EXPECT_NEAR(o.verdicts[1].estimate, 0.003, 0.0015);
  const std::string report = plan_report(result);
  EXPECT_NE(report.find("Bonferroni"), std::string::npos);
  EXPECT_NE(report.find("200ms..2s"), std::string::npos) << "the SLO window is stated";
}

} // namespace
} // namespace apq
