// The result document: metric names are a contract (README.md), figures come from the histograms.

#include "analysis/report.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace apq {
namespace {

RunResult sample_result() {
  RunResult r;
  r.manifest = Manifest{"0.1.0", "abc123", "3.32.0", "x.toml", std::string(64, 'f'), R"({"run":{"seed":7}})", 7};
  r.horizon = 12;
  r.warmup = 2;
  r.events = 99;
  GuestResult a;
  a.name = "a";
  a.requests = {30, 20, 1};
  for (int i = 1; i <= 20; ++i)
    a.latency.record(i * 1e-3); // 1..20 ms
  GuestResult b;
  b.name = "b";
  b.requests = {10, 10, 0};
  for (int i = 0; i < 10; ++i)
    b.latency.record(50e-3);
  r.guests = {a, b};
  r.cards = {CardResult{0x1f, "CEX8A", 4, 30, 0.25}};
  return r;
}

TEST(Report, JsonCarriesTheContractedNames) {
  const Json j = to_json(sample_result());
  EXPECT_EQ(j["manifest"]["version"], "0.1.0");
  EXPECT_EQ(j["manifest"]["git_commit"], "abc123");
  EXPECT_EQ(j["manifest"]["simgrid_version"], "3.32.0");
  EXPECT_EQ(j["manifest"]["seed"], 7);
  EXPECT_EQ(j["manifest"]["config"]["run"]["seed"], 7);
  EXPECT_EQ(j["summary"]["completed"], 30);
  EXPECT_EQ(j["summary"]["failed"], 1);
  EXPECT_DOUBLE_EQ(j["summary"]["throughput_per_s"].get<double>(), 3.0); // 30 in a 10 s window
  EXPECT_DOUBLE_EQ(j["guests"]["a"]["throughput_per_s"].get<double>(), 2.0);
  // Overall latency merges the guests: 20 values of 1..20 ms and 10 of 50 ms.
  EXPECT_NEAR(j["summary"]["latency_s"]["mean"].get<double>(), (0.210 + 0.5) / 30, 1e-12);
  EXPECT_DOUBLE_EQ(j["summary"]["latency_s"]["max"].get<double>(), 0.05);
  EXPECT_NEAR(j["guests"]["a"]["latency_s"]["p50"].get<double>(), 0.010, 0.010 * 0.01);
  for (const char* key : {"mean", "p50", "p90", "p99", "p999", "p9999", "max"})
    EXPECT_TRUE(j["guests"]["b"]["latency_s"].contains(key)) << key;
  EXPECT_EQ(j["cards"]["0x1f"]["type"], "CEX8A");
  EXPECT_DOUBLE_EQ(j["cards"]["0x1f"]["utilization"].get<double>(), 0.25);
}

TEST(Report, SameResultSameBytes) {
  EXPECT_EQ(to_json(sample_result()).dump(2), to_json(sample_result()).dump(2));
}

TEST(Report, HumanSummaryShowsEveryGuestAndTheTotal) {
  const std::string text = human_summary(sample_result(), 0.5);
  for (const char* word : {"guest", "throughput", "p99", "\na ", "\nb ", "\nall ", "CEX8A", "25.0%"})
    EXPECT_NE(text.find(word), std::string::npos) << word << "\n" << text;
}

} // namespace
} // namespace apq
