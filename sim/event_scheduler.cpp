#include "sim/event_scheduler.hpp"

#include <algorithm>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/simix.hpp>
#include <stdexcept>

namespace apq {

using simgrid::kernel::timer::Timer;

EventScheduler::EventScheduler(double horizon) : horizon_(horizon) {}

EventScheduler::~EventScheduler() {
  // A timer left armed would call back into a dead object if the engine ran on.
  if (armed_ != nullptr)
    armed_->remove();
}

double EventScheduler::now() const {
  return running_ ? now_ : simgrid::s4u::Engine::get_clock();
}

void EventScheduler::at(double date, Callback callback) {
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

void EventScheduler::run_due_events() {
  armed_ = nullptr; // SimGrid deletes a timer once it fired
  const double clock = simgrid::s4u::Engine::get_clock();
  auto may_run = [this, clock](double date) {
    if (date <= clock)
      return true;
    if (!exclusive_)
      return false;
    const double other_timer = Timer::next(); // -1 when none
    return other_timer < 0 || date < other_timer;
  };
  running_ = true;
  while (!heap_.empty() && may_run(heap_.front().date)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    now_ = heap_.back().date;
    const uint32_t slot = heap_.back().slot;
    heap_.pop_back();
    Callback callback = std::move(slots_[slot]);
    free_slots_.push_back(slot);
    ++events_run_;
    if (progress_ && (events_run_ & 0xffff) == 0)
      progress_(now_);
    callback(); // may schedule more events, at this date too: they run in this loop, after the others
    if (exclusive_ && simgrid::s4u::Engine::get_instance()->get_actor_count() > 0)
      throw std::logic_error("EventScheduler: an actor was created while events ran in exclusive mode");
  }
  running_ = false;
  arm();
}

void EventScheduler::arm() {
  if (heap_.empty())
    return;
  const double date = heap_.front().date;
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
