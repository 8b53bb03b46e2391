#pragma once
// A run as a timeline for kernel developers (apqsim run --timeline FILE.json), in the Chrome trace-event format
// that Perfetto (ui.perfetto.dev) and chrome://tracing open: which operation held which lock when.
//
// Built from the run's two event sinks. Control-plane events (sim/control/control_plane.hpp) become, on a track
// per admin or vCPU actor, the admin's operation (all its attempts) with each invocation nested inside, and inside
// those the lock waits and holds with the strategy step's file:line; a failed trylock, an effect, a deadlock (with
// its cycle) or a stolen queue is an instant event. Each kernel lock has a track of its owners. Request events
// (sim/data_plane/trace.hpp) become counter tracks per guest: requests in flight (time-weighted mean over each
// window) and completions per window; usable queues per guest come from the result's time series when it has them.
//
// Every track is a stack: slices are balanced begin/end pairs, properly nested, timestamps never decrease. A lock
// released out of order (a strategy may unlock A before B while holding both) closes the slices opened after it
// and reopens them, marked "continued", so that nesting stays valid.

#include "analysis/report.hpp"
#include "sim/control/control_plane.hpp"
#include "sim/data_plane/trace.hpp"

#include <map>
#include <string>
#include <unordered_set>
#include <vector>

namespace apq {

class TimelineBuilder {
public:
  struct Options {
    double horizon = 0;
    double window = 1;               ///< counter resolution, seconds
    std::vector<std::string> guests; ///< names, by guest index
    std::string title;               ///< shown as the control plane's process name
  };
  explicit TimelineBuilder(Options options);

  void on_control(const ControlEvent& event);
  void on_request(const TraceEvent& event);

  /** Closes what is still open at the horizon (operations that never returned are "hung"), adds the counters and
   *  `result`'s manifest, and returns the trace document. `result` is the run's JSON document (to_json). */
  Json finish(const Json& result);

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
    int attempts = 0; ///< admin operation: attempts so far
  };
  struct GuestCounters {
    long in_flight = 0;
    double since = 0;                    ///< time of the last change of in_flight
    std::size_t window = 0;              ///< the window `since` is in
    std::vector<double> area;            ///< in_flight x seconds, per window
    std::vector<uint64_t> collects;      ///< per window
    std::unordered_set<uint64_t> issued; ///< requests in flight, by index
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
  /** Closes every open slice of the track at the horizon: operations "hung", waits not acquired, locks not
   *  released. */
  void close_all(double time, int track);
  void advance_in_flight(GuestCounters& guest, double time);

  Options options_;
  std::vector<Track> tracks_;
  std::map<std::string, int> actor_tracks_, lock_tracks_;
  std::map<std::string, std::string> waiting_for_; ///< actor -> lock it waits for
  std::vector<Event> events_;
  std::vector<GuestCounters> guests_;
};

} // namespace apq
