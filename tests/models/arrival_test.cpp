#include "models/arrival.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace apq {
namespace {

using test::error_of;
using test::parse_toml;

std::unique_ptr<ArrivalProcess> process_from(std::string_view text) {
  auto doc = parse_toml(text, "arrival.toml");
  return make_arrival_process(ConfigNode(doc, "guests[0].arrival"));
}

// Arrival times in [0, horizon).
std::vector<double> run(ArrivalProcess& process, double horizon, uint64_t seed) {
  NamedStream rng(seed, "arrivals");
  std::vector<double> times;
  double now = 0;
  while (auto a = process.next(now, rng)) {
    if (a->time >= horizon)
      break;
    EXPECT_GE(a->time, now);
    times.push_back(a->time);
    now = a->time;
  }
  return times;
}

TEST(Arrival, PoissonCountOverALongHorizon) {
  auto p = process_from("process = \"poisson\"\nrate = \"20k/s\"");
  EXPECT_EQ(p->mean_rate(), 20000.0);
  EXPECT_EQ(p->describe(), "poisson(20k/s)");
  double horizon = 50;
  double expected = 20000 * horizon;
  EXPECT_NEAR(static_cast<double>(run(*p, horizon, 1).size()), expected, 4 * std::sqrt(expected));
}

TEST(Arrival, PoissonAtRateZeroNeverArrives) {
  auto p = process_from("process = \"poisson\"\nrate = 0");
  NamedStream rng(1, "x");
  EXPECT_FALSE(p->next(0, rng));
}

TEST(Arrival, PeriodicTimesAreExact) {
  auto p = process_from("process = \"periodic\"\nrate = \"4/s\"\nphase = \"100ms\"");
  NamedStream rng(1, "unused");
  double now = 0;
  for (int k = 0; k < 1000; ++k) {
    auto a = p->next(now, rng);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->time, 0.1 + k * 0.25);
    now = a->time;
  }
  EXPECT_EQ(p->next(1000.0, rng)->time, 0.1 + 4000 * 0.25); // after a gap: the first slot not before now
  auto fresh = p->clone();
  EXPECT_EQ(fresh->next(0, rng)->time, 0.1);
  EXPECT_EQ(process_from("process = \"periodic\"\nperiod = \"50us\"")->next(0, rng)->time, 0.0);
  EXPECT_EQ(p->mean_rate(), 4.0);
}

TEST(Arrival, ScheduleCountsPerSegment) {
  auto p = process_from(R"(process = "schedule"
steps = [ { at = "0s", rate = "1k/s" }, { at = "1s", rate = 0 }, { at = "2s", rate = "5k/s" } ]
repeat = "3s")");
  EXPECT_DOUBLE_EQ(p->mean_rate(), 6000.0 / 3);
  std::array<double, 3> counts{};
  double periods = 100;
  for (double t : run(*p, 3 * periods, 7))
    counts[static_cast<std::size_t>(std::fmod(t, 3.0))] += 1;
  EXPECT_NEAR(counts[0], 1000 * periods, 4 * std::sqrt(1000 * periods));
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[2], 5000 * periods, 4 * std::sqrt(5000 * periods));
}

TEST(Arrival, ScheduleWithoutRepeatHoldsTheLastRate) {
  auto ends = process_from(R"(process = "schedule"
steps = [ { at = "1s", rate = "100/s" }, { at = "2s", rate = 0 } ])");
  auto times = run(*ends, 1e9, 3);
  ASSERT_FALSE(times.empty());
  EXPECT_GE(times.front(), 1.0); // rate 0 before the first step
  EXPECT_LT(times.back(), 2.0);  // and after the last one, for ever
  EXPECT_NEAR(static_cast<double>(times.size()), 100, 4 * 10);
  auto holds = process_from("process = \"schedule\"\nsteps = [ { at = \"0s\", rate = \"2/s\" } ]");
  EXPECT_EQ(holds->mean_rate(), 2.0);
}

TEST(Arrival, ScheduleSkipsLongQuietPeriods) {
  // One arrival a period on average, over a period of 1 hour that is quiet but for 1 ms.
  auto p = process_from(R"(process = "schedule"
steps = [ { at = "0s", rate = "1k/s" }, { at = "1ms", rate = 0 } ]
repeat = "1h")");
  auto times = run(*p, 3600.0 * 10000, 9);
  EXPECT_NEAR(static_cast<double>(times.size()), 10000, 4 * 100);
  for (double t : times)
    EXPECT_LT(std::fmod(t, 3600.0), 1e-3 + 1e-9);
}

TEST(Arrival, MmppLongRunRate) {
  auto p = process_from(R"(process = "mmpp"
rate_high = "10k/s"
rate_low = "1k/s"
high_time = "10ms"
low_time = "40ms")");
  double r_h = 10000, r_l = 1000, t_h = 0.01, t_l = 0.04;
  double mean_rate = (r_h * t_h + r_l * t_l) / (t_h + t_l);
  EXPECT_DOUBLE_EQ(p->mean_rate(), mean_rate);
  // Asymptotic variance of the count of a two-state MMPP per unit time: mean + 2 (r_h - r_l)^2 p_h p_l / (q_h + q_l).
  double p_h = t_h / (t_h + t_l);
  double variance_rate = mean_rate + 2 * (r_h - r_l) * (r_h - r_l) * p_h * (1 - p_h) / (1 / t_h + 1 / t_l);
  double horizon = 200;
  EXPECT_NEAR(static_cast<double>(run(*p, horizon, 5).size()), mean_rate * horizon,
              4 * std::sqrt(variance_rate * horizon));
}

