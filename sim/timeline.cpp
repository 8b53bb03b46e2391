#include "sim/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace apq {

namespace {

constexpr int kActorsPid = 1;
constexpr int kLocksPid = 2;
constexpr int kGuestsPid = 3;

/** Tasks of one admin process share lanes: "assigner#17" and "assigner#18" are both "assigner", the vCPU
 *  intercept "vcpu:web aqic 02.0004#37" is "vcpu:web", the scan "ap_bus scan #4" is "ap_bus". */
std::string group_of(const std::string& actor) {
  return actor.substr(0, actor.find_first_of(" #"));
}

/** Microseconds, rounded to the nanosecond: the trace format's unit, without binary noise. */
double microseconds(double seconds) {
  return std::round(seconds * 1e9) / 1e3;
}

Json result_args(const std::string& result) {
  Json args{{"result", result}};
  if (result != "ok" && result != "hung" && result != "oops")
    args["errno"] = "-" + result;
  return args;
}

/** How a lock step asks (ControlEvent::what): "" for a mutex, "read" or "write" for a rw_semaphore; nullptr if
 *  the event is no lock request. */
const char* request_mode(const std::string& what) {
  if (what == "lock")
    return "";
  if (what == "down_read")
    return "read";
  if (what == "down_write")
    return "write";
  return nullptr;
}

bool is_release(const std::string& what) {
  return what == "unlock" || what == "up_read" || what == "up_write";
}

} // namespace

TimelineBuilder::TimelineBuilder(Options options) : options_(std::move(options)) {}

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
  Track& t = tracks_[static_cast<std::size_t>(track)];
  while (!t.stack.empty()) {
    const std::string& kind = t.stack.back().kind;
    Event& begin = events_[t.stack.back().begin];
    if (kind == "admin" || kind == "op")
      begin.args.update(result_args(t.dead ? "oops" : "hung"));
    else
      begin.args[kind == "wait" ? "acquired" : "released"] = false;
    emit(time, 'E', track, begin.name, begin.category);
    t.stack.pop_back();
  }
}

void TimelineBuilder::on_control(const ControlEvent& e) {
  const int track = actor_track(e.actor);
  auto where = [&e](Json args) {
    if (!e.where.empty())
      args["where"] = e.where;
    return args;
  };
  auto lock_args = [&e, &where](const std::string& mode) {
    Json args{{"lock", e.detail}};
    if (!mode.empty())
      args["mode"] = mode;
    return where(std::move(args));
  };
  auto stack = [this, track]() -> std::vector<OpenSlice>& { return tracks_[static_cast<std::size_t>(track)].stack; };
  auto state = [this, track]() -> Track& { return tracks_[static_cast<std::size_t>(track)]; };
  if (e.what == "attempt") {
    const bool first =
        std::none_of(stack().begin(), stack().end(), [](const OpenSlice& s) { return s.kind == "admin"; });
    if (first) {
      state().attempts = 0;
      open(e.time, track, "admin", "", e.op + " " + e.detail, "admin",
           where(Json{{"actor", e.actor}, {"op", e.op}, {"target", e.detail}}));
    }
    ++state().attempts;
  } else if (e.what == "outcome") {
    Json args = result_args(e.detail);
    args["attempts"] = state().attempts;
    close(e.time, track, "admin", "", args);
  } else if (e.what == "start") {
    open(e.time, track, "op", "", e.op, "op", where(Json{{"actor", e.actor}}));
  } else if (e.what == "end") {
    close(e.time, track, "op", "", result_args(e.detail));
  } else if (const char* mode = request_mode(e.what)) {
    state().lock = e.detail;
    state().mode = mode;
    state().asked_at = e.time;
    open(e.time, track, "wait", e.detail, "wait " + (state().mode.empty() ? "" : state().mode + " ") + e.detail,
         "lock_wait", lock_args(state().mode));
  } else if (e.what == "trylock") {
    state().lock = e.detail; // mutex_trylock: no wait, and never a rw_semaphore (models/strategy.cpp)
    state().mode.clear();
    state().asked_at = -1;
  } else if (e.what == "acquired") {
    const std::string mode = state().lock == e.detail ? state().mode : std::string();
    if (!stack().empty() && stack().back().kind == "wait" && stack().back().key == e.detail) {
      if (events_[stack().back().begin].time == e.time) {
        events_[stack().back().begin].phase = 0; // granted at once: no wait to show
        stack().pop_back();
      } else {
        close(e.time, track, "wait", e.detail, Json::object());
      }
    }
    open(e.time, track, "hold", e.detail, (mode.empty() ? "hold" : mode) + " " + e.detail, "lock_hold",
         lock_args(mode));
    Json owner = where(Json{{"actor", e.actor}, {"op", e.op}});
    if (!mode.empty())
      owner["mode"] = mode;
    open(e.time, lock_track(e.detail), "owner", e.detail + "|" + e.actor,
         e.actor + ": " + e.op + (mode == "read" ? " (read)" : ""), "lock_owner", std::move(owner));
  } else if (is_release(e.what)) {
    close(e.time, track, "hold", e.detail, e.where.empty() ? Json::object() : Json{{"released_at", e.where}});
    close(e.time, lock_track(e.detail), "owner", e.detail + "|" + e.actor, Json::object());
  } else if (e.what == "busy") {
    const Json args = where(Json{{"lock", e.detail}, {"actor", e.actor}, {"op", e.op}});
    emit(e.time, 'i', track, "trylock " + e.detail + " busy", "trylock", args);
    emit(e.time, 'i', lock_track(e.detail), "trylock busy: " + e.actor, "trylock", args);
  } else if (e.what == "deadlock" || e.what == "stolen_queue" || e.what == "oops") {
    const std::string name = e.what == "deadlock" ? "DEADLOCK" : e.what == "oops" ? "KERNEL BUG" : "STOLEN QUEUE";
    const char* key = e.what == "deadlock" ? "cycle" : e.what == "oops" ? "what" : "queue";
    const Json args = where(Json{{key, e.detail}, {"actor", e.actor}, {"op", e.op}});
    emit(e.time, 'i', track, name, "violation", args);
    emit(e.time, 'i', track, name, "violation", args, 'g');
    if (e.what == "oops")
      state().dead = true; // the task dies holding its locks: what it has open never ends
  } else {
    emit(e.time, 'i', track, e.what == "effect" ? e.detail : e.what + " " + e.detail, e.what,
         where(Json{{"op", e.op}}));
  }
}

