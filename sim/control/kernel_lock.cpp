#include "sim/control/kernel_lock.hpp"

#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>

#include <stdexcept>

namespace apq {

namespace sg4 = simgrid::s4u;

// Every bookkeeping change below happens in the calling actor BEFORE its SimGrid simcall. SimGrid handles the
// simcalls of a scheduling round in the order the actors ran, so owner_ and waiters_ always predict the kernel's
// state: an actor running later in the same round sees the owner the kernel will see when handling its call.
// Updating after the simcall returned would leave a window (the actor resumes one round later) in which another
// actor reads a stale owner. The internal checks below verify that prediction on every call.

KernelLock::KernelLock(std::string name, std::string lock_class, LockMonitor& monitor)
    : name_(std::move(name)), class_(std::move(lock_class)), monitor_(&monitor),
      class_id_(monitor.register_lock(this, class_)), mutex_(sg4::Mutex::create()) {}

KernelLock::~KernelLock() {
  if (monitor_ != nullptr)
    monitor_->unregister_lock(this);
}

aid_t KernelLock::caller(const char* where) const {
  // A blocking call from maestro aborts SimGrid, and unlocking an actor's mutex there aborts too (notes §3).
  if (sg4::this_actor::is_maestro())
    throw std::logic_error(std::string(where) + ": lock '" + name_ + "' used outside an actor (timer callback?)");
  return sg4::this_actor::get_pid();
}

std::string KernelLock::describe(aid_t actor) const {
  return "actor '" + monitor_->actor_label(actor) + "' (pid " + std::to_string(actor) + ")";
}

bool KernelLock::held_by_current_actor() const {
  return !sg4::this_actor::is_maestro() && owner_ == sg4::this_actor::get_pid();
}

void KernelLock::lock(const std::string& op) {
  const aid_t me = caller("KernelLock::lock()");
  LockMonitor::ActorState& state = monitor_->touch(me);
  // SimGrid 3.32 would return at once and leave a stale queue entry that later aborts the process (notes §1);
  // the kernel would self-deadlock. Either way it is a bug in the strategy or the code running it.
  if (owner_ == me)
    throw std::logic_error("KernelLock::lock(): " + describe(me) + " already holds '" + name_ + "' (op '" + op +
                           "'); relocking it would deadlock on itself");
  monitor_->check_order(me, state, *this, op);
  const double asked = sg4::Engine::get_clock();
  if (owner_ != -1) {
    ++stats_.contentions;
    monitor_->check_deadlock(me, *this, op);
    waiters_.push_back(me);
    monitor_->start_waiting(state, this, op);
  } else {
    owner_ = me;
    acquired_at_ = asked;
    monitor_->acquired(state, this, op);
  }
  mutex_->lock();
  if (owner_ != me)
    throw std::logic_error("KernelLock::lock(): internal error, SimGrid gave '" + name_ + "' to " + describe(me) +
                           " but our bookkeeping says " + (owner_ == -1 ? "nobody" : describe(owner_)));
  ++stats_.acquisitions;
  stats_.wait.record(sg4::Engine::get_clock() - asked);
}

bool KernelLock::try_lock(const std::string& op) {
  const aid_t me = caller("KernelLock::try_lock()");
  LockMonitor::ActorState& state = monitor_->touch(me);
  const bool free = owner_ == -1;
  if (free) {
    owner_ = me;
    acquired_at_ = sg4::Engine::get_clock();
    ++stats_.acquisitions;
    monitor_->acquired(state, this, op);
  } else {
    ++stats_.trylock_failures;
  }
  // Still asked when we know the answer, so that a trylock costs the same simcall (and scheduling round) as in
  // plain SimGrid, and the prediction gets checked.
  if (mutex_->try_lock() != free)
    throw std::logic_error("KernelLock::try_lock(): internal error, SimGrid and our bookkeeping disagree on '" + name_ +
                           "' for " + describe(me));
  return free;
}

void KernelLock::unlock() {
  const aid_t me = caller("KernelLock::unlock()");
  // SimGrid would abort the process (xbt_assert, not catchable) on an unlock by a non-owner (notes §1).
  if (owner_ != me) {
    monitor_->touch(me); // so that the message names it even if it never locked anything
    throw std::logic_error("KernelLock::unlock(): " + describe(me) + " does not hold '" + name_ + "' (" +
                           (owner_ == -1 ? std::string("it is free") : "held by " + describe(owner_)) + ")");
  }
  const double now = sg4::Engine::get_clock();
  stats_.hold.record(now - acquired_at_);
  monitor_->released(me, this);
  if (waiters_.empty()) {
    owner_ = -1;
  } else {
    // SimGrid hands the mutex to its first waiter inside unlock(); the waiter owns it from now on, even though
    // it only resumes in the next scheduling round (same date).
    owner_ = waiters_.front();
    waiters_.pop_front();
    acquired_at_ = now;
    monitor_->handed_off(owner_, this);
  }
  mutex_->unlock();
}

} // namespace apq
