#pragma once
// A kernel mutex of the control plane (ap_perms_mutex, matrix_dev->lock, guests_lock, kvm->lock, mdevs_lock,
// ap_scan_bus_mutex): an s4u::Mutex (FIFO hand-off, zero simulated cost) plus the owner and waiter bookkeeping
// SimGrid 3.32 does not expose, reported to a LockMonitor for deadlock and lock-order checks and statistics.

#include "sim/control/lock_monitor.hpp"

#include <simgrid/s4u/Mutex.hpp>

#include <deque>
#include <string>

namespace apq {

/** @brief A named mutex of a lock class, used only from actors.
 *
 * The instance name identifies the object ("kvm:web"), the class groups instances for lock ordering and
 * statistics ("kvm"), as lockdep does. Misuse that SimGrid 3.32 would turn into a silent corruption or an
 * uncatchable abort (relocking, unlocking someone else's lock: simgrid-3.32-notes.md §1) throws
 * std::logic_error before SimGrid is called.
 *
 * Never kill an actor that holds or waits on a KernelLock: SimGrid 3.32 then loses the mutex for good.
 */
class KernelLock {
public:
  KernelLock(std::string name, std::string lock_class, LockMonitor& monitor);
  ~KernelLock();
  KernelLock(const KernelLock&) = delete;
  KernelLock& operator=(const KernelLock&) = delete;

  /** @brief Blocks until the calling actor owns the lock; waiters are served in FIFO order.
   *
   * Before blocking, adds the class-order edges (held classes -> this class) and looks for a wait-for cycle; a
   * cycle is recorded, and the caller still blocks, since the kernel would hang there too.
   * @param op the operation running (e.g. "assign_adapter"), for reports
   * @throw std::logic_error if called outside an actor, or if the caller already holds this lock */
  void lock(const std::string& op);

  /** @brief Takes the lock if it is free, never blocks. A trylock adds no order edge (as in lockdep). A trylock
   *  on a lock the caller holds fails, as SimGrid's does.
   * @throw std::logic_error if called outside an actor */
  bool try_lock(const std::string& op);

  /** @brief Releases the lock; the first waiter, if any, owns it at once.
   * @throw std::logic_error if the calling actor does not own it */
  void unlock();

  /** The owning actor's pid, -1 when free. After an unlock with waiters it is the next waiter already. */
  aid_t owner() const { return owner_; }
  bool held_by_current_actor() const;
  std::size_t waiter_count() const { return waiters_.size(); }
  const std::string& name() const { return name_; }
  const std::string& lock_class() const { return class_; }
  const LockStats& stats() const { return stats_; }

private:
  friend class LockMonitor;

  /** pid of the calling actor; throws if maestro (a timer callback) calls us: blocking there aborts. */
  aid_t caller(const char* where) const;
  std::string describe(aid_t actor) const;

  std::string name_;
  std::string class_;
  LockMonitor* monitor_; // nulled if the monitor dies first
  int class_id_;
  simgrid::s4u::MutexPtr mutex_;
  aid_t owner_ = -1;
  std::deque<aid_t> waiters_; // same order as the kernel's queue of pending acquisitions
  double acquired_at_ = 0;
  LockStats stats_;
};

} // namespace apq
