// apqsim as a process: what a user types and what comes back.

#include "../proc_support.hpp"
#include "cli_support.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
using apq::test::apqsim;
using apq::test::Cli;
using apq::test::Outcome;
using apq::test::slurp;

const char* const kSmall = R"([run]
horizon = "2s"
warmup = "0.5s"
seed = 3
[[cards]]
ids = "0x00"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web"
adapters = "0x00"
domains = "0x00-0x01"
arrival = { process = "poisson", rate = "5k/s" }
)";

TEST_F(Cli, RunPrintsASummaryAndWritesJsonWithItsManifest) {
  const fs::path config = write("small.toml", kSmall);
  const Outcome r = apqsim("run " + config.string() + " --json " + (dir_ / "out.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("web"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p99"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CEX8A"), std::string::npos) << r.out;
  const std::string json = slurp(dir_ / "out.json");
  for (const char* key :
       {"\"summary\"", "\"throughput_per_s\"", "\"p9999\"", "\"manifest\"", "\"git_commit\"",
        "\"simgrid_version\": \"3.32.0\"", "\"config_sha256\"", "\"seed\": 3", "\"guests\"", "\"web\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
}

TEST_F(Cli, SameConfigAndSeedGiveByteIdenticalJson) {
  const fs::path config = write("small.toml", kSmall);
  ASSERT_EQ(apqsim("run -q " + config.string() + " --json " + (dir_ / "a.json").string()).code, 0);
  ASSERT_EQ(apqsim("run -q " + config.string() + " --json " + (dir_ / "b.json").string()).code, 0);
  ASSERT_EQ(apqsim("run -q " + config.string() + " --seed 4 --json " + (dir_ / "c.json").string()).code, 0);
  EXPECT_EQ(slurp(dir_ / "a.json"), slurp(dir_ / "b.json"));
  EXPECT_NE(slurp(dir_ / "a.json"), slurp(dir_ / "c.json"));
}

TEST_F(Cli, BadConfigIsLocatedExitsTwoAndWritesNothing) {
  std::string text = kSmall;
  text.replace(text.find("rate = \"5k/s\""), 13, "rate = \"5k\"");
  const fs::path config = write("bad.toml", text);
  const Outcome r = apqsim("run " + config.string() + " --json " + (dir_ / "out.json").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("bad.toml:13:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1) << "only the config is there";
}

TEST_F(Cli, CheckValidatesWithoutRunning) {
  const Outcome ok = apqsim("check configs/quickstart.toml");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok: 3 cards, 48 AP queues, 3 guests"), std::string::npos) << ok.out;
  const fs::path config = write("typo.toml", std::string(kSmall) + "colour = \"blue\"\n");
  const Outcome bad = apqsim("check " + config.string());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("typo.toml:14:1: error: unknown key 'colour'"), std::string::npos) << bad.out;
}

TEST_F(Cli, UsageErrorsNameTheFlagAndExitTwo) {
  const Outcome unknown = apqsim("run configs/quickstart.toml --frobnicate");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.out.find("--frobnicate"), std::string::npos) << unknown.out;
  const Outcome seed = apqsim("run configs/quickstart.toml --seed lots");
  EXPECT_EQ(seed.code, 2);
  EXPECT_NE(seed.out.find("--seed"), std::string::npos) << seed.out;
  const Outcome nosub = apqsim("");
  EXPECT_EQ(nosub.code, 2);
  const Outcome missing = apqsim("run no/such/file.toml");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.out.find("no/such/file.toml: error: cannot read scenario file"), std::string::npos) << missing.out;
  const Outcome dir = apqsim("run configs/quickstart.toml --json /nonexistent-dir/x.json");
  EXPECT_EQ(dir.code, 3);
  EXPECT_NE(dir.out.find("--json /nonexistent-dir/x.json: error: cannot write /nonexistent-dir/x.json: directory "
                         "/nonexistent-dir does not exist"),
            std::string::npos)
      << dir.out;
  const Outcome set = apqsim("check configs/quickstart.toml --set run.horizon");
  EXPECT_EQ(set.code, 2);
  EXPECT_NE(set.out.find("--set run.horizon: error: expected PATH=VALUE"), std::string::npos) << set.out;
}

TEST_F(Cli, HelpAndVersion) {
  const Outcome help = apqsim("--help");
  EXPECT_EQ(help.code, 0);
  for (const char* word : {"run", "check", "list", "Exit codes"})
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
  const Outcome run_help = apqsim("run --help");
  EXPECT_EQ(run_help.code, 0);
  for (const char* word : {"--json", "--seed", "--set", "--trace", "--cfg"})
    EXPECT_NE(run_help.out.find(word), std::string::npos) << word;
  const Outcome version = apqsim("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("apqsim ", 0), 0u) << version.out;
}

TEST_F(Cli, ListShowsEveryRegistryWithParameters) {
  const Outcome r = apqsim("list");
  ASSERT_EQ(r.code, 0);
  for (const char* word :
       {"CEX5A", "CEX8P", "custom", "queue_depth", "deterministic", "exponential", "lognormal", "uniform", "empirical",
        "poisson", "mmpp", "periodic", "schedule", "trace", "rsa_crt_2k", "seckey_high"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  EXPECT_EQ(apqsim("list nonsense").code, 2);
}

TEST_F(Cli, TraceFileListsRequestEvents) {
  const fs::path config = write("small.toml", kSmall);
  const Outcome r = apqsim("run -q " + config.string() + " --trace " + (dir_ / "t.csv").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string trace = slurp(dir_ / "t.csv");
  EXPECT_EQ(trace.rfind("time_s,event,guest,request,adapter,domain,actor,op,lock,detail,where\n0.", 0), 0u)
      << trace.substr(0, 200);
  EXPECT_NE(trace.find(",collect,web,"), std::string::npos);
}

// The cluster recipe of the README: a sweep as 2 shards under GNU parallel, then apqsim merge, equals the sweep
// run whole.
TEST_F(Cli, SweepShardsUnderGnuParallelMergeToTheUnshardedSweep) {
  const fs::path file = write("sweep.toml", std::string("include = \"") + APQSIM_SOURCE_DIR +
                                                "/configs/validation/mmc.toml\"\n" + R"([run]
horizon = "3s"
warmup = "0.5s"
[sweep]
mode = "grid"
replications = 2
[[sweep.factors]]
path = "guests.0.arrival.rate"
values = ["1k/s", "2k/s"]
[[sweep.factors]]
path = "cards.0.engines"
values = [4, 5]
)");
  const Outcome whole = apqsim("sweep -q " + file.string() + " --out " + (dir_ / "whole").string());
  ASSERT_EQ(whole.code, 0) << whole.out;
  const std::string command = std::string("cd ") + APQSIM_SOURCE_DIR + " && parallel --halt now,fail=1 " +
                              APQSIM_BINARY + " sweep -q " + file.string() + " --out " + (dir_ / "shard").string() +
                              "{} --shard {}/2 ::: 1 2 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_FALSE(fs::exists(dir_ / "shard1" / "results.csv"));
  const Outcome merged = apqsim("merge " + (dir_ / "shard1").string() + " " + (dir_ / "shard2").string() + " --out " +
                                (dir_ / "merged").string());
  ASSERT_EQ(merged.code, 0) << merged.out;
  EXPECT_NE(merged.out.find("merged 4 points"), std::string::npos) << merged.out;
  EXPECT_EQ(slurp(dir_ / "merged" / "results.csv"), slurp(dir_ / "whole" / "results.csv"));
  EXPECT_EQ(slurp(dir_ / "merged" / "results.json"), slurp(dir_ / "whole" / "results.json"));
  const Outcome bad = apqsim("sweep " + file.string() + " --out x --shard 3/2");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--shard 3/2: error: expected i/n with 1 <= i <= n"), std::string::npos) << bad.out;
}

TEST_F(Cli, CompareWritesPairedIntervalsAndLongCsv) {
  const fs::path file = write("compare.toml", std::string("include = \"") + APQSIM_SOURCE_DIR +
                                                  "/configs/seed/random-storm.toml\"\n" + R"([run]
horizon = "2s"
warmup = "0.5s"
[compare]
strategies = ["linux-6.13", "v12-trylock"]
replications = 2
)");
  const Outcome r = apqsim("compare " + file.string() + " --json " + (dir_ / "c.json").string() + " --csv " +
                           (dir_ / "c.csv").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("paired differences against linux-6.13"), std::string::npos) << r.out;
  const std::string json = slurp(dir_ / "c.json");
  for (const char* key : {"\"paired_vs_reference\"", "\"derived.ebusy\"", "\"summary.throughput_loss\"", "\"seeds\"",
                          "\"reference\": \"linux-6.13\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  const std::string csv = slurp(dir_ / "c.csv");
  EXPECT_EQ(csv.rfind("variant,replication,seed,metric,value\n\"linux-6.13\",0,7,", 0), 0u) << csv.substr(0, 100);
  const fs::path bad = write("bad.toml", std::string("include = \"") + APQSIM_SOURCE_DIR +
                                             "/configs/validation/mmc.toml\"\n[compare]\nstrategies = [\"v12\"]\n");
  const Outcome e = apqsim("compare " + bad.string());
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.out.find("bad.toml:2:1: error: compare: compare at least two variants"), std::string::npos) << e.out;
}

TEST_F(Cli, RunWithReplicationsPrintsIntervalsAndExitsOneOnUnexpectedViolations) {
  const Outcome r = apqsim("run configs/validation/mmc.toml --set run.horizon='\"5s\"' --set run.warmup='\"1s\"' "
                           "--replications 3 --jobs 2 --json " +
                           (dir_ / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("3 replications (seeds 1..3)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("latency p99"), std::string::npos) << r.out;
  const std::string json = slurp(dir_ / "r.json");
  EXPECT_NE(json.find("\"summary.latency_s.p99\": {"), std::string::npos);
  EXPECT_NE(json.find("\"half_width\""), std::string::npos);
  // The ABBA seed expects its deadlock; with expect emptied, the deadlock is a failure: exit 1.
  const Outcome deadlock = apqsim("run -q configs/seed/abba-deadlock.toml --set 'run.expect=[]'");
  EXPECT_EQ(deadlock.code, 1) << deadlock.out;
  EXPECT_NE(deadlock.out.find("the monitors found deadlock, lock_order_inversion"), std::string::npos) << deadlock.out;
}

TEST_F(Cli, AnalyticPrintsErlangCAndRefusesReconfiguration) {
  const Outcome r = apqsim("analytic configs/validation/mmc.toml --json " + (dir_ / "a.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1.75ms"), std::string::npos) << r.out; // Erlang C: 1.7455 ms
  EXPECT_TRUE(fs::exists(dir_ / "a.json"));
  const Outcome refused = apqsim("analytic configs/seed/abba-deadlock.toml");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.out.find("analytic models cover steady state without reconfiguration"), std::string::npos)
      << refused.out;
}

} // namespace

namespace {

TEST_F(Cli, CompareCorrectsForItsComparisonsAndExitsOneOnUnexpectedViolations) {
  // The ABBA timeline: naive-mutex deadlocks, linux-6.13 does not. With expect emptied the deadlock is unexpected.
  const fs::path file = write("abba.toml", std::string("include = \"") + APQSIM_SOURCE_DIR +
                                               "/configs/seed/abba-deadlock.toml\"\n" + R"([run]
expect = []
[compare]
strategies = ["linux-6.13", "naive-mutex"]
replications = 3
)");
  const Outcome r = apqsim("compare " + file.string() + " --json " + (dir_ / "c.json").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("Holm's step-down test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("naive-mutex: deadlock (seed 1)"), std::string::npos) << r.out;
  const std::string json = slurp(dir_ / "c.json");
  for (const char* key : {"\"tests\": \"holm\"", "\"intervals\": \"bonferroni\"", "\"p_value\"", "\"different\"",
                          "\"unexpected_violations\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
}

TEST_F(Cli, RunSeriesWindowFlagAndFailuresByErrno) {
  const fs::path file = write("small.toml", kSmall);
  const Outcome r = apqsim("run " + file.string() + " --series-window 250ms --json " + (dir_ / "r.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string json = slurp(dir_ / "r.json");
  EXPECT_NE(json.find("\"window_s\": 0.25"), std::string::npos);
  EXPECT_EQ(r.out.find("window"), std::string::npos) << "nothing about windows without reconfiguration";
  const Outcome bad = apqsim("run " + file.string() + " --series-window fast");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--series-window fast: error: bad duration"), std::string::npos) << bad.out;
  // A guest whose only card goes offline fails with -ENODEV: the summary says so, by errno.
  const fs::path offline = write("offline.toml", std::string(kSmall) + R"([[reconfig.timeline]]
name = "off"
at = "1s"
op = "card_offline"
adapter = "0x00"
)");
  const Outcome o = apqsim("run " + offline.string());
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("ENODEV"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("card_offline"), std::string::npos) << o.out;
}

using apq::test::children_of;
using apq::test::is_running;
using apq::test::start_apqsim;
using apq::test::wait_exit_code;

/** kSmall running for minutes unless stopped: a horizon of a day. */
const std::string kLong = [] {
  std::string text = kSmall;
  return text.replace(text.find("horizon = \"2s\""), 14, "horizon = \"86400s\"");
}();

/** Waits (up to a minute) for `ready`, polling. */
bool eventually(const std::function<bool()>& ready) {
  for (int i = 0; i < 6000; ++i) {
    if (ready())
      return true;
    ::usleep(10000);
  }
  return false;
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos)
      found.push_back(entry.path().filename().string());
  return found;
}

TEST_F(Cli, CtrlCDuringATraceExits130AndLeavesNoTemporaryFile) {
  const fs::path config = write("long.toml", kLong);
  const pid_t pid = start_apqsim("run " + config.string() + " -q --trace " + (dir_ / "t.csv").string(), dir_ / "log");
  ASSERT_TRUE(eventually([&] { return !temporaries_in(dir_).empty(); })) << slurp(dir_ / "log");
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit_code(pid), 130) << slurp(dir_ / "log");
  EXPECT_TRUE(temporaries_in(dir_).empty());
  EXPECT_FALSE(fs::exists(dir_ / "t.csv"));
}

TEST_F(Cli, SigtermToTheParentAloneStopsEveryChild) {
  const fs::path config = write("long.toml", kLong);
  const pid_t parent = start_apqsim("run " + config.string() + " --replications 2 -j 2 -q", dir_ / "log2");
  std::vector<pid_t> children;
  ASSERT_TRUE(eventually([&] {
    children = children_of(parent);
    return children.size() == 2;
  })) << slurp(dir_ / "log2");
  ::kill(parent, SIGTERM); // the parent alone, as timeout(1) and systemd do
  EXPECT_EQ(wait_exit_code(parent), 143) << slurp(dir_ / "log2");
  for (pid_t child : children)
    EXPECT_TRUE(eventually([&] { return !is_running(child); })) << "child " << child << " runs on";
  EXPECT_NE(slurp(dir_ / "log2").find("stopped by SIGTERM"), std::string::npos) << slurp(dir_ / "log2");
}

TEST_F(Cli, AnInterruptedReplicatedRunWritesTheCompletedReplicationsMarkedIncomplete) {
  // -j 1: the replications run one after the other; once the second child starts, the first is complete.
  const fs::path config = write("long.toml", std::string(kLong));
  const pid_t parent = start_apqsim("run " + config.string() + " --replications 3 -j 1 --json " +
                                        (dir_ / "r.json").string() + " --set run.horizon='\"500s\"'",
                                    dir_ / "log");
  pid_t first = 0;
  ASSERT_TRUE(eventually([&] {
    const std::vector<pid_t> children = children_of(parent);
    if (first == 0 && !children.empty())
      first = children.front();
    return !children.empty() && children.front() != first;
  })) << slurp(dir_ / "log");
  ::kill(parent, SIGINT);
  EXPECT_EQ(wait_exit_code(parent), 130) << slurp(dir_ / "log");
  const std::string json = slurp(dir_ / "r.json");
  EXPECT_NE(json.find("\"incomplete\": \"stopped by SIGINT\""), std::string::npos) << json.substr(0, 400);
  EXPECT_NE(slurp(dir_ / "log").find("INCOMPLETE: 1 replications completed"), std::string::npos) << slurp(dir_ / "log");
}

TEST_F(Cli, AChildThatDiesIsReportedAndTheOthersAreKept) {
  const fs::path config = write("long.toml", kLong);
  const pid_t parent = start_apqsim("run " + config.string() + " --replications 2 -j 2 -q --json " +
                                        (dir_ / "r.json").string() + " --set run.horizon='\"300s\"'",
                                    dir_ / "log");
  std::vector<pid_t> children;
  ASSERT_TRUE(eventually([&] {
    children = children_of(parent);
    return children.size() == 2;
  }));
  ::kill(std::min(children[0], children[1]), SIGKILL); // the first replication's child (the oom-killer, say)
  EXPECT_EQ(wait_exit_code(parent), 3) << slurp(dir_ / "log");
  EXPECT_NE(slurp(dir_ / "log").find("died of signal 9"), std::string::npos) << slurp(dir_ / "log");
  const std::string json = slurp(dir_ / "r.json");
  EXPECT_NE(json.find("\"count\": 1"), std::string::npos) << json.substr(0, 400);
  EXPECT_NE(json.find("\"incomplete\""), std::string::npos);
}

TEST_F(Cli, ResultsGoThroughDevicesAndSymlinksAndNeverHalfWritten) {
  const fs::path config = write("small.toml", kSmall);
  const Outcome stdout_json = apqsim("run -q " + config.string() + " --json /dev/stdout");
  EXPECT_EQ(stdout_json.code, 0) << stdout_json.out;
  EXPECT_NE(stdout_json.out.find("\"manifest\""), std::string::npos);
  write("real.json", "old");
  fs::create_symlink("real.json", dir_ / "link.json");
  EXPECT_EQ(apqsim("run -q " + config.string() + " --json " + (dir_ / "link.json").string()).code, 0);
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_NE(slurp(dir_ / "real.json").find("\"manifest\""), std::string::npos);
  // A full disk: the error names the flag and the OS error, and nothing is left.
  const Outcome full = apqsim("run -q " + config.string() + " --trace /dev/full");
  EXPECT_EQ(full.code, 3);
  EXPECT_NE(full.out.find("--trace /dev/full: error: cannot write /dev/full: No space left on device"),
            std::string::npos)
      << full.out;
  const Outcome dir = apqsim("run -q " + config.string() + " --json " + dir_.string());
  EXPECT_EQ(dir.code, 3);
  EXPECT_TRUE(temporaries_in(dir_).empty());
}

TEST_F(Cli, AnOverloadedRunStopsAtTheInFlightLimitNamingWhatSaturated) {
  std::string text = kSmall;
  text.replace(text.find("rate = \"5k/s\""), 13, "rate = \"50k/s\"");
  const fs::path config = write("overload.toml", text + "[limits]\nin_flight = 20000\n");
  const Outcome check = apqsim("check " + config.string());
  EXPECT_EQ(check.code, 0);
  EXPECT_NE(check.out.find("card 0x00 (CEX8A) is offered 270% of what it can serve"), std::string::npos) << check.out;
  const Outcome run = apqsim("run -q " + config.string());
  EXPECT_EQ(run.code, 3) << run.out;
  EXPECT_NE(run.out.find("more than [limits] in_flight = 20000: the cards cannot keep up with the offered load. The "
                         "longest backlog is on AP queue 00.000"),
            std::string::npos)
      << run.out;
}

TEST_F(Cli, CheckValidatesExperimentTablesAndStrategyFilesOnTheirOwn) {
  write("small.toml", kSmall);
  const fs::path sweep = write("sweep.toml", "include = \"small.toml\"\n[sweep]\n[[sweep.factors]]\n"
                                             "path = \"run.horizn\"\nvalues = [\"1s\"]\n");
  const Outcome bad = apqsim("check " + sweep.string());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("sweep.toml:4:8: error: unknown key 'horizn' in run; did you mean 'horizon'?"),
            std::string::npos)
      << bad.out;
  const Outcome strategy = apqsim("check configs/strategies/ordered.toml");
  EXPECT_EQ(strategy.code, 0) << strategy.out;
  EXPECT_NE(strategy.out.find("ok: locking strategy 'ordered', 26 operations"), std::string::npos) << strategy.out;
  const Outcome sweeps = apqsim("check configs/sweeps/reconfig-rate.toml");
  EXPECT_EQ(sweeps.code, 0) << sweeps.out;
  EXPECT_NE(sweeps.out.find("[sweep] 6 points"), std::string::npos) << sweeps.out;
}

TEST_F(Cli, ListCardsShowsTheSpeedRatings) {
  const Outcome list = apqsim("list cards");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("rsa_crt_2k"), std::string::npos) << list.out;
  // CEX8A: 4 engines; ratings MEX 6 8 17, CRT 15 54 362 (zcrypt_cex4.c), no RNG or secure key.
  EXPECT_NE(list.out.find("CEX8A         4             6             8            17            15            54"),
            std::string::npos)
      << list.out;
}

TEST_F(Cli, ASweepInListModeWithDifferentKeysMergesAndADamagedPointRunsAgain) {
  write("small.toml", kSmall);
  const fs::path sweep = write("list.toml", "include = \"small.toml\"\n[sweep]\nmode = \"list\"\n"
                                            "[[sweep.points]]\nset = { \"run.seed\" = 5 }\n"
                                            "[[sweep.points]]\nset = { \"guests.web.arrival.rate\" = \"1k/s\" }\n");
  const fs::path out = dir_ / "out";
  const Outcome first = apqsim("sweep -q " + sweep.string() + " --out " + out.string() + " -j 2");
  ASSERT_EQ(first.code, 0) << first.out;
  const std::string csv = slurp(out / "results.csv");
  EXPECT_EQ(csv.rfind("point,\"run.seed\",\"guests.web.arrival.rate\",metric", 0), 0u) << csv.substr(0, 200);
  EXPECT_NE(csv.find("\n1,\"\",\"1k/s\","), std::string::npos) << "point 1 does not set run.seed";
  // A point file cut short (a disk that filled before this version wrote files whole): run again, not abort.
  fs::resize_file(out / "point-00001.json", 100);
  fs::remove(out / "results.csv");
  const Outcome again = apqsim("sweep " + sweep.string() + " --out " + out.string());
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("point-00001.json: error: not a point file of a sweep"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("1 points run, 1 already done"), std::string::npos) << again.out;
  EXPECT_TRUE(fs::exists(out / "results.csv"));
}

} // namespace
