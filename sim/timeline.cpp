#include "sim/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace apq {

namespace {

constexpr int kActorsPid = 1;
constexpr int kLocksPid = 2;
constexpr int kGuestsPid = 3;

/** Actors of one admin process share lanes: "assigner#17" and "assigner#18" are both "assigner", the vCPU
 *  intercept "vcpu:web aqic 02.0004#37" is "vcpu:web". */
std::string group_of(const std::string& actor) {
  return actor.substr(0, actor.find_first_of(" #"));
}

/** Microseconds, rounded to the nanosecond: the trace format's unit, without binary noise. */
double microseconds(double seconds) {
  return std::round(seconds * 1e9) / 1e3;
}

Json result_args(const std::string& result) {
  Json args{{"result", result}};
  if (result != "ok" && result != "hung")
    args["errno"] = "-" + result;
  return args;
}

} // namespace

TimelineBuilder::TimelineBuilder(Options options) : options_(std::move(options)) {
  const auto windows = static_cast<std::size_t>(std::ceil(options_.horizon / options_.window - 1e-9));
  guests_.resize(options_.guests.size());
  for (GuestCounters& g : guests_) {
    g.area.assign(std::max<std::size_t>(windows, 1), 0.0);
    g.collects.assign(std::max<std::size_t>(windows, 1), 0);
  }
}

int TimelineBuilder::actor_track(const std::string& actor) {
  auto [it, added] = actor_tracks_.emplace(actor, static_cast<int>(tracks_.size()));
  if (added) {
    Track track;
    track.pid = kActorsPid;
    track.name = actor;
    track.group = group_of(actor);
    tracks_.push_back(std::move(track));
  }
  return it->second;
}

int TimelineBuilder::lock_track(const std::string& lock) {
  auto [it, added] = lock_tracks_.emplace(lock, static_cast<int>(tracks_.size()));
  if (added) {
    Track track;
    track.pid = kLocksPid;
    track.name = track.group = lock;
    tracks_.push_back(std::move(track));
  }
  return it->second;
}

std::size_t TimelineBuilder::emit(double time, char phase, int track, std::string name, std::string category, Json args,
                                  char scope) {
  Track& t = tracks_[static_cast<std::size_t>(track)];
  if (!t.seen)
    t.first = time;
  t.seen = true;
  t.last = std::max(t.last, time);
  events_.push_back(Event{time, phase, track, std::move(name), std::move(category), std::move(args), scope});
  return events_.size() - 1;
}

void TimelineBuilder::open(double time, int track, const std::string& kind, const std::string& key, std::string name,
                           std::string category, Json args) {
  const std::size_t begin = emit(time, 'B', track, std::move(name), std::move(category), std::move(args));
  tracks_[static_cast<std::size_t>(track)].stack.push_back(OpenSlice{begin, kind, key});
}

bool TimelineBuilder::close(double time, int track, const std::string& kind, const std::string& key, const Json& args) {
  std::vector<OpenSlice>& stack = tracks_[static_cast<std::size_t>(track)].stack;
  auto it = std::find_if(stack.rbegin(), stack.rend(),
                         [&](const OpenSlice& s) { return s.kind == kind && (key.empty() || s.key == key); });
  if (it == stack.rend())
    return false;
  const std::size_t depth = static_cast<std::size_t>(stack.rend() - it) - 1;
  // Out-of-order release: what was opened after this slice ends here and goes on as a new slice.
  std::vector<OpenSlice> above(stack.begin() + static_cast<long>(depth) + 1, stack.end());
  for (auto a = above.rbegin(); a != above.rend(); ++a)
    emit(time, 'E', track, events_[a->begin].name, events_[a->begin].category);
  Event& begin = events_[stack[depth].begin];
  for (const auto& [name, value] : args.items())
    begin.args[name] = value;
  emit(time, 'E', track, begin.name, begin.category);
  stack.resize(depth);
  for (const OpenSlice& a : above) {
    Json continued = events_[a.begin].args;
    continued["continued"] = true;
    open(time, track, a.kind, a.key, events_[a.begin].name, events_[a.begin].category, std::move(continued));
  }
  return true;
}

void TimelineBuilder::close_all(double time, int track) {
  std::vector<OpenSlice>& stack = tracks_[static_cast<std::size_t>(track)].stack;
  while (!stack.empty()) {
    const std::string& kind = stack.back().kind;
    Event& begin = events_[stack.back().begin];
    if (kind == "admin" || kind == "op")
      begin.args.update(result_args("hung"));
    else
      begin.args[kind == "wait" ? "acquired" : "released"] = false;
    emit(time, 'E', track, begin.name, begin.category);
    stack.pop_back();
  }
}

