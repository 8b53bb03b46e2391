// The scheduler's contract: events run at their dates, equal dates in scheduling order, nothing past the horizon.

#include "sim/event_scheduler.hpp"
#include "sim/platform.hpp"

#include <gtest/gtest.h>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

namespace apq {
namespace {

namespace sg4 = simgrid::s4u;

struct Fired {
  int id;
  double at;
};

TEST(EventScheduler, EqualDatesRunInSchedulingOrder) {
  sg4::Engine engine("scheduler_test");
  build_platform();
  EventScheduler scheduler(100);
  std::vector<Fired> fired;
  auto record = [&](int id) { return [&fired, &scheduler, id] { fired.push_back({id, scheduler.now()}); }; };
  // SimGrid alone fires six timers at t=8 as 2,4,5,3,0,1 (sim/README.md); we must give 0..5.
  for (int id = 0; id < 6; ++id)
    scheduler.at(8, record(id));
  scheduler.at(5, record(10));
  scheduler.at(3, record(11));
  engine.run();
  ASSERT_EQ(fired.size(), 8u);
  EXPECT_EQ(fired[0].id, 11);
  EXPECT_DOUBLE_EQ(fired[0].at, 3);
  EXPECT_EQ(fired[1].id, 10);
  EXPECT_DOUBLE_EQ(fired[1].at, 5);
  for (int id = 0; id < 6; ++id) {
    EXPECT_EQ(fired[2 + id].id, id);
    EXPECT_DOUBLE_EQ(fired[2 + id].at, 8);
  }
  EXPECT_EQ(scheduler.events_run(), 8u);
}

TEST(EventScheduler, EventsScheduledWhileRunningAtTheSameDateRunAfterTheOthers) {
  sg4::Engine engine("scheduler_test");
  build_platform();
  EventScheduler scheduler(100);
  std::vector<std::string> order;
  scheduler.at(2, [&] {
    order.push_back("a");
    scheduler.at(2, [&] { order.push_back("c"); });    // same date: after b
    scheduler.after(0, [&] { order.push_back("d"); }); // also now: after c
    scheduler.at(1, [&] { order.push_back("e"); });    // in the past: now, after d
  });
  scheduler.at(2, [&] { order.push_back("b"); });
  double f_at = 0;
  scheduler.at(4, [&] {
    order.push_back("f");
    f_at = scheduler.now();
  });
  engine.run();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_DOUBLE_EQ(f_at, 4);
}

TEST(EventScheduler, EventsPastTheHorizonAreDropped) {
  sg4::Engine engine("scheduler_test");
  build_platform();
  EventScheduler scheduler(10);
  int ran = 0;
  scheduler.at(9.5, [&] { ++ran; });
  scheduler.at(10, [&] { ran += 10; }); // the run covers [0, horizon)
  scheduler.at(10.5, [&] { ran += 100; });
  scheduler.at(3, [&] { scheduler.after(8, [&] { ran += 1000; }); });
  engine.run();
  EXPECT_EQ(ran, 1);
  // Without actors the last events ran ahead of SimGrid's clock, which never went past the horizon.
  EXPECT_LE(sg4::Engine::get_clock(), 9.5);
}

TEST(EventScheduler, ActorsAndEventsShareOneTimeline) {
  sg4::Engine engine("scheduler_test");
  sg4::Host* host = build_platform();
  EventScheduler scheduler(100);
  std::vector<std::pair<std::string, double>> log;
  scheduler.at(1, [&] { log.emplace_back("event@1", scheduler.now()); });
  sg4::Actor::create("admin", host, [&] {
    sg4::this_actor::sleep_for(2);
    // An actor schedules an event earlier than the one already armed (t=5): the scheduler re-arms.
    scheduler.at(3, [&] { log.emplace_back("from-actor@3", scheduler.now()); });
    sg4::this_actor::sleep_for(2);
    log.emplace_back("actor@4", sg4::Engine::get_clock());
  });
  scheduler.at(5, [&] { log.emplace_back("event@5", scheduler.now()); });
  engine.run();
  const std::vector<std::pair<std::string, double>> expected{
      {"event@1", 1}, {"from-actor@3", 3}, {"actor@4", 4}, {"event@5", 5}};
  EXPECT_EQ(log, expected);
}

} // namespace
} // namespace apq