void TimelineBuilder::counters(const Json& series) {
  const double window = series.value("window_s", 0.0);
  if (!series.contains("guests") || !(window > 0))
    return;
  Track guests;
  guests.pid = kGuestsPid;
  guests.name = guests.group = "guests";
  tracks_.push_back(std::move(guests));
  const int track = static_cast<int>(tracks_.size()) - 1;
  const double end = options_.horizon;
  // Completions count over a window: a sample at its start. Levels (in flight, usable queues) are the series' at
  // the window's end: a sample there.
  for (const auto& guest : series["guests"].items()) {
    const std::string& name = guest.key();
    const Json& columns = guest.value();
    auto samples = [&, this](const char* column, const std::string& counter, const char* unit, bool level) {
      if (!columns.contains(column))
        return;
      const Json& values = columns[column];
      for (std::size_t w = 0; w < values.size(); ++w) {
        const double from = static_cast<double>(w) * window;
        const double at = level ? std::min(end, from + window) : from;
        if (values[w].is_number())
          emit(at, 'C', track, name + " " + counter, "counter", Json{{unit, values[w]}});
      }
    };
    samples("in_flight", "in flight", "requests", true);
    samples("usable_queues", "usable queues", "queues", true);
    samples("completed", "completions", "per window", false);
  }
}

std::string TimelineBuilder::finish(const Json& result) {
  const double end = options_.horizon;
  for (std::size_t t = 0; t < tracks_.size(); ++t)
    if (!tracks_[t].stack.empty())
      close_all(end, static_cast<int>(t));
  if (result.contains("series"))
    counters(result["series"]);
  // Lock-order inversions are the lock monitor's findings, not steps: from the result, on the first lock's track.
  if (result.contains("monitors") && result["monitors"].contains("lock_order_inversions"))
    for (const Json& inversion : result["monitors"]["lock_order_inversions"]) {
      const std::vector<std::string> locks = inversion.value("locks", std::vector<std::string>{});
      std::string cycle;
      for (const std::string& lock : locks)
        cycle += (cycle.empty() ? "" : " -> ") + lock;
      emit(inversion.value("time_s", 0.0), 'i', lock_track(locks.empty() ? "?" : locks.front()), "LOCK ORDER INVERSION",
           "violation",
           Json{{"cycle", cycle},
                {"established_by", inversion.value("established_by", "")},
                {"inverted_by", inversion.value("inverted_by", "")}},
           'g');
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
  // Written as text, an event a line: a storm's timeline has a few hundred thousand events, and a JSON tree of them
  // would take several times the memory of the text.
  Json other{{"generator", "apqsim"}};
  if (result.contains("manifest")) {
    const Json& m = result["manifest"];
    for (const char* key : {"version", "git_commit", "config_file", "config_sha256", "seed"})
      if (m.contains(key))
        other[key] = m[key].is_string() ? m[key].get<std::string>() : m[key].dump();
  }
  std::string text = "{\"displayTimeUnit\": \"ns\", \"otherData\": " + other.dump() + ", \"traceEvents\": [\n";
  bool first = true;
  auto add = [&text, &first](const Json& event) {
    text += first ? "" : ",\n";
    text += event.dump();
    first = false;
  };
  for (const Json& e : metadata)
    add(e);
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
    add(out);
  }
  return text + "\n]}\n";
}

} // namespace apq
