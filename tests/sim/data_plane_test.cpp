// Scripted data-plane scenarios whose every event is computed by hand. Times are whole seconds (exact in binary)
// so that equal dates are really equal; equal dates run in scheduling order.

#include "sim/fork_runner.hpp"
#include "test_support.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <sstream>

namespace apq {
namespace {

using test::run_traced;
using test::scenario_from;

std::string line(const TraceEvent& e) {
  std::ostringstream out;
  out << e.time << " " << trace_kind_name(e.kind) << " g" << e.guest << " r" << e.request;
  return out.str();
}

std::vector<std::string> lines(const std::vector<TraceEvent>& events, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::min(n, events.size()); ++i)
    out.push_back(line(events[i]));
  return out;
}

// One engine, queue depth 2, 3 s per request, one arrival per second: the third request must wait guest-side
// until the first reply is collected (the AP queue holds at most 2), and requests are served in order.
TEST(DataPlane, QueueDepthAndFifoServiceExactTrace) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "10s"
[[cards]]
ids = "0x00"
type = "custom"
engines = 1
queue_depth = 2
domains = "0x00"
service = { dist = "deterministic", value = "3s" }
[[guests]]
name = "g"
adapters = "0x00"
domains = "0x00"
arrival = { process = "periodic", period = "1s" }
completion = { mode = "interrupt", delay = "0s" }
)");
  const auto run = run_traced(s);
  const std::vector<std::string> expected{
      "0 issue g0 r0", "0 send g0 r0",    "0 start g0 r0",                  //
      "1 issue g0 r1", "1 send g0 r1",                                      // the queue is now full (depth 2)
      "2 issue g0 r2",                                                      // waits in the guest's request queue
      "3 done g0 r0",  "3 collect g0 r0", "3 send g0 r2",  "3 start g0 r1", // a slot frees at DQAP
      "3 issue g0 r3", "4 issue g0 r4",   "5 issue g0 r5",                  //
      "6 done g0 r1",  "6 collect g0 r1", "6 send g0 r3",  "6 start g0 r2", "6 issue g0 r6",
  };
  EXPECT_EQ(lines(run.events, expected.size()), expected);
  // Latencies: r0 3 s, r1 5 s, r2 7 s (collected at 9); r3 would finish at 12, after the horizon.
  const GuestResult& g = run.result.guests[0];
  EXPECT_EQ(g.requests.completed, 3u);
  EXPECT_EQ(g.requests.offered, 10u);
  EXPECT_DOUBLE_EQ(g.latency.mean(), 5.0);
  EXPECT_DOUBLE_EQ(g.latency.max(), 7.0);
  EXPECT_DOUBLE_EQ(g.latency.min(), 3.0);
  EXPECT_NEAR(run.result.cards[0].utilization, 1.0, 1e-12); // busy from 0 to the horizon
}

// One engine shared by two guests' queues: the card serves the queues round-robin, whatever their backlog.
TEST(DataPlane, CardServesQueuesRoundRobin) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "60s"
[[cards]]
ids = "0x00"
type = "custom"
engines = 1
domains = "0x00-0x01"
service = { dist = "deterministic", value = "10s" }
[[guests]]
name = "a"
adapters = "0x00"
domains = "0x00"
arrival = { process = "periodic", period = "1s" }
completion = { delay = "0s" }
[[guests]]
name = "b"
adapters = "0x00"
domains = "0x01"
arrival = { process = "periodic", period = "1s", phase = "0.5s" }
completion = { delay = "0s" }
)");
  const auto run = run_traced(s);
  std::vector<std::string> starts;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::start)
      starts.push_back(line(e));
  const std::vector<std::string> expected{"0 start g0 r0",  "10 start g1 r0", "20 start g0 r1",
                                          "30 start g1 r1", "40 start g0 r2", "50 start g1 r2"};
  EXPECT_EQ(starts, expected);
}

