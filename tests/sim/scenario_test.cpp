// Scenario loading: the contract config of the foundation issue, includes, overrides, and located errors.

#include "models/config_node.hpp"
#include "sim/scenario/topology.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace apq {
namespace {

using test::scenario_from;

const char* const kContract = R"(
[run]
horizon = "2000s"
warmup = "100s"
seed = 1
[[cards]]
ids = "0x00"
type = "custom"
engines = 4
queue_depth = 1000
domains = "0x00"
service = { dist = "exponential", mean = "1s" }
[[guests]]
name = "g0"
adapters = "0x00"
domains = "0x00"
arrival = { process = "poisson", rate = "3.2/s" }
completion = { mode = "interrupt", delay = "0s" }
)";

std::string error_of(const std::string& toml, const std::vector<ConfigOverride>& overrides = {}) {
  try {
    scenario_from(toml, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

/** The contract config with one line replaced (the replacement keeps the line numbers). */
std::string contract_with(const std::string& from, const std::string& to) {
  std::string text = kContract;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Scenario, LoadsTheContractConfig) {
  const Scenario s = scenario_from(kContract);
  EXPECT_DOUBLE_EQ(s.run.horizon, 2000);
  EXPECT_DOUBLE_EQ(s.run.warmup, 100);
  EXPECT_EQ(s.run.seed, 1u);
  ASSERT_EQ(s.cards.size(), 1u);
  EXPECT_EQ(s.cards[0].type->engines, 4);
  EXPECT_EQ(s.cards[0].type->queue_depth, 1000);
  EXPECT_DOUBLE_EQ(s.cards[0].type->service[static_cast<std::size_t>(Operation::rsa_crt_2k)]->mean(), 1.0);
  ASSERT_EQ(s.guests.size(), 1u);
  EXPECT_EQ(s.guests[0].name, "g0");
  EXPECT_DOUBLE_EQ(s.guests[0].arrival->mean_rate(), 3.2);
  EXPECT_EQ(s.guests[0].completion.mode, CompletionSpec::Mode::interrupt);
  EXPECT_DOUBLE_EQ(s.guests[0].completion.delay, 0);
  EXPECT_EQ(s.mdevs[s.guests[0].mdev].adapters.str(), "0x00");
  EXPECT_EQ(s.config_sha256.size(), 64u);
}

TEST(Scenario, SameContentSameHashAnyLayout) {
  const Scenario a = scenario_from(kContract);
  const Scenario b = scenario_from(contract_with("seed = 1", "seed   =   1 # same"));
  const Scenario c = scenario_from(contract_with("seed = 1", "seed = 2"));
  EXPECT_EQ(a.config_sha256, b.config_sha256);
  EXPECT_NE(a.config_sha256, c.config_sha256);
}

TEST(Scenario, UnknownKeyIsLocated) {
  EXPECT_EQ(error_of(contract_with("seed = 1", "sede = 1")),
            "inline.toml:5:1: error: unknown key 'sede' in run; did you mean 'seed'? valid keys: confidence, expect, "
            "horizon, max_replications, min_replications, replications, seed, series_window, strategy, target_metric, "
            "target_relative_error, warmup");
}

TEST(Scenario, BadUnitIsLocatedAtTheValue) {
  const std::string e = error_of(contract_with("rate = \"3.2/s\"", "rate = \"3.2/parsec\""));
  EXPECT_EQ(e.rfind("inline.toml:17:", 0), 0u) << e;
  EXPECT_NE(e.find("guests[0].arrival.rate"), std::string::npos) << e;
  EXPECT_NE(e.find("3.2/parsec"), std::string::npos) << e;
}

TEST(Scenario, WrongTypeIsLocated) {
  const std::string e = error_of(contract_with("engines = 4", "engines = \"four\""));
  EXPECT_EQ(e.rfind("inline.toml:9:11: error:", 0), 0u) << e;
  EXPECT_NE(e.find("engines"), std::string::npos) << e;
}

TEST(Scenario, IdOutOfRangeIsLocated) {
  EXPECT_EQ(error_of(contract_with("ids = \"0x00\"", "ids = \"0x00-0x100\"")),
            "inline.toml:7:7: error: cards[0].ids: id 0x100 in \"0x00-0x100\" is out of range: ids are 0x00-0xff");
}

TEST(Scenario, QueueInTwoMdevsIsRejected) {
  const std::string e = error_of(std::string(kContract) + R"(
[[guests]]
name = "g1"
adapters = "0x00"
domains = "0x00"
arrival = { process = "poisson", rate = "1/s" }
)");
  EXPECT_EQ(e, "inline.toml:22:12: error: queue 00.0000 is assigned to mdev 'g0' and to mdev 'g1' (-EADDRINUSE: an "
               "AP queue belongs to one mdev)");
}

TEST(Scenario, GuestWithoutUsableQueueIsRejected) {
  EXPECT_EQ(error_of(contract_with("adapters = \"0x00\"", "adapters = \"0x07\"")),
            "inline.toml:14:8: error: guest 'g0' has no usable AP queue: none of its adapters 0x07 is a configured "
            "card");
  // Domain 0x01 exists on adapter 0x01 but not on adapter 0x00: adapter 0x00 is filtered out whole.
  const std::string second_card = "[[cards]]\nids = \"0x01\"\ntype = \"CEX8A\"\ndomains = \"0x00-0x01\"\n";
  const std::string two_domains = contract_with("domains = \"0x00\"\narrival", "domains = \"0x00-0x01\"\narrival");
  EXPECT_NE(error_of(two_domains + second_card).find("an adapter with a missing queue is filtered out whole"),
            std::string::npos)
      << error_of(two_domains + second_card);
  // With adapter 0x01 assigned too, the guest keeps 0x01's two queues.
  const Scenario s = scenario_from(contract_with("adapters = \"0x00\"\ndomains = \"0x00\"\narrival",
                                                 "adapters = \"0x00-0x01\"\ndomains = \"0x00-0x01\"\narrival") +
                                   second_card);
  const Apcb apcb = filter_matrix(s.mdevs[0], HostConfig(s));
  EXPECT_EQ(apcb.adapters.str(), "0x01");
  EXPECT_EQ(apcb.domains.str(), "0x00-0x01");
}

TEST(Scenario, HostReservedQueueIsRejected) {
  const std::string e = error_of(std::string(kContract) + "[host]\napmask = \"0x00\"\naqmask = \"0x00-0x0f\"\n");
  EXPECT_NE(e.find("reserve for host drivers (-EADDRNOTAVAIL)"), std::string::npos) << e;
}

TEST(Scenario, OperationNoCardSupportsIsRejected) {
  const std::string text = R"(
[run]
horizon = "10s"
[[cards]]
ids = "0x00"
type = "CEX8A"
domains = "0x00"
[[guests]]
name = "pay"
adapters = "0x00"
domains = "0x00"
op = "seckey_high"
arrival = { process = "poisson", rate = "1/s" }
)";
  EXPECT_EQ(error_of(text), "inline.toml:9:8: error: guest 'pay' sends seckey_high but none of its adapters 0x00 "
                            "supports it");
}

TEST(Scenario, WarmupMustEndBeforeHorizon) {
  EXPECT_NE(error_of(contract_with("warmup = \"100s\"", "warmup = \"2000s\"")).find("inline.toml:4:"),
            std::string::npos);
}

TEST(Scenario, MalformedTomlIsLocated) {
  const std::string e = error_of(contract_with("seed = 1", "seed = = 1"));
  EXPECT_EQ(e.rfind("inline.toml:5:", 0), 0u) << e;
}

TEST(Scenario, OverridesApplyAfterLoadingAndNameTheFlag) {
  const Scenario s = scenario_from(kContract, {{"guests.0.arrival.rate", "\"5/s\""}, {"run.seed", "9"}});
  EXPECT_DOUBLE_EQ(s.guests[0].arrival->mean_rate(), 5);
  EXPECT_EQ(s.run.seed, 9u);
  const std::string bare = error_of(kContract, {{"run.horizon", "30parsec"}});
  EXPECT_NE(bare.find("30parsec"), std::string::npos) << bare;
  EXPECT_NE(bare.find("--set run.horizon"), std::string::npos) << bare;
  EXPECT_EQ(error_of(kContract, {{"guests.3.name", "x"}}),
            "--set guests.3.name=x: error: guests: index 3 is past the end of an array of 1");
}

class ScenarioFiles : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("apqsim-scenario-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "parts");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string error_of_file(const std::string& name) {
    try {
      load_scenario(dir_ / name);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  std::filesystem::path dir_;
};

TEST_F(ScenarioFiles, IncludesMergeAndTheIncludingFileWins) {
  write("parts/platform.toml", R"([run]
horizon = "50s"
seed = 4
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x03"
)");
  const auto main = write("main.toml", R"(include = "parts/platform.toml"
[run]
horizon = "10s"
[[guests]]
name = "web"
adapters = "0x00-0x01"
domains = "0x00-0x03"
arrival = { process = "poisson", rate = "1k/s" }
)");
  const Scenario s = load_scenario(main);
  EXPECT_DOUBLE_EQ(s.run.horizon, 10); // overridden
  EXPECT_EQ(s.run.seed, 4u);           // inherited
  EXPECT_EQ(s.cards.size(), 2u);
  const Apcb apcb = filter_matrix(s.mdevs[0], HostConfig(s));
  EXPECT_EQ(apcb.queue_count(), 8u);
}

TEST_F(ScenarioFiles, ErrorsInAnIncludedFileNameThatFile) {
  write("parts/bad.toml", "[[cards]]\nids = \"0x00\"\ntype = \"CEX9A\"\ndomains = \"0x00\"\n");
  const auto main = write("main.toml", std::string("include = \"parts/bad.toml\"\n") +
                                           "[run]\nhorizon = \"1s\"\n[[guests]]\nname = \"g\"\nadapters = 0\n"
                                           "domains = 0\narrival = { process = \"poisson\", rate = \"1/s\" }\n");
  try {
    load_scenario(main);
    FAIL();
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.toml:3:8: error:"), std::string::npos) << what;
    EXPECT_NE(what.find("CEX9A"), std::string::npos) << what;
    EXPECT_NE(what.find("CEX8A"), std::string::npos) << what; // the valid names are listed
  }
}

TEST_F(ScenarioFiles, IncludeCycleAndMissingFileAreReported) {
  write("a.toml", "include = \"b.toml\"\n");
  write("b.toml", "include = \"a.toml\"\n");
  try {
    load_scenario(dir_ / "a.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("b.toml:1:11: error: include cycle"), std::string::npos) << e.what();
  }
  write("c.toml", "include = \"nowhere.toml\"\n");
  try {
    load_scenario(dir_ / "c.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("c.toml:1:11: error: cannot read scenario file"), std::string::npos)
        << e.what();
  }
}

TEST_F(ScenarioFiles, IncludesOfDirectoriesDevicesAndLargeFilesAreRefusedAtTheInclude) {
  write("dir.toml", "include = \"parts\"\n");
  EXPECT_NE(error_of_file("dir.toml")
                .find("dir.toml:1:11: error: cannot read scenario file " + (dir_ / "parts").string() +
                      ": it is a directory, not a file"),
            std::string::npos)
      << error_of_file("dir.toml");
  write("zero.toml", "include = \"/dev/zero\"\n");
  EXPECT_NE(error_of_file("zero.toml")
                .find("zero.toml:1:11: error: cannot read scenario file /dev/zero: it is not a "
                      "regular file"),
            std::string::npos);
  write("parts/big.toml", std::string(200, '#') + "\n");
  write("big.toml", "include = \"parts/big.toml\"\n[limits]\ninclude_bytes = 100\n");
  EXPECT_NE(error_of_file("big.toml")
                .find("big.toml:1:11: error: cannot read scenario file " + (dir_ / "parts/big.toml").string() +
                      ": it has 201 bytes, more than the limit of 100 ([limits] include_bytes)"),
            std::string::npos)
      << error_of_file("big.toml");
}

TEST(Scenario, AnUnknownKeyIsReportedBeforeTheMissingKeyItHides) {
  EXPECT_EQ(error_of(contract_with("horizon = \"2000s\"", "horizn = \"2000s\"")),
            "inline.toml:3:1: error: unknown key 'horizn' in run; did you mean 'horizon'?");
  EXPECT_EQ(error_of(contract_with("name = \"g0\"", "nmae = \"g0\"")),
            "inline.toml:14:1: error: unknown key 'nmae' in guests[0]; did you mean 'name'?");
  // Nothing near: the missing key is the message, at the table.
  EXPECT_EQ(error_of(contract_with("horizon = \"2000s\"", "length = \"2000s\"")),
            "inline.toml:2:1: error: run: missing required key 'horizon'");
}

TEST(Scenario, EmptyIdListsAndRunawayValuesAreRefused) {
  EXPECT_EQ(error_of(contract_with("ids = \"0x00\"", "ids = \"\"")),
            "inline.toml:7:7: error: cards[0].ids: no ids: give at least one, like \"0x00\" or \"0x00-0x0f\"");
  EXPECT_EQ(error_of(contract_with("delay = \"0s\"", "delay = \"1e300h\"")),
            "inline.toml:18:44: error: guests[0].completion.delay: the completion delay 3.6e+303s is not shorter than "
            "the horizon 33.3min: no reply would ever be collected");
  const std::string runaway = error_of(contract_with("horizon = \"2000s\"", "horizon = \"1e15s\""));
  EXPECT_EQ(runaway.rfind("inline.toml:3:11: error: run.horizon: the run would offer about 3.2e+15 events", 0), 0u)
      << runaway;
  EXPECT_NE(runaway.find("more than [limits] offered_events = 1e+09"), std::string::npos) << runaway;
  // The same run is fine with a limit raised for it.
  EXPECT_EQ(error_of(contract_with("horizon = \"2000s\"", "horizon = \"1e8s\"") + "[limits]\noffered_events = 1e9\n"),
            "no error");
}

const char* const kTemplate = R"([run]
horizon = "2s"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x0f"
[[mdevs]]
name = "m-{i}"
count = 4
adapters = "0x00-0x01"
domains = "{2*i+8}-{2*i+9}"
[[guests]]
name = "vm-{i}"
count = 4
adapters = "0x00-0x01"
domains = "{2*i}-{2*i+1}"
arrival = { process = "poisson", rate = "1k/s" }
[[guests]]
name = "db-{i}"
count = 4
mdev = "m-{i}"
arrival = { process = "poisson", rate = "500/s" }
[[reconfig.timeline]]
at = "1s"
op = "vfio_reset"
mdev = "m-3"
)";

TEST(Scenario, TemplatesMakeManyGuestsAndMdevs) {
  const Scenario s = scenario_from(kTemplate);
  ASSERT_EQ(s.guests.size(), 8u);
  EXPECT_EQ(s.guests[0].name, "vm-0");
  EXPECT_EQ(s.guests[3].name, "vm-3");
  EXPECT_EQ(s.mdevs[s.guests[3].mdev].domains.str(), "0x06-0x07");
  EXPECT_EQ(s.guests[7].name, "db-3");
  EXPECT_EQ(s.mdevs[s.guests[7].mdev].name, "m-3");
  EXPECT_EQ(s.mdevs[s.guests[7].mdev].domains.str(), "0x0e-0x0f");
  EXPECT_EQ(s.control.timeline[0].action.mdev, s.find_mdev("m-3"));
  // The count is a key like any other: overrides (and so sweeps) vary it.
  EXPECT_EQ(scenario_from(kTemplate, {{"guests.0.count", "2"}}).guests.size(), 6u);
}

TEST(Scenario, TemplateMistakesNameTheInstance) {
  std::string text = kTemplate;
  text.replace(text.find("\"{2*i}-{2*i+1}\""), 15, "\"{100*i}\"");
  EXPECT_EQ(error_of(text),
            "inline.toml:16:11: error: guests[0]{i=3}.domains: id 300 in \"300\" is out of range: ids are 0x00-0xff");
  text = kTemplate;
  text.replace(text.find("name = \"vm-{i}\""), 15, "name = \"vm\"");
  EXPECT_EQ(error_of(text), "inline.toml:13:8: error: guests[0].name: a template with count = 4 needs {i} in its "
                            "name, e.g. \"vm-{i}\" (instances are numbered from 0)");
}

TEST(Scenario, OverridesAddressArrayElementsByName) {
  const Scenario s =
      scenario_from(kTemplate, {{"guests.vm-{i}.arrival.rate", "\"2k/s\""}, {"reconfig.timeline.0.at", "\"1.5s\""}});
  EXPECT_DOUBLE_EQ(s.guests[2].arrival->mean_rate(), 2000);
  EXPECT_DOUBLE_EQ(s.control.timeline[0].at, 1.5);
  EXPECT_DOUBLE_EQ(scenario_from(kContract, {{"guests.g0.arrival.rate", "\"5/s\""}}).guests[0].arrival->mean_rate(), 5);
  EXPECT_EQ(error_of(kContract, {{"guests.g1.arrival.rate", "\"5/s\""}}),
            "--set guests.g1.arrival.rate=\"5/s\": error: guests: no element named 'g1'; did you mean 'g0'? names: g0");
  EXPECT_EQ(error_of(kTemplate, {{"guests.vm-3.arrival.rate", "\"5/s\""}}),
            "--set guests.vm-3.arrival.rate=\"5/s\": error: guests: no element named 'vm-3'; 'vm-{i}' is a template: a "
            "path through it sets every instance; names: vm-{i}, db-{i}");
  EXPECT_EQ(error_of(kContract, {{"run.horizn", "\"5s\""}}),
            "--set run.horizn=\"5s\": error: unknown key 'horizn' in run; did you mean 'horizon'? valid keys: "
            "confidence, expect, horizon, max_replications, min_replications, replications, seed, series_window, "
            "strategy, target_metric, target_relative_error, warmup");
}

TEST(Scenario, OverridesFromAnExperimentFileAreLocatedWhereWritten) {
  // A value of [sweep] on line 7, column 12 of sweep.toml, and its factor path on line 6, column 8.
  toml::source_region value, path;
  value.path = path.path = std::make_shared<const std::string>("sweep.toml");
  value.begin = {7, 12};
  path.begin = {6, 8};
  EXPECT_EQ(
      error_of(kContract, {ConfigOverride{"guests.0.arrival.rate", "\"5k\"", path, value}}),
      "sweep.toml:7:12: error: guests[0].arrival.rate: bad rate \"5k\": expected a number, an optional k, M or G, "
      "'/' and a time unit (ns, us, ms, s, min, h), like \"20k/s\" or \"1/min\"");
  EXPECT_EQ(error_of(kContract, {ConfigOverride{"run.horizn", "\"5s\"", path, value}})
                .rfind("sweep.toml:6:8: error: unknown key 'horizn' in run; did you mean 'horizon'?", 0),
            0u);
}

TEST(Scenario, LimitsAreReadAndChecked) {
  const Scenario s = scenario_from(std::string(kContract) + "[limits]\nin_flight = 1000\nadmin_rate = \"5/s\"\n");
  EXPECT_EQ(s.limits.in_flight, 1000u);
  EXPECT_DOUBLE_EQ(s.limits.admin_rate, 5);
  EXPECT_EQ(scenario_from(kContract).limits.replications, 1000);
  EXPECT_EQ(error_of(std::string(kContract) + "[limits]\nin_fligt = 1000\n"),
            "inline.toml:20:1: error: unknown key 'in_fligt' in limits; did you mean 'in_flight'? valid keys: "
            "admin_actors, admin_rate, in_flight, include_bytes, offered_events, replications, template_count");
}

} // namespace
} // namespace apq