TEST(Arrival, MmppOnOffIsBursty) {
  auto p = process_from(R"(process = "mmpp"
rate_high = "10k/s"
rate_low = 0
high_time = "10ms"
low_time = "90ms")");
  EXPECT_DOUBLE_EQ(p->mean_rate(), 1000.0);
  auto times = run(*p, 100, 6);
  EXPECT_NEAR(static_cast<double>(times.size()), 100000, 0.1 * 100000);
  std::size_t long_gaps = 0;
  for (std::size_t i = 1; i < times.size(); ++i)
    long_gaps += times[i] - times[i - 1] > 0.01;
  EXPECT_GT(long_gaps, 300u); // about one off period per 100 ms
}

TEST(Arrival, TraceReplay) {
  test::TempFile file("trace.csv", "time,op\n0.001,rsa_crt_2k\n2ms, rng\n# a comment, with a comma\n\n0.003\n0.003,\n");
  toml::table doc;
  doc.insert("process", "trace");
  doc.insert("file", file.path().string());
  auto p = make_arrival_process(ConfigNode(doc));
  NamedStream rng(1, "unused");
  auto a = p->next(0, rng);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->time, 0.001);
  EXPECT_EQ(a->op, Operation::rsa_crt_2k);
  a = p->next(a->time, rng);
  EXPECT_EQ(a->time, 0.002);
  EXPECT_EQ(a->op, Operation::rng);
  a = p->next(a->time, rng);
  EXPECT_EQ(a->time, 0.003);
  EXPECT_FALSE(a->op);
  a = p->next(a->time, rng);
  EXPECT_EQ(a->time, 0.003);
  EXPECT_FALSE(p->next(a->time, rng));
  EXPECT_DOUBLE_EQ(p->mean_rate(), 4 / 0.003);
  EXPECT_EQ(p->clone()->next(0, rng)->time, 0.001);
}

TEST(Arrival, TraceErrorsNameLineAndColumn) {
  auto load = [](const test::TempFile& file) {
    toml::table doc;
    doc.insert("process", "trace");
    doc.insert("file", file.path().string());
    make_arrival_process(ConfigNode(doc));
  };
  test::TempFile backwards("backwards.csv", "1s\n2s\n1.5s\n");
  EXPECT_EQ(error_of([&] { load(backwards); }),
            backwards.path().string() +
                ":3:1: error: time 1.5s is earlier than the previous row's (2s): rows must be in time order");
  test::TempFile bad_op("bad_op.csv", "0.1, rsa_crt_8k\n");
  EXPECT_EQ(error_of([&] { load(bad_op); }),
            bad_op.path().string() + ":1:6: error: unknown operation 'rsa_crt_8k'; did you mean 'rsa_crt_1k', " +
                "'rsa_crt_2k' or 'rsa_crt_4k'? valid: " + operation_names());
  test::TempFile bad_time("bad_time.csv", "time\nsoon\n");
  EXPECT_EQ(error_of([&] { load(bad_time); }), bad_time.path().string() +
                                                   R"(:2:1: error: bad duration "soon": expected a number and a unit )"
                                                   R"((ns, us, ms, s, min, h), like "250us")");
}

TEST(Arrival, ConfigErrors) {
  EXPECT_EQ(error_of([] { process_from("process = \"poisson\"\nraet = \"1k/s\""); }),
            "arrival.toml:2:1: error: unknown key 'raet' in guests[0].arrival; did you mean 'rate'?");
  EXPECT_EQ(error_of([] { process_from("process = \"poisson\"\nspeed = \"1k/s\""); }),
            "arrival.toml:1:1: error: guests[0].arrival: missing required key 'rate'");
  EXPECT_EQ(error_of([] { process_from("process = \"poisson\"\nrate = \"1k/s\"\nraet = \"1k/s\""); }),
            "arrival.toml:3:1: error: unknown key 'raet' in guests[0].arrival; did you mean 'rate'? valid keys: "
            "process, rate");
  EXPECT_EQ(error_of([] { process_from("process = \"bursty\""); }),
            "arrival.toml:1:11: error: guests[0].arrival.process: unknown arrival process 'bursty'; valid: poisson, "
            "mmpp, periodic, schedule, trace");
  EXPECT_EQ(error_of([] { process_from("process = \"periodic\"\nrate = \"1/s\"\nperiod = \"1s\""); }),
            "arrival.toml:1:1: error: guests[0].arrival: give exactly one of 'rate' and 'period'");
  EXPECT_EQ(error_of([] {
              process_from(
                  "process = \"schedule\"\nsteps = [ { at = \"1s\", rate = \"1/s\" }, { at = \"1s\", rate = 0 } ]");
            }),
            "arrival.toml:2:47: error: guests[0].arrival.steps[1].at: must be later than the previous step's (1s)");
  EXPECT_EQ(
      error_of([] { process_from("process = \"schedule\"\nsteps = [ { at = \"0s\", rate = \"1/s\" } ]\nrepeat = 0"); }),
      "arrival.toml:3:10: error: guests[0].arrival.repeat: must be longer than the last step's 'at' (0s)");
}

} // namespace
} // namespace apq
