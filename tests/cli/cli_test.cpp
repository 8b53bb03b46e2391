// apqsim as a process: what a user types and what comes back.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out; ///< stdout and stderr together
};

Outcome apqsim(const std::string& args) {
  const std::string command = std::string("cd ") + APQSIM_SOURCE_DIR + " && " + APQSIM_BINARY + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("apqsim-cli-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

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
  EXPECT_EQ(trace.rfind("time_s,event,guest,request,adapter,domain\n0.", 0), 0u) << trace.substr(0, 200);
  EXPECT_NE(trace.find(",collect,web,"), std::string::npos);
}

} // namespace
