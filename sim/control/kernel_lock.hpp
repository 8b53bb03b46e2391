#pragma once
// The kernel locks of the control plane as plain state: mutexes (ap_perms_mutex, matrix_dev->lock, guests_lock,
// mdevs_lock, kvm->lock, ap_scan_bus_mutex) and rw_semaphores (kvm->arch.crypto.pqap_hook_rwsem), who holds them,
// who waits for them in which order, and what Linux grants when one is released. No SimGrid here: a driver (the
// actors of `apqsim run`, an interleaving explorer) asks for a lock and is told whether the task owns it now or
// must wait until take_granted() lists it.
//
// The rules (kernel/locking/mutex.c, rwsem.c):
//  - mutex: one owner; waiters are served first come, first served, the owner handing the lock to the first
//    waiter on release (no barging; SimGrid's mutex did the same).
//  - rw_semaphore: down_write needs no holder; down_read needs no writer holding it AND no waiter queued (the
//    writer-waiting rule: the read fast path fails once RWSEM_FLAG_WAITERS is set, so readers queue behind a
//    waiting writer and cannot starve it). On release the first waiter is served; when it is a reader, every
//    reader in the queue is woken with it (rwsem_mark_wake since Linux 5.3: "all readers are eligible to
//    acquire the lock at the same time irrespective of their order in the queue"), writers keep their order.
//    The optimistic reader lock stealing of rwsem_down_read_slowpath is not modelled.
//  - trylock (mutex_trylock, down_read_trylock, down_write_trylock) succeeds only if a blocking call would be
//    granted at once; it never waits and, as in lockdep, adds no order edge.
//
// Monitors: a wait-for cycle is reported when the wait that closes it starts (SimGrid itself only notices a
// deadlock when the whole system is stuck); lockdep's class-order graph reports potential inversions; a task
// that dies holding locks (a kernel oops) keeps them forever, and tasks that wait on them hang.

#include "sim/control/lock_monitor.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace apq {

enum class LockKind { mutex, rwsem };
/** write: mutex_lock, down_write; read: down_read (rw_semaphores only). */
enum class LockMode { write, read };

using LockId = int;

class KernelLocks {
public:
  /** A lock instance ("kvm:web") of a class ("kvm"): classes order locks and group statistics, as lockdep does. */
  LockId add(std::string name, std::string lock_class, LockKind kind);

  /** Names `task` in reports ("admin-2 (assign_adapter)"); without it a task shows as "task N". */
  void set_label(TaskId task, std::string label);
  std::string label(TaskId task) const;

  /** @brief A blocking acquisition at simulated time `now`: true if the task owns the lock now; false if it is
   *  queued and must wait until take_granted() lists it. Adds lockdep edges (held classes -> this class) and
   *  reports a wait-for cycle the wait closes; the task still waits, as the kernel would.
   *  @throw std::logic_error if the task already holds the lock, or the mode does not fit the lock's kind */
  bool lock(TaskId task, LockId lock, LockMode mode, const std::string& op, double now);
  /** Takes the lock if a blocking call would be granted at once; never waits. */
  bool try_lock(TaskId task, LockId lock, LockMode mode, const std::string& op, double now);
  /** @brief Releases; the waiters Linux serves next own the lock at once (see take_granted()).
   *  @throw std::logic_error if the task does not hold the lock */
  void unlock(TaskId task, LockId lock, double now);
  /** Tasks that were waiting and own their lock since the last call, in the order they were granted. */
  std::vector<TaskId> take_granted();
  /** The task died (an oops) holding what it holds: nothing it holds is ever released. */
  void mark_dead(TaskId task);

  bool holds(TaskId task, LockId lock) const;
  /** Holders in the order they got the lock (one for a mutex, possibly many readers for a rw_semaphore). */
  std::vector<TaskId> holders(LockId lock) const;
  std::size_t waiter_count(LockId lock) const;
  const std::string& name(LockId lock) const { return locks_[static_cast<std::size_t>(lock)].name; }
  const std::string& lock_class(LockId lock) const { return locks_[static_cast<std::size_t>(lock)].cls; }
  LockKind kind(LockId lock) const { return locks_[static_cast<std::size_t>(lock)].kind; }
  const LockStats& stats(LockId lock) const { return locks_[static_cast<std::size_t>(lock)].stats; }

  /** Every wait-for cycle, once each, in order of appearance. */
  const std::vector<Deadlock>& deadlocks() const { return deadlocks_; }
  /** Every class-order inversion, once per unordered pair of classes, in order of appearance. */
  const std::vector<Inversion>& inversions() const { return order_.inversions(); }
  std::vector<OrderEdge> order_edges() const { return order_.edges(); }
  /** Labels, in task order, of the tasks blocked for good: their wait leads into a wait-for cycle or to a lock a
   *  dead task holds. */
  std::vector<std::string> hung_tasks() const;
  /** Statistics per lock class, merged over its instances in the order they were added. */
  std::map<std::string, LockStats> class_stats() const;

  void on_deadlock(std::function<void(const Deadlock&)> callback) { deadlock_callback_ = std::move(callback); }
  void on_inversion(std::function<void(const Inversion&)> callback) { inversion_callback_ = std::move(callback); }

private:
  struct Holder {
    TaskId task;
    LockMode mode;
    double since;
  };
  struct Waiter {
    TaskId task;
    LockMode mode;
    std::string op;
    double asked;
    uint64_t seq; // order of arrival: the queue is sorted by it, so a waiter is found by binary search
  };
  struct Lock {
    std::string name;
    std::string cls;
    LockKind kind = LockKind::mutex;
    int class_id = -1;
    std::vector<Holder> holders;
    std::deque<Waiter> waiters;
    LockStats stats;
  };
  struct Held {
    LockId lock;
    std::string op;
  };
  struct Task {
    std::string label;
    std::vector<Held> held; // in acquisition order
    LockId waiting_on = -1;
    uint64_t waiting_seq = 0;
    std::string waiting_op;
    bool dead = false;
  };

  Task& task(TaskId id);
  Lock& at(LockId lock) { return locks_[static_cast<std::size_t>(lock)]; }
  const Lock& at(LockId lock) const { return locks_[static_cast<std::size_t>(lock)]; }
  static bool compatible(const Lock& lock, LockMode mode);
  void check_mode(const Lock& lock, LockMode mode, TaskId task) const;
  void grant(LockId lock, TaskId task, LockMode mode, const std::string& op, double asked, double now);
  /** The tasks `waiter` waits for: the holders its mode conflicts with, and the nearest waiter queued before it
   *  that Linux serves first (any earlier waiter for a writer; an earlier writer for a reader), which stands for
   *  the ones before it. Without `predecessor`, the holders alone. */
  std::vector<TaskId> blockers(TaskId waiter, bool predecessor = true) const;
  void check_deadlock(TaskId waiter, double now);

  std::vector<Lock> locks_;
  std::map<TaskId, Task> tasks_;
  std::vector<TaskId> granted_;
  uint64_t next_seq_ = 0;
  LockOrderGraph order_;
  std::vector<Deadlock> deadlocks_;
  std::vector<std::vector<TaskId>> deadlock_keys_;
  std::function<void(const Deadlock&)> deadlock_callback_;
  std::function<void(const Inversion&)> inversion_callback_;
  friend class StateCodec; // the interleaving explorer's state (sim/explore/state_codec.cpp)
};

} // namespace apq
