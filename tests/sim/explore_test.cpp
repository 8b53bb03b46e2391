// apqsim explore without SimGrid: the outcome classes of the seed races, their counts against hand-counted
// interleavings, shortest witnesses step by step, bounds, timed exploration, a user's strategy with an injected
// ordering bug and a correct one. (Reproducers replayed by `apqsim run`: tests/cli/explore_cli_test.cpp.)

#include "sim/explore/abstract_data_plane.hpp"
#include "sim/explore/explorer.hpp"
#include "sim/explore/state_codec.hpp"
#include "sim/explore/study.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace apq {
namespace {

const std::string kAbba = "configs/explore/abba-stolen.toml";

Scenario scenario_under(const std::string& file, const std::string& strategy) {
  return load_scenario(test::source_dir() + "/" + file, {{"run.strategy", "\"" + strategy + "\""}});
}

const OutcomeClass* find_class(const ExploreResult& r, const std::string& violation) {
  for (const OutcomeClass& c : r.classes)
    if (std::find(c.outcome.violations.begin(), c.outcome.violations.end(), violation) != c.outcome.violations.end())
      return &c;
  return nullptr;
}

std::vector<std::string> steps_of(const std::vector<WitnessStep>& witness) {
  std::vector<std::string> out;
  for (const WitnessStep& w : witness)
    out.push_back(w.agent + " | " + w.op + " | " + w.step);
  return out;
}

// naive-mutex: apmask_store takes ap_perms (P1), parses (P2), then in_use asks for matrix (P3); assign_adapter takes
// matrix (A1), then asks for ap_perms (A2). The deadlock needs P1 before A2 and A1 before P3: of the C(5,2) = 10
// interleavings of P1P2P3 with A1A2, only A1A2P1P2P3 and P1P2P3A1A2 break that, so 8 schedules deadlock. They form 2
// classes of equivalent schedules: which of the two waits closes the cycle (P3 and A2 do not commute: the deadlock
// monitor records the cycle from the wait that closes it). The shortest witness is 5 steps.
TEST(Explore, FindsTheAbbaDeadlockUnderNaiveMutexWithItsCycleAndAFiveStepWitness) {
  const Scenario scenario = scenario_under(kAbba, "naive-mutex");
  Explorer explorer(scenario, *scenario.control.strategy);
  const ExploreResult r = explorer.run();
  EXPECT_TRUE(r.exhaustive);
  const OutcomeClass* deadlock = find_class(r, kDeadlock);
  ASSERT_NE(deadlock, nullptr);
  EXPECT_EQ(deadlock->schedules, 8);
  EXPECT_EQ(deadlock->reduced, 2);
  ASSERT_EQ(deadlock->outcome.deadlocks.size(), 1u);
  EXPECT_EQ(deadlock->outcome.deadlocks[0], "admin-apmask (in_use) holds ap_perms, wants matrix; admin-assign "
                                            "(assign_adapter) holds matrix, wants ap_perms");
  EXPECT_EQ(deadlock->outcome.headline(), "admin-apmask hung, admin-assign hung; DEADLOCK, LOCK-ORDER INVERSION");
  const std::vector<WitnessStep> witness = explorer.narrate(deadlock->witness);
  EXPECT_EQ(steps_of(witness), (std::vector<std::string>{
                                   "admin-apmask | apmask_store | lock ap_perms",
                                   "admin-apmask | apmask_store | effect parse_mask",
                                   "admin-assign | assign_adapter | lock matrix",
                                   "admin-apmask | in_use | lock matrix",
                                   "admin-assign | assign_adapter | lock ap_perms",
                               }));
  EXPECT_EQ(witness[3].result, "waits");
  EXPECT_NE(witness[4].result.find("deadlock: "), std::string::npos) << witness[4].result;
  EXPECT_TRUE(witness[2].where.ends_with("naive-mutex.toml:172:3")) << witness[2].where;
  EXPECT_EQ(explorer.last_outcome().key, deadlock->outcome.key);
  // Every class's counts: the reduction never loses a class, and never counts more than the schedules.
  for (const OutcomeClass& c : r.classes) {
    EXPECT_GE(c.reduced, 1);
    EXPECT_LE(c.reduced, c.schedules);
  }
}

// v12-trylock: in_use trylocks matrix, finds adapter 0x01 unassigned and unlocks; assign_adapter gets matrix and
// assigns queues still bound to vfio_ap; the reprobe then unbinds them from vfio_ap: stolen.
TEST(Explore, FindsTheStolenQueueUnderV12WithAssignBetweenInUseAndTheReprobe) {
  const Scenario scenario = scenario_under(kAbba, "v12-trylock");
  Explorer explorer(scenario, *scenario.control.strategy);
  const ExploreResult r = explorer.run();
  EXPECT_TRUE(r.exhaustive);
  const OutcomeClass* stolen = find_class(r, kStolenQueue);
  ASSERT_NE(stolen, nullptr);
  EXPECT_EQ(stolen->outcome.final_state.drivers.at("01.0000"), "cex4queue");
  EXPECT_EQ(stolen->outcome.final_state.assigned.at("web"), "0x00-0x01 x 0x00-0x03");
  const std::vector<std::string> steps = steps_of(explorer.narrate(stolen->witness));
  auto at = [&](const std::string& step) { return std::find(steps.begin(), steps.end(), step) - steps.begin(); };
  const auto in_use_unlock = at("admin-apmask | in_use | unlock matrix");
  const auto assign = at("admin-assign | assign_adapter | effect assign");
  const auto unbind = at("admin-apmask | device_release | effect unbind_driver");
  ASSERT_LT(unbind, static_cast<long>(steps.size()));
  EXPECT_LT(in_use_unlock, assign);
  EXPECT_LT(assign, unbind);
  EXPECT_EQ(find_class(r, kDeadlock), nullptr);
}

TEST(Explore, ProvesOrderedAndMainlineFreeOfBothOverEverySchedule) {
  for (const std::string strategy : {"ordered", "linux-6.1", "linux-6.13"}) {
    SCOPED_TRACE(strategy);
    const Scenario scenario = scenario_under(kAbba, strategy);
    const ExploreResult r = Explorer(scenario, *scenario.control.strategy).run();
    EXPECT_TRUE(r.exhaustive);
    EXPECT_TRUE(r.bound.empty());
    std::vector<std::string> headlines;
    for (const OutcomeClass& c : r.classes) {
      EXPECT_TRUE(c.outcome.violations.empty()) << c.outcome.headline();
      headlines.push_back(c.outcome.headline());
    }
    // Either the mask store commits first and the assign finds the adapter reserved, or the assign goes first and
    // in_use finds the adapter assigned.
    std::sort(headlines.begin(), headlines.end());
    EXPECT_EQ(headlines, (std::vector<std::string>{"admin-apmask EBUSY, admin-assign ok",
                                                   "admin-apmask ok, admin-assign EADDRNOTAVAIL"}));
    EXPECT_GT(r.schedules, r.reduced);
  }
}

TEST(Explore, APreemptionBoundOfZeroMissesTheDeadlockAndOneFindsIt) {
  const Scenario scenario = scenario_under(kAbba, "naive-mutex");
  ExploreOptions none;
  none.preemptions = 0;
  const ExploreResult r0 = Explorer(scenario, *scenario.control.strategy, none).run();
  EXPECT_FALSE(r0.exhaustive);
  EXPECT_EQ(r0.bound, "at most 0 preemptions per schedule");
  EXPECT_EQ(find_class(r0, kDeadlock), nullptr);
  // Without preemption each operation runs until it ends or blocks: apmask first or assign first.
  EXPECT_EQ(r0.schedules, 2);
  ExploreOptions one;
  one.preemptions = 1;
  const ExploreResult r1 = Explorer(scenario, *scenario.control.strategy, one).run();
  EXPECT_NE(find_class(r1, kDeadlock), nullptr);
}

TEST(Explore, AScheduleBudgetStopsTheSearchAndSaysSo) {
  const Scenario scenario = scenario_under(kAbba, "v12-trylock");
  ExploreOptions options;
  options.max_schedules = 1000;
  const ExploreResult r = Explorer(scenario, *scenario.control.strategy, options).run();
  EXPECT_FALSE(r.exhaustive);
  EXPECT_NE(r.bound.find("--max-schedules 1000"), std::string::npos) << r.bound;
  EXPECT_GE(r.schedules, 1000);
  EXPECT_LT(r.schedules, 254222637); // the exhaustive count
}

// With their start times and mean durations the seed's scripted timelines have one interleaving each (no two steps
// at the same instant): the scripted deadlock and the scripted stolen queue.
TEST(Explore, RespectingTimesReproducesTheScriptedSeedTimelines) {
  ExploreOptions timed;
  timed.respect_times = true;
  const Scenario abba = load_scenario(test::source_dir() + "/configs/seed/abba-deadlock.toml");
  const ExploreResult r = Explorer(abba, *abba.control.strategy, timed).run();
  ASSERT_EQ(r.classes.size(), 1u);
  EXPECT_EQ(r.schedules, 1);
  EXPECT_EQ(r.classes[0].outcome.violations, (std::vector<std::string>{kDeadlock, kInversion}));
  const Scenario stolen = load_scenario(test::source_dir() + "/configs/seed/v12-stolen-queue.toml");
  const ExploreResult s = Explorer(stolen, *stolen.control.strategy, timed).run();
  ASSERT_EQ(s.classes.size(), 1u);
  EXPECT_EQ(s.classes[0].outcome.violations, (std::vector<std::string>{kStolenQueue}));
}

TEST(Explore, FindsAnInjectedOrderingBugInAUserStrategyWithAWitnessInItsOwnWords) {
  ExploreRequest request;
  request.file = test::source_dir() + "/" + kAbba;
  request.strategies = {test::source_dir() + "/configs/explore/patches/assign-guests-first.toml"};
  const ExploreStudy study = run_explore(request);
  ASSERT_EQ(study.strategies.size(), 1u);
  const StrategyExploration& run = study.strategies[0];
  EXPECT_TRUE(run.result.exhaustive);
  EXPECT_EQ(run.unexpected, (std::vector<std::string>{kInversion, kDeadlock}));
  EXPECT_TRUE(study.unexpected());
  const auto deadlock = std::find_if(run.result.classes.begin(), run.result.classes.end(),
                                     [](const OutcomeClass& c) { return !c.outcome.deadlocks.empty(); });
  ASSERT_NE(deadlock, run.result.classes.end());
  EXPECT_EQ(deadlock->outcome.deadlocks[0], "admin-apmask (in_use) holds ap_perms, wants guests; admin-assign "
                                            "(assign_adapter) holds guests, wants ap_perms");
  const std::vector<WitnessStep>& witness =
      run.witnesses[static_cast<std::size_t>(deadlock - run.result.classes.begin())];
  // The assign's two lock steps are the patch's own lines; the mask store's come from linux-6.13, which it extends.
  const auto guests = std::find_if(witness.begin(), witness.end(), [](const WitnessStep& w) {
    return w.agent == "admin-assign" && w.step == "lock guests";
  });
  ASSERT_NE(guests, witness.end());
  EXPECT_TRUE(guests->where.ends_with("assign-guests-first.toml:13:3")) << guests->where;
  const auto ap_perms = std::find_if(witness.begin(), witness.end(), [](const WitnessStep& w) {
    return w.agent == "admin-assign" && w.step == "lock ap_perms";
  });
  ASSERT_NE(ap_perms, witness.end());
  EXPECT_TRUE(ap_perms->where.ends_with("assign-guests-first.toml:14:3")) << ap_perms->where;
  EXPECT_EQ(witness.size(), 5u);
}

TEST(Explore, ReportsACorrectUserStrategyExhaustiveAndClean) {
  ExploreRequest request;
  request.file = test::source_dir() + "/" + kAbba;
  request.strategies = {test::source_dir() + "/configs/explore/patches/in-use-mdevs-only.toml"};
  const ExploreStudy study = run_explore(request);
  const StrategyExploration& run = study.strategies.at(0);
  EXPECT_TRUE(run.result.exhaustive);
  EXPECT_TRUE(run.unexpected.empty());
  EXPECT_FALSE(study.unexpected());
  for (const OutcomeClass& c : run.result.classes)
    EXPECT_TRUE(c.outcome.violations.empty()) << c.outcome.headline();
  const std::string text = explore_text(study, false);
  EXPECT_NE(text.find("EXHAUSTIVE, every schedule"), std::string::npos);
  EXPECT_NE(text.find("violations reachable: none"), std::string::npos);
}

TEST(Explore, NumbersOutcomeClassesAcrossStrategiesForOneTable) {
  ExploreRequest request;
  request.file = test::source_dir() + "/" + kAbba;
  const ExploreStudy study = run_explore(request); // [explore] strategies: the five built-ins
  ASSERT_EQ(study.strategies.size(), 5u);
  EXPECT_FALSE(study.unexpected()); // [explore.expect] covers naive-mutex's deadlock and v12's stolen queue
  // ordered, linux-6.1 and linux-6.13 end in the same two classes: the same column numbers.
  EXPECT_EQ(study.strategies[2].class_ids.size(), 2u);
  std::vector<int> ordered = study.strategies[2].class_ids, mainline = study.strategies[4].class_ids;
  std::sort(ordered.begin(), ordered.end());
  std::sort(mainline.begin(), mainline.end());
  EXPECT_EQ(ordered, mainline);
  const std::string text = explore_text(study, false);
  EXPECT_NE(text.find("strategies x outcome classes"), std::string::npos);
  const Json json = explore_json(study);
  EXPECT_EQ(json["kind"], "explore");
  EXPECT_EQ(json["strategies"].size(), 5u);
  EXPECT_EQ(json["classes"].size(), study.classes.size());
  EXPECT_EQ(json["strategies"][0]["outcomes"][0]["witness"].size(), study.strategies[0].witnesses[0].size());
  EXPECT_FALSE(json["unexpected_violations"].get<bool>());
}

TEST(Explore, ABeforeOperationRunsToItsEndFirstAndHeadsEveryWitness) {
  ExploreRequest request;
  request.file = test::source_dir() + "/configs/explore/four-way-race.toml";
  request.strategies = {"linux-6.13"};
  const ExploreStudy study = run_explore(request);
  const StrategyExploration& run = study.strategies.at(0);
  EXPECT_TRUE(run.result.exhaustive);
  for (const auto& witness : run.witnesses) {
    ASSERT_FALSE(witness.empty());
    EXPECT_EQ(witness.front().agent, "stop-web");
  }
  // 6.13's vfio_ap_mdev_cfg_remove() locks matrix_mdev->kvm->lock without a NULL check: a card that leaves while the
  // guest is stopped (before it starts again) oopses, and the kernel-bug monitor names the step.
  bool oops = false;
  for (const OutcomeClass& c : run.result.classes)
    if (!c.outcome.kernel_bugs.empty()) {
      oops = true;
      EXPECT_NE(c.outcome.kernel_bugs[0].find("card-leaves (config_changed)"), std::string::npos)
          << c.outcome.kernel_bugs[0];
    }
  EXPECT_TRUE(oops);
  EXPECT_FALSE(study.unexpected()); // [explore.expect] lists the known bug for linux-6.1 and linux-6.13
}

TEST(StateCodec, ASavedStateRestoresToTheSameFingerprint) {
  const Scenario scenario = scenario_under(kAbba, "v12-trylock");
  AbstractDataPlane env;
  ControlInterpreter interpreter(scenario, *scenario.control.strategy, env);
  interpreter.set_step_mode(true);
  NamedStream rng(1, "test");
  OpContext ctx;
  ctx.actor = "a";
  ctx.action = &scenario.control.timeline[0].action;
  ctx.rng = &rng;
  const TaskId task = interpreter.start("apmask_store", ctx, 0);
  auto key = [&] {
    std::string bytes;
    StateCodec::encode(interpreter, {task}, bytes);
    return fingerprint_of(bytes);
  };
  for (int i = 0; i < 6; ++i)
    interpreter.advance(task, 0);
  StateCodec::Snapshot saved;
  StateCodec::save(interpreter, saved);
  const Fingerprint before = key();
  for (int i = 0; i < 20; ++i)
    interpreter.advance(task, 0);
  EXPECT_NE(key(), before);
  StateCodec::restore(interpreter, saved);
  EXPECT_EQ(key(), before);
}

} // namespace
} // namespace apq