void TimelineBuilder::on_control(const ControlEvent& e) {
  const int track = actor_track(e.actor);
  Track& t = tracks_[static_cast<std::size_t>(track)];
  auto where = [&e](Json args) {
    if (!e.where.empty())
      args["where"] = e.where;
    return args;
  };
  if (e.what == "attempt") {
    const bool first =
        std::none_of(t.stack.begin(), t.stack.end(), [](const OpenSlice& s) { return s.kind == "admin"; });
    if (first) {
      t.attempts = 0;
      open(e.time, track, "admin", "", e.op + " " + e.detail, "admin",
           where(Json{{"actor", e.actor}, {"op", e.op}, {"target", e.detail}}));
    }
    ++tracks_[static_cast<std::size_t>(track)].attempts;
  } else if (e.what == "outcome") {
    Json args = result_args(e.detail);
    args["attempts"] = t.attempts;
    close(e.time, track, "admin", "", args);
  } else if (e.what == "start") {
    open(e.time, track, "op", "", e.op, "op", where(Json{{"actor", e.actor}}));
  } else if (e.what == "end") {
    close(e.time, track, "op", "", result_args(e.detail));
  } else if (e.what == "lock") {
    open(e.time, track, "wait", e.detail, "wait " + e.detail, "lock_wait", where(Json{{"lock", e.detail}}));
    waiting_for_[e.actor] = e.detail;
  } else if (e.what == "acquired") {
    if (auto it = waiting_for_.find(e.actor); it != waiting_for_.end() && it->second == e.detail) {
      waiting_for_.erase(it);
      std::vector<OpenSlice>& stack = tracks_[static_cast<std::size_t>(track)].stack;
      if (!stack.empty() && stack.back().kind == "wait" && events_[stack.back().begin].time == e.time) {
        events_[stack.back().begin].phase = 0; // no wait after all: no slice
        stack.pop_back();
      } else {
        close(e.time, track, "wait", e.detail, Json::object());
      }
    }
    open(e.time, track, "hold", e.detail, "hold " + e.detail, "lock_hold", where(Json{{"lock", e.detail}}));
    open(e.time, lock_track(e.detail), "owner", e.detail, e.actor + ": " + e.op, "lock_owner",
         where(Json{{"actor", e.actor}, {"op", e.op}}));
  } else if (e.what == "unlock") {
    close(e.time, track, "hold", e.detail, e.where.empty() ? Json::object() : Json{{"released_at", e.where}});
    close(e.time, lock_track(e.detail), "owner", e.detail, Json::object());
  } else if (e.what == "busy") {
    const Json args = where(Json{{"lock", e.detail}, {"actor", e.actor}, {"op", e.op}});
    emit(e.time, 'i', track, "trylock " + e.detail + " busy", "trylock", args);
    emit(e.time, 'i', lock_track(e.detail), "trylock busy: " + e.actor, "trylock", args);
  } else if (e.what == "deadlock" || e.what == "stolen_queue") {
    const std::string name = e.what == "deadlock" ? "DEADLOCK" : "STOLEN QUEUE";
    const Json args{{e.what == "deadlock" ? "cycle" : "queue", e.detail}, {"actor", e.actor}, {"op", e.op}};
    emit(e.time, 'i', track, name, "violation", args);
    emit(e.time, 'i', track, name, "violation", args, 'g');
  } else {
    emit(e.time, 'i', track, e.what == "effect" ? e.detail : e.what + " " + e.detail, e.what,
         where(Json{{"op", e.op}}));
  }
}

void TimelineBuilder::advance_in_flight(GuestCounters& g, double time) {
  // Area under the in-flight count since its last change, spread over the windows it spans. The window index is
  // kept, not recomputed from the time: w x window / window may round below w.
  while (g.since < time) {
    const bool last = g.window + 1 >= g.area.size();
    const double end = last ? time : std::min(time, static_cast<double>(g.window + 1) * options_.window);
    g.area[g.window] += static_cast<double>(g.in_flight) * (end - g.since);
    g.since = end;
    if (!last && end < time)
      ++g.window;
  }
}

void TimelineBuilder::on_request(const TraceEvent& e) {
  if (e.guest >= guests_.size())
    return;
  GuestCounters& g = guests_[e.guest];
  if (e.kind != TraceKind::issue && e.kind != TraceKind::collect && e.kind != TraceKind::fail)
    return;
  advance_in_flight(g, e.time);
  if (e.kind == TraceKind::issue) {
    g.issued.insert(e.request);
    ++g.in_flight;
  } else if (g.issued.erase(e.request) > 0) { // a request that found no queue at all fails without an issue
    --g.in_flight;
    if (e.kind == TraceKind::collect)
      ++g.collects[g.window];
  }
}

