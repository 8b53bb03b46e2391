#pragma once
// The format check of a timeline (apqsim run --timeline): what Perfetto and chrome://tracing need to draw it as
// meant, checked independently of the code that writes it.
//  - every event has name, ph, ts, pid, tid; instants say their scope; counters carry numbers;
//  - timestamps never decrease through the file (metadata first, at 0);
//  - per track (pid, tid), begin and end events are balanced and properly nested: an E closes the innermost open
//    B of its track, with the same name;
//  - every lock hold (cat lock_hold) and lock wait (lock_wait) lies inside an operation (cat op) of its track, and
//    every owner slice on a lock's track (lock_owner) inside an operation of the actor it names.

#include "analysis/report.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace apq::test {

struct TimelineSlice {
  std::string name, category, actor;
  double begin = 0, end = 0;
  int pid = 0, tid = 0;
  Json args;
};

struct TimelineCheck {
  std::vector<std::string> problems; ///< empty: the format is right
  std::vector<TimelineSlice> slices; ///< every B/E pair, with the args of its B
  std::vector<Json> instants;
  std::size_t counters = 0;
};

inline TimelineCheck check_timeline(const Json& trace) {
  TimelineCheck out;
  auto problem = [&out](const std::string& text) {
    if (out.problems.size() < 20)
      out.problems.push_back(text);
  };
  if (!trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
    problem("no traceEvents array");
    return out;
  }
  struct Open {
    std::size_t slice;
    std::vector<std::string> enclosing_categories; // of the slices open around it
  };
  std::map<std::pair<int, int>, std::vector<Open>> stacks;
  std::map<std::string, std::vector<std::pair<double, double>>> ops_of_actor;
  double last = -1;
  std::size_t index = 0;
  for (const Json& e : trace["traceEvents"]) {
    const std::string at = "event " + std::to_string(index++) + " " + e.dump().substr(0, 160);
    for (const char* key : {"name", "ph", "ts", "pid", "tid"})
      if (!e.contains(key)) {
        problem(at + ": no " + key);
        return out;
      }
    const std::string ph = e["ph"].get<std::string>();
    const double ts = e["ts"].get<double>();
    if (ts < last)
      problem(at + ": timestamp goes back from " + std::to_string(last));
    last = ts;
    const std::pair<int, int> track{e["pid"].get<int>(), e["tid"].get<int>()};
    std::vector<Open>& stack = stacks[track];
    if (ph == "B") {
      TimelineSlice slice{e["name"], e.value("cat", ""), "",           ts,
                          -1,        track.first,        track.second, e.value("args", Json())};
      if (slice.args.is_object())
        slice.actor = slice.args.value("actor", "");
      std::vector<std::string> enclosing;
      for (const Open& o : stack)
        enclosing.push_back(out.slices[o.slice].category);
      if ((slice.category == "lock_hold" || slice.category == "lock_wait") &&
          std::find(enclosing.begin(), enclosing.end(), "op") == enclosing.end())
        problem(at + ": a lock " + (slice.category == "lock_hold" ? "hold" : "wait") + " outside any operation");
      out.slices.push_back(std::move(slice));
      stack.push_back(Open{out.slices.size() - 1, std::move(enclosing)});
    } else if (ph == "E") {
      if (stack.empty()) {
        problem(at + ": an end without a begin on its track");
        continue;
      }
      TimelineSlice& slice = out.slices[stack.back().slice];
      if (slice.name != e["name"].get<std::string>())
        problem(at + ": ends '" + e["name"].get<std::string>() + "' but the innermost open slice is '" + slice.name +
                "'");
      slice.end = ts;
      if (slice.category == "op" && !slice.actor.empty())
        ops_of_actor[slice.actor].emplace_back(slice.begin, slice.end);
      stack.pop_back();
    } else if (ph == "i") {
      if (!e.contains("s"))
        problem(at + ": an instant without its scope (s)");
      out.instants.push_back(e);
    } else if (ph == "C") {
      ++out.counters;
      if (!e.contains("args") || !e["args"].is_object() || e["args"].empty())
        problem(at + ": a counter without values");
      else
        for (const auto& [name, value] : e["args"].items())
          if (!value.is_number())
            problem(at + ": counter value " + name + " is not a number");
    } else if (ph != "M") {
      problem(at + ": unexpected phase " + ph);
    }
  }
  for (const auto& [track, stack] : stacks)
    if (!stack.empty())
      problem("track " + std::to_string(track.first) + "/" + std::to_string(track.second) + ": " +
              std::to_string(stack.size()) + " slices never end, the first '" + out.slices[stack.front().slice].name +
              "'");
  for (const TimelineSlice& s : out.slices) {
    if (s.category != "lock_owner")
      continue;
    const auto& ops = ops_of_actor[s.actor];
    const bool inside = std::any_of(ops.begin(), ops.end(), [&s](const std::pair<double, double>& op) {
      return op.first <= s.begin && s.end <= op.second;
    });
    if (!inside)
      problem("lock " + s.name + " held from " + std::to_string(s.begin) + " to " + std::to_string(s.end) +
              " outside any operation of " + s.actor);
  }
  return out;
}

} // namespace apq::test
