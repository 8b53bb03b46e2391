// apqsim explore as a user meets it: exit codes, messages, the JSON, and every reproducer it emits replayed by
// `apqsim run` to the same outcome.

#include "cli_support.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

using apq::test::apqsim;
using apq::test::Outcome;

Json read_json(const fs::path& file) {
  std::ifstream in(file);
  return Json::parse(in);
}

class ExploreCli : public apq::test::TempDirTest {
protected:
  /** Replays every reproducer in `repro` with apqsim run; each must follow its schedule to its class. */
  void replay_all(const fs::path& repro, std::size_t expected_files) {
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(repro)) {
      ++files;
      SCOPED_TRACE(entry.path().filename().string());
      const fs::path json = dir_ / (entry.path().stem().string() + ".json");
      const Outcome run = apqsim("run " + entry.path().string() + " -q --json " + json.string());
      EXPECT_EQ(run.code, 0) << run.out;
      const Json replay = read_json(json)["control"]["replay"];
      EXPECT_TRUE(replay["reproduced"].get<bool>()) << replay.dump(2);
      EXPECT_EQ(replay["followed"], replay["points"]);
      EXPECT_EQ(replay["expected"], replay["reached"]);
      EXPECT_EQ(replay["divergence"], "");
    }
    EXPECT_EQ(files, expected_files);
  }
};

TEST_F(ExploreCli, EveryReproducerOfTheSeedRaceReplaysToItsOutcome) {
  const fs::path repro = dir_ / "repro";
  const Outcome r = apqsim("explore configs/explore/abba-stolen.toml -q --emit " + repro.string() + " --json " +
                           (dir_ / "explore.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const Json json = read_json(dir_ / "explore.json");
  std::size_t classes = 0;
  for (const Json& s : json["strategies"])
    for (const Json& o : s["outcomes"]) {
      ++classes;
      EXPECT_TRUE(fs::exists(o["reproducer"].get<std::string>())) << o.dump();
    }
  EXPECT_GE(classes, 14u);
  replay_all(repro, classes);
}

TEST_F(ExploreCli, EveryReproducerOfTheFourWayRaceReplaysToItsOutcome) {
  const fs::path repro = dir_ / "repro";
  const Outcome r = apqsim("explore configs/explore/four-way-race.toml -q --strategy v12-trylock --strategy "
                           "linux-6.13 --emit " +
                           repro.string() + " --json " + (dir_ / "explore.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::size_t classes = 0;
  const Json json = read_json(dir_ / "explore.json");
  for (const Json& s : json["strategies"])
    classes += s["outcomes"].size();
  replay_all(repro, classes);
}

TEST_F(ExploreCli, AReproducerThatNoLongerFitsIsNotReproducedAndExitsOne) {
  const fs::path repro = dir_ / "repro";
  ASSERT_EQ(apqsim("explore configs/explore/abba-stolen.toml -q --strategy naive-mutex --emit " + repro.string()).code,
            0);
  // The deadlock's schedule with points 3 and 4 swapped: the mask store's in_use now takes matrix first, and the
  // assign then waits for matrix instead of going on to ask for ap_perms, as point 5 says it does.
  std::ifstream in(repro / "naive-mutex-3.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  const std::string p3 =
      "{ at = 'naive-mutex.toml:172:3', in = 'assign_adapter', op = 'admin-assign', step = 'lock matrix' }";
  const std::string p4 = "{ at = 'naive-mutex.toml:159:3', in = 'in_use', op = 'admin-apmask', step = 'lock matrix' }";
  const auto a = toml.find(p3);
  ASSERT_NE(a, std::string::npos) << toml;
  toml.replace(a, p3.size(), p4);
  const auto b = toml.find(p4, a + p4.size());
  ASSERT_NE(b, std::string::npos) << toml;
  toml.replace(b, p4.size(), p3);
  std::ofstream(dir_ / "swapped.toml") << toml;
  const Outcome r = apqsim("run " + (dir_ / "swapped.toml").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("NOT REPRODUCED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("did not reproduce the outcome explore found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the run stopped short at point 5 of 5: admin-assign never reached assign_adapter: lock "
                       "ap_perms"),
            std::string::npos)
      << r.out;
}

TEST_F(ExploreCli, ExitsOneWhenAStrategyReachesAViolationNobodyExpects) {
  const Outcome r =
      apqsim("explore configs/explore/abba-stolen.toml --strategy configs/explore/patches/assign-guests-first.toml");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("a schedule reaches lock_order_inversion, deadlock, which is not expected"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("DEADLOCK"), std::string::npos);
  const Outcome ok =
      apqsim("explore configs/explore/abba-stolen.toml -q --strategy configs/explore/patches/in-use-mdevs-only.toml");
  EXPECT_EQ(ok.code, 0) << ok.out;
}

TEST_F(ExploreCli, AnUnknownStrategyIsAUsageErrorNamingTheFlag) {
  const Outcome r = apqsim("explore configs/explore/abba-stolen.toml --strategy linux-9.99");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--strategy linux-9.99"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("linux-6.13"), std::string::npos) << r.out; // the valid names are listed
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
}

TEST_F(ExploreCli, AMistakeInExploreNamesItsFileLineAndColumn) {
  std::ofstream(dir_ / "bad.toml") << "include = \"" << APQSIM_SOURCE_DIR << "/configs/seed/seed-platform.toml\"\n"
                                   << "[[reconfig.timeline]]\nat = \"1s\"\nop = \"apmask_store\"\nmask = \"+0x01\"\n"
                                   << "[explore]\nstrategies = [\"ordered\", \"linux-9.99\"]\n";
  const Outcome r = apqsim("explore " + (dir_ / "bad.toml").string() + " --json " + (dir_ / "x.json").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("bad.toml:7:26"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
  std::ofstream(dir_ / "typo.toml") << "include = \"" << APQSIM_SOURCE_DIR << "/configs/seed/seed-platform.toml\"\n"
                                    << "[[reconfig.timeline]]\nat = \"1s\"\nop = \"apmask_store\"\nmask = \"+0x01\"\n"
                                    << "[explore]\npreemption = 2\n";
  const Outcome typo = apqsim("explore " + (dir_ / "typo.toml").string());
  EXPECT_EQ(typo.code, 2) << typo.out;
  EXPECT_NE(typo.out.find("typo.toml:7:1"), std::string::npos) << typo.out;
}

TEST_F(ExploreCli, RandomAdminsCannotBeExploredAndTheMessageSaysWhy) {
  const Outcome r = apqsim("explore configs/seed/random-storm.toml");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("random admin has no fixed set"), std::string::npos) << r.out;
}

TEST_F(ExploreCli, BoundsAreReportedAsBounded) {
  const Outcome r = apqsim("explore configs/explore/abba-stolen.toml --strategy naive-mutex --preemptions 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("BOUNDED: at most 1 preemptions per schedule"), std::string::npos) << r.out;
  const Outcome budget =
      apqsim("explore configs/explore/abba-stolen.toml --strategy v12-trylock --max-schedules 100 --json " +
             (dir_ / "b.json").string());
  EXPECT_EQ(budget.code, 0) << budget.out;
  const Json json = read_json(dir_ / "b.json");
  EXPECT_FALSE(json["strategies"][0]["exhaustive"].get<bool>());
  EXPECT_EQ(json["limits"]["max_schedules"], 100);
}

} // namespace