// zcrypt's choice (zcrypt_rsa_crt(), zcrypt_api.c): one pass over the cards, lowest speed-rating weight + the
// guest's own load, and the load charged is the weight of the LAST card the loop weighed (`wgt` after the loop):
// here the CEX5A's 458 for every request. RSA-4096 CRT weighs 362 on a CEX8A and 458 on a CEX5A; no request completes
// within the first 9 us (service is 4 x 362 us at least). Loads (8A, 5A) after each pick: (458,0) (458,458)
// (916,458) (916,916) (1374,916) ...: 362 + 458k against 458 + 458k, so the picks alternate. (Charging the chosen
// card's own weight would send the 8th request to the CEX8A again: 1448+362 = 1810 < 1374+458.)
TEST(DataPlane, ZcryptPicksLowestWeightPlusLoad) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "9.5us"
[[cards]]
ids = "0x00"
type = "CEX8A"
domains = "0x00"
[[cards]]
ids = "0x01"
type = "CEX5A"
domains = "0x00"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00"
op = "rsa_crt_4k"
arrival = { process = "periodic", period = "1us" }
)");
  const auto run = run_traced(s);
  std::vector<int> adapters;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::issue)
      adapters.push_back(e.adapter);
  EXPECT_EQ(adapters, (std::vector<int>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
}

// Equal cards, two queues each. zcrypt_card_compare() lets card 0x01 be looked at once its load is lower, but each
// of its queues is then compared with the preferred QUEUE (weight + queue load; ties to the lower request count,
// then the first): the 2nd request goes to 00.0001, whose load (0) ties with 01.0000's, not to card 0x01.
TEST(DataPlane, ZcryptTieBreaksSpreadOverCardsAndQueues) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "6us"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00-0x01"
arrival = { process = "periodic", period = "1us" }
)");
  const auto run = run_traced(s);
  std::vector<std::pair<int, int>> queues;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::issue)
      queues.emplace_back(e.adapter, e.domain);
  const std::vector<std::pair<int, int>> expected{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 0}, {0, 1}};
  EXPECT_EQ(queues, expected);
}

// Polling: replies are collected on the guest's poll grid, so latency = service + up to one poll interval.
TEST(DataPlane, PollingCollectsOnTheGuestsPollGrid) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "50s"
[[cards]]
ids = "0x00"
type = "custom"
engines = 1
domains = "0x00"
service = { dist = "deterministic", value = "0.25s" }
[[guests]]
name = "g"
adapters = "0x00"
domains = "0x00"
arrival = { process = "periodic", period = "1s" }
completion = { mode = "polling", poll_interval = "0.125s" }
)");
  const auto run = run_traced(s);
  double first_collect = -1;
  int collects = 0;
  for (const TraceEvent& e : run.events) {
    if (e.kind != TraceKind::collect)
      continue;
    const double latency = e.time - static_cast<double>(e.request); // issued at r seconds
    EXPECT_GT(latency, 0.25 - 1e-12);
    EXPECT_LE(latency, 0.375 + 1e-12);
    if (first_collect < 0)
      first_collect = e.time;
    const double ticks = (e.time - first_collect) / 0.125;
    EXPECT_NEAR(ticks, std::round(ticks), 1e-9) << "collect off the poll grid at " << e.time;
    ++collects;
  }
  EXPECT_EQ(collects, 50);
  // The grid's phase is the same for every request, so every latency is the same.
  EXPECT_NEAR(run.result.guests[0].latency.min(), run.result.guests[0].latency.max(), 1e-12);
}

// Warm-up: only what completes at or after it counts; throughput is per second of the window.
TEST(DataPlane, WarmupExcludesEarlyCompletions) {
  const Scenario s = scenario_from(R"(
[run]
horizon = "100s"
warmup = "50s"
[[cards]]
ids = "0x00"
type = "custom"
engines = 1
domains = "0x00"
service = { dist = "deterministic", value = "0.25s" }
[[guests]]
name = "g"
adapters = "0x00"
domains = "0x00"
arrival = { process = "periodic", period = "1s" }
completion = { delay = "0s" }
)");
  const auto run = run_traced(s);
  const GuestResult& g = run.result.guests[0];
  EXPECT_EQ(g.requests.offered, 50u);   // issued at 50..99 s
  EXPECT_EQ(g.requests.completed, 50u); // collected at 50.25..99.25 s
  EXPECT_EQ(g.latency.count(), 50u);
  EXPECT_NEAR(run.result.cards[0].utilization, 0.25, 1e-12);
  EXPECT_EQ(run.result.cards[0].served, 50u);
}

