#pragma once
// The data plane's event list: request arrivals, engine completions, poll ticks and notifications are plain
// callbacks, not actors (an actor wake-up costs about 3.5x a kernel timer, see sim/README.md).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <type_traits>
#include <utility>
#include <vector>

namespace simgrid::kernel::timer {
class Timer;
}
namespace simgrid::s4u {
class Engine;
}

namespace apq {

/** A scheduled callback. The data plane's closures (`this` and a few ids, trivially copyable) live inline, moved
 * as plain bytes; anything else goes to the heap as a std::function. A std::function keeps only 16 bytes inline,
 * so an engine completion's closure (`this`, card, request, generation) cost a heap allocation per request. */
class EventCallback {
public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, EventCallback>>>
  EventCallback(F&& f) { // NOLINT(google-explicit-constructor): lambdas convert implicitly, like std::function
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInline && alignof(Fn) <= alignof(void*) && std::is_trivially_copyable_v<Fn> &&
                  std::is_trivially_destructible_v<Fn>) {
      ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
      invoke_ = [](void* self) { (*static_cast<Fn*>(self))(); };
    } else {
      auto* boxed = new std::function<void()>(std::forward<F>(f));
      std::memcpy(storage_, &boxed, sizeof boxed);
      invoke_ = [](void* self) { (**static_cast<std::function<void()>**>(self))(); };
      destroy_ = [](void* self) { delete *static_cast<std::function<void()>**>(self); };
    }
  }
  EventCallback(EventCallback&& other) noexcept { take(other); }
  EventCallback& operator=(EventCallback&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  EventCallback(const EventCallback&) = delete;
  EventCallback& operator=(const EventCallback&) = delete;
  ~EventCallback() { release(); }

  void operator()() { invoke_(storage_); }

private:
  static constexpr std::size_t kInline = 24;

  void take(EventCallback& other) {
    std::memcpy(storage_, other.storage_, kInline);
    invoke_ = other.invoke_;
    destroy_ = std::exchange(other.destroy_, nullptr); // the heap closure, if any, changes hands
  }
  void release() {
    if (destroy_ != nullptr)
      destroy_(storage_);
    destroy_ = nullptr;
  }

  alignas(void*) unsigned char storage_[kInline];
  void (*invoke_)(void*) = nullptr;
  void (*destroy_)(void*) = nullptr; ///< null: nothing to free
};

/** Events ordered by (date, scheduling order) on top of SimGrid's clock.
 *
 * SimGrid fires kernel timers of equal date in an arbitrary (if repeatable) order. We keep our own heap and arm a
 * single SimGrid timer at its earliest date, so equal-date events run in the order they were scheduled and a
 * scripted interleaving means exactly what it says. SimGrid stays the clock, so actors of the control plane and
 * these events share one timeline.
 *
 * A SimGrid scheduling round costs about 300-500 ns even when only a timer fires (measured here; every model is
 * asked for its next event). While no actor can run, a round can do nothing but fire our timer, so the scheduler
 * runs on through later events in the same round ("ahead" of SimGrid's clock, keeping its own), until the first of:
 *  - another kernel timer (the horizon's, say);
 *  - the earliest date at which a sleeping actor of the control plane wakes up (actors tell it with
 *    actor_sleeps_until; an actor blocked on a semaphore can only be woken by another actor, which cannot run
 *    during a batch);
 *  - an event that makes an actor runnable (in_engine): the batch finishes that event's date and stops there.
 * Events then run in the same order and at the same dates as one round per date would run them, and the actors
 * see the same clock. A data-plane-only run (capacity planning, validation, the baseline) thus pays SimGrid once
 * per batch, and a reconfiguration run once per actor wake-up.
 */
class EventScheduler {
public:
  using Callback = std::function<void()>;

  /** Events dated at or after `horizon` are dropped: the run covers [0, horizon). Construct after the engine. */
  explicit EventScheduler(double horizon);
  ~EventScheduler();
  EventScheduler(const EventScheduler&) = delete;
  EventScheduler& operator=(const EventScheduler&) = delete;

  /** Runs `callback` at absolute simulated date `date` (a past date means now). */
  void at(double date, EventCallback callback);
  void after(double delay, EventCallback callback) { at(now() + delay, std::move(callback)); }

  /** The date of the event being run, else SimGrid's clock. */
  double now() const { return running_ ? now_ : engine_clock(); }
  double horizon() const { return horizon_; }

  /** An actor goes to sleep until `date` (SimGrid's sleep; pair with actor_woke): the scheduler may run events that
   *  come before it without a SimGrid round each. One actor that sleeps or waits untold keeps the scheduler to one
   *  round per date. */
  void actor_sleeps_until(double date) { wake_dates_.insert(date); }
  void actor_woke(double date);
  /** An actor waits for another actor (a semaphore another actor releases; pair with actor_unblocked). Batches run
   *  ahead only while every actor is asleep or blocked so, told through these calls. */
  void actor_blocked() { ++blocked_; }
  void actor_unblocked() { --blocked_; }

  /** Runs `work`, which creates or wakes an actor, as the event being run would at its date in a round of its own:
   *  at once if SimGrid's clock is there (or outside events), else from the SimGrid round at that date, after the
   *  other events of that date (as one round per date runs them: actors run after the round's timers). */
  void in_engine(Callback work);

  /** Promise that no actor exists while events run (checked: creating one then throws std::logic_error). */
  void set_exclusive(bool exclusive) { exclusive_ = exclusive; }
  uint64_t events_run() const { return events_run_; }
  /** Calls `callback(now)` every 65536 events, for a progress line; it must not schedule anything. */
  void set_progress(std::function<void(double now)> callback) { progress_ = std::move(callback); }

private:
  // The heap orders small plain entries; callbacks stay put in slots (moving a callback on every sift step cost a
  // third of the data plane's time).
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

  static double engine_clock();
  void run_due_events();
  void arm();
  /** Sets ahead_until_ for a batch starting at SimGrid's `clock`. */
  void bound_batch(double clock);
  /** Whether an event at `date` may run now, SimGrid's clock being at `clock`. */
  bool may_run(double date, double clock) const;
  /** The latest date SimGrid's clock may move to from `clock` in one round. */
  double step_date(double clock) const;

  double horizon_;
  simgrid::s4u::Engine* engine_;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::vector<Entry> heap_;
  std::vector<EventCallback> slots_;
  std::vector<uint32_t> free_slots_;
  simgrid::kernel::timer::Timer* armed_ = nullptr;
  double armed_date_ = 0;
  double now_ = 0;
  bool running_ = false;
  bool exclusive_ = false;
  std::function<void(double)> progress_;
  std::multiset<double> wake_dates_; // of the actors asleep
  std::size_t blocked_ = 0;          // actors waiting for another actor
  // SimGrid ends a sleep in a round whose clock is within this of its end date (CpuModel::update_actions_state_lazy
  // compares with surf/precision): a batch stops short of every wake date by more than that.
  double wake_margin_ = 0;
  bool actor_runnable_ = false;     // an event of this batch made one: no running ahead any more
  double ahead_until_ = -1;         // the last date this batch may run ahead of SimGrid's clock
  std::vector<Callback> in_engine_; // deferred to the round at in_engine_date_
  double in_engine_date_ = 0;
};

} // namespace apq