Json TimelineBuilder::finish(const Json& result) {
  const double end = options_.horizon;
  for (std::size_t t = 0; t < tracks_.size(); ++t)
    if (!tracks_[t].stack.empty())
      close_all(end, static_cast<int>(t));

  // Counters, sampled at each window's start.
  const int counters = static_cast<int>(tracks_.size());
  Track guests;
  guests.pid = kGuestsPid;
  guests.name = guests.group = "guests";
  tracks_.push_back(std::move(guests));
  for (std::size_t g = 0; g < guests_.size(); ++g) {
    GuestCounters& c = guests_[g];
    advance_in_flight(c, end);
    const std::string& name = options_.guests[g];
    for (std::size_t w = 0; w < c.area.size(); ++w) {
      const double from = static_cast<double>(w) * options_.window;
      const double length = std::min(end, from + options_.window) - from;
      emit(from, 'C', counters, name + " in flight", "counter",
           Json{{"requests", length > 0 ? c.area[w] / length : 0.0}});
      emit(from, 'C', counters, name + " completions", "counter", Json{{"per window", c.collects[w]}});
    }
  }
  // Usable queues are the data plane's to count: taken from the run's series when it has them per guest.
  if (result.contains("series") && result["series"].contains("guests"))
    for (const auto& [name, series] : result["series"]["guests"].items()) {
      if (!series.contains("usable_queues"))
        continue;
      const double window = result["series"].value("window_s", options_.window);
      const Json& usable = series["usable_queues"];
      for (std::size_t w = 0; w < usable.size(); ++w)
        emit(static_cast<double>(w) * window, 'C', counters, name + " usable queues", "counter",
             Json{{"queues", usable[w]}});
    }

  // Actor lanes: actors of one group share tracks, a lane taken again only once its last actor is done (strictly
  // before: equal times could interleave two actors' begin and end events).
  std::vector<std::size_t> actors;
  for (std::size_t t = 0; t < tracks_.size(); ++t)
    if (tracks_[t].pid == kActorsPid)
      actors.push_back(t);
  std::stable_sort(actors.begin(), actors.end(),
                   [this](std::size_t a, std::size_t b) { return tracks_[a].first < tracks_[b].first; });
  std::vector<std::string> groups;                     // in order of first appearance
  std::map<std::string, std::vector<double>> lanes_of; // group -> last time of each lane
  std::vector<std::pair<std::string, std::size_t>> lane_of(tracks_.size());
  for (std::size_t t : actors) {
    const std::string& group = tracks_[t].group;
    if (!lanes_of.contains(group))
      groups.push_back(group);
    std::vector<double>& lanes = lanes_of[group];
    std::size_t lane = 0;
    while (lane < lanes.size() && !(lanes[lane] < tracks_[t].first))
      ++lane;
    if (lane == lanes.size())
      lanes.push_back(0);
    lanes[lane] = tracks_[t].last;
    lane_of[t] = {group, lane};
  }
  std::map<std::pair<std::string, std::size_t>, int> tid_of_lane;
  Json metadata = Json::array();
  auto name_event = [&metadata](const char* what, int pid, int tid, const std::string& name, int sort) {
    Json e{{"name", what}, {"ph", "M"}, {"ts", 0}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}};
    metadata.push_back(e);
    e["name"] = std::string(what) == "process_name" ? "process_sort_index" : "thread_sort_index";
    e["args"] = Json{{"sort_index", sort}};
    metadata.push_back(e);
  };
  name_event("process_name", kActorsPid, 0, options_.title, kActorsPid);
  name_event("process_name", kLocksPid, 0, "kernel locks (owner)", kLocksPid);
  name_event("process_name", kGuestsPid, 0, "guests (per window)", kGuestsPid);
  int next_tid = 1;
  for (const std::string& group : groups) {
    const std::size_t count = lanes_of[group].size();
    for (std::size_t lane = 0; lane < count; ++lane) {
      tid_of_lane[{group, lane}] = next_tid;
      name_event("thread_name", kActorsPid, next_tid,
                 count == 1 ? group : group + " [" + std::to_string(lane + 1) + "]", next_tid);
      ++next_tid;
    }
  }
  std::vector<int> tid(tracks_.size(), 0);
  for (std::size_t t : actors)
    tid[t] = tid_of_lane.at(lane_of[t]);
  for (const auto& [lock, t] : lock_tracks_) {
    tid[static_cast<std::size_t>(t)] = next_tid;
    name_event("thread_name", kLocksPid, next_tid, lock, next_tid);
    ++next_tid;
  }

  // One time order for the whole file; events of one track keep the order they happened in.
  std::vector<std::size_t> order(events_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [this](std::size_t a, std::size_t b) { return events_[a].time < events_[b].time; });
  Json trace_events = std::move(metadata);
  for (std::size_t i : order) {
    const Event& e = events_[i];
    if (e.phase == 0)
      continue;
    const Track& t = tracks_[static_cast<std::size_t>(e.track)];
    Json out{{"name", e.name},
             {"cat", e.category},
             {"ph", std::string(1, e.phase)},
             {"ts", microseconds(e.time)},
             {"pid", t.pid},
             {"tid", tid[static_cast<std::size_t>(e.track)]}};
    if (e.phase == 'i')
      out["s"] = std::string(1, e.scope);
    if (e.phase != 'E' && !e.args.is_null())
      out["args"] = e.args;
    trace_events.push_back(std::move(out));
  }
  Json other{{"generator", "apqsim"}};
  if (result.contains("manifest")) {
    const Json& m = result["manifest"];
    for (const char* key : {"version", "git_commit", "config_file", "config_sha256", "seed"})
      if (m.contains(key))
        other[key] = m[key].is_string() ? m[key].get<std::string>() : m[key].dump();
  }
  return Json{{"displayTimeUnit", "ns"}, {"otherData", other}, {"traceEvents", std::move(trace_events)}};
}

} // namespace apq
