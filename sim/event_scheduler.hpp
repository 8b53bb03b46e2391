#pragma once
// The data plane's event list: request arrivals, engine completions, poll ticks and notifications are plain
// callbacks, not actors (an actor wake-up costs about 3.5x a kernel timer, see sim/README.md).

#include <cstdint>
#include <functional>
#include <vector>

namespace simgrid::kernel::timer {
class Timer;
}

namespace apq {

/** Events ordered by (date, scheduling order) on top of SimGrid's clock.
 *
 * SimGrid fires kernel timers of equal date in an arbitrary (if repeatable) order. We keep our own heap and arm a
 * single SimGrid timer at its earliest date, so equal-date events run in the order they were scheduled and a
 * scripted interleaving means exactly what it says. SimGrid stays the clock, so actors of the control plane and
 * these events share one timeline.
 *
 * A SimGrid scheduling round costs about 300 ns even when only a timer fires (measured here; every model is asked
 * for its next event). When no actor exists the round can do nothing but fire our timer, so in exclusive mode the
 * scheduler runs on through later events in the same round, keeping its own clock, until another kernel timer is
 * due. A data-plane-only run (capacity planning, validation, the baseline) thus pays SimGrid once per batch.
 */
class EventScheduler {
public:
  using Callback = std::function<void()>;

  /** Events dated at or after `horizon` are dropped: the run covers [0, horizon). */
  explicit EventScheduler(double horizon);
  ~EventScheduler();
  EventScheduler(const EventScheduler&) = delete;
  EventScheduler& operator=(const EventScheduler&) = delete;

  /** Runs `callback` at absolute simulated date `date` (a past date means now). */
  void at(double date, Callback callback);
  void after(double delay, Callback callback) { at(now() + delay, std::move(callback)); }

  /** The date of the event being run, else SimGrid's clock. */
  double now() const;
  double horizon() const { return horizon_; }

  /** Promise that no actor exists while events run (checked: creating one then throws std::logic_error). */
  void set_exclusive(bool exclusive) { exclusive_ = exclusive; }
  uint64_t events_run() const { return events_run_; }
  /** Calls `callback(now)` every 65536 events, for a progress line; it must not schedule anything. */
  void set_progress(std::function<void(double now)> callback) { progress_ = std::move(callback); }

private:
  // The heap orders small plain entries; callbacks stay put in slots (moving a std::function on every sift
  // step cost a third of the data plane's time).
  struct Entry {
    double date;
    uint64_t seq;
    uint32_t slot;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.date > b.date || (a.date == b.date && a.seq > b.seq);
    }
  };

  void run_due_events();
  void arm();

  double horizon_;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::vector<Entry> heap_;
  std::vector<Callback> slots_;
  std::vector<uint32_t> free_slots_;
  simgrid::kernel::timer::Timer* armed_ = nullptr;
  double armed_date_ = 0;
  double now_ = 0;
  bool running_ = false;
  bool exclusive_ = false;
  std::function<void(double)> progress_;
};

} // namespace apq
