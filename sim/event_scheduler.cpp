#include "sim/event_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/simix.hpp>
#include <stdexcept>
#include <xbt/config.hpp>

namespace apq {

using simgrid::kernel::timer::Timer;

EventScheduler::EventScheduler(double horizon)
    : horizon_(horizon), engine_(simgrid::s4u::Engine::get_instance()),
      wake_margin_(2 * simgrid::config::get_value<double>("surf/precision")) {}

EventScheduler::~EventScheduler() {
  // A timer left armed would call back into a dead object if the engine ran on.
  if (armed_ != nullptr)
    armed_->remove();
}

double EventScheduler::engine_clock() {
  return simgrid::s4u::Engine::get_clock();
}

void EventScheduler::actor_woke(double date) {
  const auto it = wake_dates_.find(date);
  if (it == wake_dates_.end())
    throw std::logic_error("EventScheduler: an actor woke from a sleep it had not announced");
  wake_dates_.erase(it);
}

void EventScheduler::in_engine(Callback work) {
  if (!running_ || now_ <= simgrid::s4u::Engine::get_clock()) {
    work();
    actor_runnable_ = running_; // the rest of this round runs only what is due at SimGrid's clock
    return;
  }
  in_engine_.push_back(std::move(work));
  in_engine_date_ = now_;
}

void EventScheduler::at(double date, EventCallback callback) {
  date = std::max(date, now());
  if (date >= horizon_) // the run covers [0, horizon)
    return;
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::move(callback));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(callback);
  }
  heap_.push_back(Entry{date, next_seq_++, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  // While events are being run, arm() is called once at the end; an earlier date needs re-arming otherwise.
  if (!running_ && (armed_ == nullptr || date < armed_date_))
    arm();
}

void EventScheduler::bound_batch(double clock) {
  // Fixed for the batch: no actor runs during it, so none starts or ends a sleep or a wait.
  ahead_until_ = -1; // nothing ahead of the clock
  const std::size_t actors = engine_->get_actor_count();
  if (!exclusive_ && wake_dates_.size() + blocked_ != actors)
    return; // some actor may run before the next date: only its own round is safe
  ahead_until_ = std::numeric_limits<double>::infinity();
  if (!wake_dates_.empty()) {
    // Short of the first wake-up by more than SimGrid's tolerance: that actor wakes first (or in the same round).
    const double wake = *wake_dates_.begin();
    ahead_until_ = std::nextafter(wake - (wake_margin_ + 1e-12 * wake), -std::numeric_limits<double>::infinity());
  }
  if (!exclusive_ && clock > 0)
    ahead_until_ = std::min(ahead_until_, 2 * clock); // see step_date()
  // Another kernel timer (the horizon's, say) fires first, at its date. Events set none.
  if (const double other_timer = Timer::next(); other_timer >= 0)
    ahead_until_ = std::min(ahead_until_, std::nextafter(other_timer, -std::numeric_limits<double>::infinity()));
}

bool EventScheduler::may_run(double date, double clock) const {
  if (date <= clock)
    return true;
  if (!in_engine_.empty()) // an actor starts at that date: finish the date, then let SimGrid get there
    return date <= in_engine_date_;
  return !actor_runnable_ && date <= ahead_until_;
}

void EventScheduler::run_due_events() {
  armed_ = nullptr; // SimGrid deletes a timer once it fired
  const double clock = simgrid::s4u::Engine::get_clock();
  running_ = true;
  actor_runnable_ = false;
  if (!in_engine_.empty() && in_engine_date_ <= clock) {
    // What an event of the last batch did ahead of SimGrid's clock, now at the date it did it.
    now_ = in_engine_date_;
    std::vector<Callback> work;
    work.swap(in_engine_);
    for (Callback& item : work)
      item();
    actor_runnable_ = true;
  }
  bound_batch(clock);
  const std::size_t actors = engine_->get_actor_count();
  while (!heap_.empty() && may_run(heap_.front().date, clock)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    now_ = heap_.back().date;
    const uint32_t slot = heap_.back().slot;
    heap_.pop_back();
    EventCallback callback = std::move(slots_[slot]);
    free_slots_.push_back(slot);
    ++events_run_;
    if (progress_ && (events_run_ & 0xffff) == 0)
      progress_(now_);
    callback(); // may schedule more events, at this date too: they run in this loop, after the others
  }
  // Checked once per batch: the run stops with the batch that broke the rule.
  if (exclusive_ && engine_->get_actor_count() > 0)
    throw std::logic_error("EventScheduler: an actor was created while events ran in exclusive mode");
  if (!exclusive_ && !actor_runnable_ && engine_->get_actor_count() != actors)
    throw std::logic_error("EventScheduler: an event created an actor outside in_engine (maybe ahead of SimGrid's "
                           "clock)");
  running_ = false;
  arm();
}

double EventScheduler::step_date(double clock) const {
  // SimGrid moves its clock by now += (date - now). That sum is `date` exactly when date <= 2 * now (Sterbenz), not
  // always beyond: then an actor would see a clock one ulp off what one round per event gave it (each event's round
  // was close before). So the clock never more than doubles in one round: a round with nothing due at 2 * now at
  // most, about 25 of them in a run, nearly all in its first microseconds.
  if (clock <= 0)
    return std::numeric_limits<double>::infinity(); // 0 + date is exact
  double step = 2 * clock;
  // Not within a sleep's end tolerance either: a round there would end that sleep early.
  const auto near = wake_dates_.lower_bound(step - 2 * wake_margin_);
  if (near != wake_dates_.end() && *near <= step + 2 * wake_margin_ && *near - 3 * wake_margin_ > clock)
    step = *near - 3 * wake_margin_;
  return step;
}

void EventScheduler::arm() {
  if (heap_.empty() && in_engine_.empty())
    return;
  double date = in_engine_.empty() ? heap_.front().date : in_engine_date_;
  if (!exclusive_)
    date = std::min(date, step_date(simgrid::s4u::Engine::get_clock()));
  auto set_timer = [this, date] {
    if (armed_ != nullptr)
      armed_->remove();
    armed_ = Timer::set(date, [this] { run_due_events(); });
    armed_date_ = date;
  };
  // Timers belong to the maestro; from an actor (the control plane) go through a simcall.
  if (simgrid::s4u::Actor::is_maestro())
    set_timer();
  else
    simgrid::kernel::actor::simcall_answered(set_timer);
}

} // namespace apq