// Common random numbers: a request's service demand comes from its own stream, so another guest joining the
// host (and drawing randomness of its own) does not change the work of this guest's requests.
TEST(DataPlane, ServiceDemandBelongsToTheRequest) {
  const std::string base = R"(
[run]
horizon = "20s"
seed = 11
[[cards]]
ids = "0x00-0x01"
type = "custom"
engines = 2
domains = "0x00"
service = { dist = "exponential", mean = "5ms" }
[[guests]]
name = "a"
adapters = "0x00"
domains = "0x00"
arrival = { process = "poisson", rate = "100/s" }
completion = { delay = "0s" }
)";
  const std::string with_b = base + R"(
[[guests]]
name = "b"
adapters = "0x01"
domains = "0x00"
arrival = { process = "poisson", rate = "150/s" }
)";
  auto service_times = [](const std::string& text) {
    return [text] {
      const auto run = run_traced(scenario_from(text));
      std::map<uint64_t, double> start;
      std::ostringstream out;
      out.precision(17);
      for (const TraceEvent& e : run.events) {
        if (e.guest != 0)
          continue;
        if (e.kind == TraceKind::start)
          start[e.request] = e.time;
        if (e.kind == TraceKind::done)
          out << e.request << ":" << e.time - start[e.request] << "\n";
      }
      return out.str();
    };
  };
  const auto outputs = run_in_children({service_times(base), service_times(with_b)}, 2);
  EXPECT_GT(outputs[0].size(), 1000u);
  EXPECT_EQ(outputs[0], outputs[1]);
}

// zcrypt's queue selection by the index (sim/data_plane/queue_pick.cpp) against the kernel's full pass: every
// request event the same, through reconfiguration (queues plugged and unplugged, resets, a card failing and coming
// back: retries with penalties, queues known to two guests), cards of two types (operations rated alike or not),
// guests on many cards and many queues per card.
TEST(DataPlane, SelectionIndexPicksAsTheKernelsPass) {
  const std::string fleet = R"(
[run]
horizon = "4s"
seed = 5
[[cards]]
ids = "0x00-0x05"
type = "CEX8A"
domains = "0x00-0x0d"
[[cards]]
ids = "0x06-0x07"
type = "CEX8C"
domains = "0x00-0x0d"
[[guests]]
name = "wide-{i}"
count = 4
adapters = "0x00-0x05"
domains = "{3*i}-{3*i+2}"
arrival = { process = "poisson", rate = "6k/s" }
ops = { rsa_crt_2k = 0.6, rsa_me_2k = 0.3, rsa_crt_4k = 0.1 }
[[guests]]
name = "mixed"
adapters = "0x00-0x07"
domains = "0x0c-0x0d"
arrival = { process = "poisson", rate = "6k/s" }
[[reconfig.timeline]]
name = "card-fails"
at = "1s"
op = "card_offline"
adapter = "0x02"
[[reconfig.timeline]]
name = "card-repaired"
at = "2.5s"
op = "card_online"
adapter = "0x02"
)";
  auto trace_of = [](std::function<Scenario()> make, bool scan) {
    return [make, scan] {
      RunOptions options;
      std::ostringstream out;
      out.precision(17);
      options.trace = [&out](const TraceEvent& e) {
        out << e.time << ' ' << trace_kind_name(e.kind) << ' ' << e.guest << ' ' << e.request << ' ' << e.adapter << ' '
            << e.domain << '\n';
      };
      options.scan_picks = scan;
      const RunResult result = simulate(make(), options);
      out << result.guests.size();
      return out.str();
    };
  };
  auto from_text = [fleet] { return scenario_from(fleet); };
  auto storm = [] {
    return load_scenario(std::string(APQSIM_SOURCE_DIR) + "/configs/seed/random-storm.toml",
                         {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0s\""}});
  };
  const auto outputs = run_in_children(
      {trace_of(from_text, false), trace_of(from_text, true), trace_of(storm, false), trace_of(storm, true)}, 2);
  EXPECT_GT(outputs[0].size(), 100000u);
  EXPECT_TRUE(outputs[0] == outputs[1]) << "the index and the pass disagree on the fleet";
  EXPECT_GT(outputs[2].size(), 100000u);
  EXPECT_TRUE(outputs[2] == outputs[3]) << "the index and the pass disagree on the storm";
}

} // namespace
} // namespace apq
