// apqsim as a process: what a user types and what comes back.

#include "cli_support.hpp"

namespace {

using namespace apq::test;

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
  EXPECT_EQ(dir.code, 2);
  EXPECT_NE(dir.out.find("--json /nonexistent-dir/x.json: error: directory /nonexistent-dir does not exist"),
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
strategies = ["mainline-6.0", "v12-trylock"]
replications = 2
)");
  const Outcome r = apqsim("compare " + file.string() + " --json " + (dir_ / "c.json").string() + " --csv " +
                           (dir_ / "c.csv").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("paired differences against mainline-6.0"), std::string::npos) << r.out;
  const std::string json = slurp(dir_ / "c.json");
  for (const char* key : {"\"paired_vs_reference\"", "\"derived.ebusy\"", "\"summary.throughput_loss\"", "\"seeds\"",
                          "\"reference\": \"mainline-6.0\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  const std::string csv = slurp(dir_ / "c.csv");
  EXPECT_EQ(csv.rfind("variant,replication,seed,metric,value\n\"mainline-6.0\",0,7,", 0), 0u) << csv.substr(0, 100);
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
