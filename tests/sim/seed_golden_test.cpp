// The seed scenarios give the same bytes whatever the engine's speed-ups (issue 11: batching around sleeping actors,
// the data plane's inline events, sparse histograms, the selection index): every request event, every
// control-plane step (their dates bit for bit) and the whole JSON result but its manifest are folded into one
// fingerprint, checked against golden values.
//
// History: captured on main at 50f5562 before the batching (RelWithDebInfo, g++ 12), unchanged by it and by the
// data-plane speed-ups. Re-captured when issue 10's outputs joined (more control events: the admins' attempts and
// outcomes, card offline/online; the releases of a failing operation located; CCDF points in the result; with
// those left out, every value was the one before), and when the steps' locations became relative to the source
// tree (they held the checkout's absolute path). A deliberate change of a model's behaviour changes them: then
// check the new figures by other means and copy the printed values here.

#include "analysis/report.hpp"
#include "control_test_support.hpp"

#include <bit>
#include <cstdint>
#include <cstdio>
#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace apq {
namespace {

/** FNV-1a, 64 bits: enough to tell two runs apart, and stable across builds. */
class Fingerprint {
public:
  void add(std::string_view text) {
    for (const char c : text) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= 0x100000001b3ULL;
    }
    add_byte(0xff); // a separator: "ab","c" differs from "a","bc"
  }
  void add(double value) { add(std::to_string(std::bit_cast<uint64_t>(value))); }
  void add(int64_t value) { add(std::to_string(value)); }
  uint64_t value() const { return hash_; }

private:
  void add_byte(unsigned char byte) {
    hash_ ^= byte;
    hash_ *= 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

struct Golden {
  uint64_t events;          ///< the scheduler's event count
  std::size_t trace_events; ///< request events
  std::size_t control_events;
  uint64_t fingerprint;
};

void expect_golden(const std::string& name, const ctest::FullRun& run, const Golden& golden) {
  Fingerprint print;
  for (const TraceEvent& e : run.events) {
    print.add(e.time);
    print.add(static_cast<int64_t>(e.kind));
    print.add(static_cast<int64_t>(e.guest));
    print.add(static_cast<int64_t>(e.request));
    print.add(static_cast<int64_t>(e.adapter));
    print.add(static_cast<int64_t>(e.domain));
  }
  for (const ControlEvent& e : run.control) {
    print.add(e.time);
    print.add(e.actor);
    print.add(e.op);
    print.add(e.what);
    print.add(e.detail);
    // A scenario's own steps are located in its file by absolute path: only the part inside the repository counts,
    // so that the values hold in any checkout.
    const std::string root = test::source_dir() + "/";
    print.add(e.where.starts_with(root) ? e.where.substr(root.size()) : e.where);
  }
  Json json = to_json(run.result);
  json.erase("manifest"); // the commit and the config's path are not figures
  print.add(json.dump());
  std::printf("golden %s: {%lluULL, %zu, %zu, 0x%016llxULL}\n", name.c_str(),
              static_cast<unsigned long long>(run.result.events), run.events.size(), run.control.size(),
              static_cast<unsigned long long>(print.value()));
  EXPECT_EQ(run.result.events, golden.events) << name;
  EXPECT_EQ(run.events.size(), golden.trace_events) << name;
  EXPECT_EQ(run.control.size(), golden.control_events) << name;
  EXPECT_EQ(print.value(), golden.fingerprint) << name << ": same counts, different dates, order or figures";
}

ctest::FullRun run_seed(const std::string& file, const std::vector<ConfigOverride>& overrides = {}) {
  return ctest::run_full(ctest::seed_scenario(file, overrides));
}

// One SimGrid engine per process: one run per TEST.

TEST(SeedGolden, AbbaDeadlock) {
  const ctest::FullRun run = run_seed("abba-deadlock.toml");
  // The deadlock is still found, and at the date of the second wait (1.000011 s), not when the run ends.
  ASSERT_EQ(run.result.control.deadlocks.size(), 1U);
  EXPECT_NEAR(run.result.control.deadlocks[0].time, 1.000011, 1e-9);
  expect_golden("abba-deadlock", run, Golden{70879ULL, 149531, 13, 0xb1f75c3c1ed001caULL});
}

TEST(SeedGolden, AbbaMainline) {
  expect_golden("abba-mainline", run_seed("abba-mainline.toml"), Golden{70879ULL, 149531, 39, 0xa255604bb97f94b0ULL});
}

TEST(SeedGolden, AbbaOrdered) {
  expect_golden("abba-ordered", run_seed("abba-ordered.toml"), Golden{70879ULL, 149531, 32, 0xf5aa42dc2396473eULL});
}

TEST(SeedGolden, StolenMainline) {
  expect_golden("stolen-mainline", run_seed("stolen-mainline.toml"),
                Golden{70883ULL, 149531, 153, 0x5b83b0d447aa76f6ULL});
}

TEST(SeedGolden, StolenOrdered) {
  expect_golden("stolen-ordered", run_seed("stolen-ordered.toml"),
                Golden{70883ULL, 149531, 132, 0x6436806c3a10ce90ULL});
}

TEST(SeedGolden, V12StolenQueue) {
  expect_golden("v12-stolen-queue", run_seed("v12-stolen-queue.toml"),
                Golden{70883ULL, 149531, 149, 0x36849c2ad2fbab13ULL});
}

TEST(SeedGolden, RandomStormShort) {
  const ctest::FullRun run = run_seed("random-storm.toml", {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}});
  expect_golden("random-storm 3s", run, Golden{219129ULL, 365637, 6991, 0xfc39c4f77f3bff60ULL});
}

TEST(SeedGolden, RandomStormShortLinux613) {
  // A blocking strategy: admins wait on locks (semaphores) instead of failing with -EBUSY and retrying.
  const ctest::FullRun run = run_seed(
      "random-storm.toml", {{"run.horizon", "\"3s\""}, {"run.warmup", "\"0.5s\""}, {"run.strategy", "\"linux-6.13\""}});
  expect_golden("random-storm 3s linux-6.13", run, Golden{219353ULL, 365387, 7718, 0x3478531507305c7fULL});
}

} // namespace
} // namespace apq
