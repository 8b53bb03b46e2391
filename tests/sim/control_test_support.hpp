#pragma once
// Helpers for control-plane tests: runs with their request and control traces, and matchers over control events.

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq::ctest {

constexpr double kUs = 1e-6;
constexpr double kMs = 1e-3;
constexpr double kEps = 1e-9; // simulated clocks are sums of a few doubles
constexpr double kUMin = 100 * kUs, kUMax = 1 * kMs;

struct FullRun {
  RunResult result;
  std::vector<TraceEvent> events;
  std::vector<ControlEvent> control;
};

inline FullRun run_full(const Scenario& scenario) {
  FullRun run;
  RunOptions options;
  options.trace = [&run](const TraceEvent& e) { run.events.push_back(e); };
  options.control_trace = [&run](const ControlEvent& e) { run.control.push_back(e); };
  run.result = simulate(scenario, options);
  return run;
}

inline Scenario seed_scenario(const std::string& file, const std::vector<ConfigOverride>& overrides = {}) {
  return load_scenario(test::source_dir() + "/configs/seed/" + file, overrides);
}

/** A control event matching every non-empty field (the actor by prefix: vCPU actors carry a serial number). */
struct Match {
  std::string_view actor = {}, op = {}, what = {}, detail = {};
  bool operator()(const ControlEvent& e) const {
    return (actor.empty() || e.actor.starts_with(actor)) && (op.empty() || e.op == op) &&
           (what.empty() || e.what == what) && (detail.empty() || e.detail == detail);
  }
};

inline std::vector<ControlEvent> all_of(const std::vector<ControlEvent>& events, const Match& match) {
  std::vector<ControlEvent> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out), match);
  return out;
}

/** Index of the first matching event at or after `from`, or -1. */
inline long index_of(const std::vector<ControlEvent>& events, const Match& match, long from = 0) {
  for (long i = from; i < static_cast<long>(events.size()); ++i)
    if (match(events[static_cast<std::size_t>(i)]))
      return i;
  return -1;
}

/** Time of the first matching event; fails the test (and returns NaN) if there is none. */
inline double time_of(const std::vector<ControlEvent>& events, const Match& match) {
  const long i = index_of(events, match);
  EXPECT_GE(i, 0) << "no control event " << match.actor << "|" << match.op << "|" << match.what << "|" << match.detail;
  return i < 0 ? std::nan("") : events[static_cast<std::size_t>(i)].time;
}

inline std::string describe(const ControlEvent& e) {
  std::ostringstream out;
  out.precision(9);
  out << std::fixed << e.time << " " << e.actor << " " << e.op << " " << e.what << " " << e.detail;
  return out.str();
}

inline const TimelineOutcome& outcome(const RunResult& result, const std::string& name) {
  for (const TimelineOutcome& t : result.control.timeline)
    if (t.name == name)
      return t;
  throw std::runtime_error("no timeline entry " + name);
}

} // namespace apq::ctest