namespace apq {
namespace {

// Exclusive mode runs later events inside one SimGrid round, but the order and the dates events see are those of
// the normal mode, and a kernel timer of someone else still fires between them at its date.
TEST(EventScheduler, ExclusiveModeKeepsOrderDatesAndOtherTimers) {
  sg4::Engine engine("scheduler_test");
  build_platform();
  EventScheduler scheduler(100);
  scheduler.set_exclusive(true);
  std::vector<std::pair<std::string, double>> log;
  auto record = [&](std::string name) { return [&log, &scheduler, name] { log.emplace_back(name, scheduler.now()); }; };
  scheduler.at(1, record("e1"));
  scheduler.at(3, record("e3a"));
  scheduler.at(2, [&] {
    log.emplace_back("e2", scheduler.now());
    scheduler.at(3, record("e3b")); // same date as e3a, scheduled later: runs after it
  });
  simgrid::kernel::timer::Timer::set(2.5, [&] { log.emplace_back("timer", sg4::Engine::get_clock()); });
  engine.run();
  const std::vector<std::pair<std::string, double>> expected{
      {"e1", 1}, {"e2", 2}, {"timer", 2.5}, {"e3a", 3}, {"e3b", 3}};
  EXPECT_EQ(log, expected);
  EXPECT_EQ(scheduler.events_run(), 4u);
}

TEST(EventScheduler, ExclusiveModeRefusesActors) {
  sg4::Engine engine("scheduler_test");
  sg4::Host* host = build_platform();
  EventScheduler scheduler(100);
  scheduler.set_exclusive(true);
  scheduler.at(1, [host] { sg4::Actor::create("intruder", host, [] {}); });
  EXPECT_THROW(engine.run(), std::logic_error);
}

} // namespace
} // namespace apq

namespace apq {
namespace {

// Actors that tell their sleeps let the scheduler run the events before the earliest wake-up in one SimGrid round
// (ahead of SimGrid's clock), yet everyone sees the order and dates of one round per date.
TEST(EventScheduler, RunsAheadUpToTheEarliestToldWakeUp) {
  sg4::Engine engine("scheduler_test");
  sg4::Host* host = build_platform();
  EventScheduler scheduler(100);
  std::vector<std::pair<std::string, double>> log;
  int ahead = 0; // events that ran while SimGrid's clock was still behind their date
  for (int t = 1; t <= 10; ++t)
    scheduler.at(t, [&, t] {
      log.emplace_back("e" + std::to_string(t), scheduler.now());
      ahead += sg4::Engine::get_clock() < scheduler.now() ? 1 : 0;
    });
  sg4::Actor::create("admin", host, [&] {
    scheduler.actor_sleeps_until(10);
    sg4::this_actor::sleep_until(10);
    scheduler.actor_woke(10);
    // An actor wakes after the events of its date (timers fire before the round's woken actors run).
    log.emplace_back("actor", sg4::Engine::get_clock());
    scheduler.at(10, [&] { log.emplace_back("from-actor", scheduler.now()); });
  });
  engine.run();
  const std::vector<std::pair<std::string, double>> expected{{"e1", 1}, {"e2", 2},   {"e3", 3},     {"e4", 4},
                                                             {"e5", 5}, {"e6", 6},   {"e7", 7},     {"e8", 8},
                                                             {"e9", 9}, {"e10", 10}, {"actor", 10}, {"from-actor", 10}};
  EXPECT_EQ(log, expected);
  EXPECT_GT(ahead, 0);
}

// An event ahead of SimGrid's clock that starts an actor (through in_engine): the actor starts at the event's date
// with SimGrid's clock there, after the other events of that date and before later ones.
TEST(EventScheduler, InEngineWorkWaitsForItsDate) {
  sg4::Engine engine("scheduler_test");
  sg4::Host* host = build_platform();
  EventScheduler scheduler(100);
  std::vector<std::pair<std::string, double>> log;
  sg4::Actor::create("sleeper", host, [&] {
    scheduler.actor_sleeps_until(50);
    sg4::this_actor::sleep_until(50);
    scheduler.actor_woke(50);
  });
  bool e3_ahead = false;
  scheduler.at(2, [&] { log.emplace_back("e2", scheduler.now()); });
  scheduler.at(3, [&] {
    log.emplace_back("e3", scheduler.now());
    e3_ahead = sg4::Engine::get_clock() < 3; // it ran in the round at 2
    scheduler.in_engine([&, host] {
      sg4::Actor::create("started", host, [&] { log.emplace_back("started", sg4::Engine::get_clock()); });
    });
    scheduler.at(3, [&] { log.emplace_back("e3-later", scheduler.now()); });
  });
  scheduler.at(4, [&] { log.emplace_back("e4", scheduler.now()); });
  engine.run();
  const std::vector<std::pair<std::string, double>> expected{
      {"e2", 2}, {"e3", 3}, {"e3-later", 3}, {"started", 3}, {"e4", 4}};
  EXPECT_EQ(log, expected);
  EXPECT_TRUE(e3_ahead);
}

} // namespace
} // namespace apq
