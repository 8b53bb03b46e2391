#pragma once
// A run as a timeline for kernel developers (apqsim run --timeline FILE.json), in the Chrome trace-event format
// that Perfetto (ui.perfetto.dev) and chrome://tracing open: which operation held which lock when.
//
// Built from the control plane's events (ControlEvent, sim/control/interpreter.hpp): on a track per admin, AP bus
// scan or vCPU task, the admin's operation (all its attempts) with each invocation nested inside (calls nested in
// their callers), and inside those the lock waits and holds (mutexes; rw_semaphores as read or write holds) with
// the strategy step's file:line; a failed trylock, an effect, a deadlock (with its cycle), a stolen queue or a
// kernel bug is an instant event. Each kernel lock has a track of its owners. The guests' counter tracks (requests
// in flight, usable queues, completions per window) are the run's time series (result["series"]), one sample per
// series window.
//
// Every track is a stack: slices are balanced begin/end pairs, properly nested, timestamps never decrease. A lock
// released out of order (a strategy may unlock A before B while holding both) closes the slices opened after it
// and reopens them, marked "continued", so that nesting stays valid.

#include "analysis/report.hpp"
#include "sim/control/interpreter.hpp"

#include <map>
#include <string>
#include <vector>

namespace apq {

class TimelineBuilder {
public:
  struct Options {
    double horizon = 0;
    std::string title; ///< shown as the control plane's process name
  };
  explicit TimelineBuilder(Options options);

  void on_control(const ControlEvent& event);

  /** Closes what is still open at the horizon (operations that never returned are "hung", or "oops" for a task
   *  that died in the kernel), adds the counters from `result`'s series and its manifest, and returns the trace
   *  document as JSON text. `result` is the run's JSON document (to_json). */
  std::string finish(const Json& result);

private:
  struct Event {
    double time = 0;
    char phase = 'B'; ///< B, E, i (instant), C (counter); 0: dropped
    int track = 0;
    std::string name;
    std::string category;
    Json args;
    char scope = 't'; ///< instants: t (thread) or g (global)
  };
  struct OpenSlice {
    std::size_t begin; ///< index of its B event
    std::string kind;  ///< admin, op, wait, hold, owner
    std::string key;   ///< lock name for wait, hold and owner
  };
  struct Track {
    int pid = 0;
    std::string name;
    std::string group; ///< actor tracks share lanes within a group
    std::vector<OpenSlice> stack;
    double first = 0, last = 0;
    bool seen = false;
    int attempts = 0;     ///< admin operation: attempts so far
    bool dead = false;    ///< the task died in the kernel (oops): what it had open never ends
    std::string lock;     ///< the lock the task asked for last (request or trylock) ...
    std::string mode;     ///< ... and how: "" (a mutex), "read" or "write" (a rw_semaphore)
    double asked_at = -1; ///< when: an acquire at the same instant had no wait
  };

  int actor_track(const std::string& actor);
  int lock_track(const std::string& lock);
  std::size_t emit(double time, char phase, int track, std::string name, std::string category, Json args = {},
                   char scope = 't');
  void open(double time, int track, const std::string& kind, const std::string& key, std::string name,
            std::string category, Json args);
  /** Closes the topmost slice of `kind` (and `key`, if given) with `args` merged into its begin event; slices above
   *  it are closed and reopened as "continued". Returns false if there is none. */
  bool close(double time, int track, const std::string& kind, const std::string& key, const Json& args);
  /** Closes every open slice of the track at the horizon: operations "hung" (or "oops"), waits not acquired, locks
   *  not released. */
  void close_all(double time, int track);
  void counters(const Json& series);

  Options options_;
  std::vector<Track> tracks_;
  std::map<std::string, int> actor_tracks_, lock_tracks_;
  std::vector<Event> events_;
};

} // namespace apq
