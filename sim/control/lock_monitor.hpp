#pragma once
// Watches every KernelLock of a run: who holds what, who waits for what, in which order lock classes are taken.
//
// SimGrid 3.32 cannot tell who owns a mutex (no get_owner before 3.35) and only notices a deadlock when the
// whole system is stuck: with a data plane or a busy actor still pending, an ABBA pair hangs unnoticed until the
// end of the run (simgrid-3.32-notes.md §2). Our locks report to this monitor instead, which finds a wait-for
// cycle at the lock() call that closes it, while the rest of the world keeps running, and which keeps a
// lockdep-like order graph of lock classes so that a potential deadlock shows even when timing spared the run.
//
// State is plain C++: with SimGrid's default sequential contexts only one actor runs at a time.

#include "analysis/latency_histogram.hpp"

#include <simgrid/forward.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace apq {

class KernelLock;

/** Counters of one lock, or of all the locks of a class. */
struct LockStats {
  uint64_t acquisitions = 0;     // blocking locks plus successful trylocks
  uint64_t contentions = 0;      // blocking locks that found the lock held
  uint64_t trylock_failures = 0; // trylocks that found the lock held (they never wait)
  LatencyHistogram wait;         // per blocking lock: seconds from the call to ownership (0 when free)
  LatencyHistogram hold;         // per release: seconds of ownership
  void merge(const LockStats& other);
};

/** One member of a wait-for cycle: `actor` runs `op`, holds `holds` and waits for `wants`. */
struct DeadlockEdge {
  std::string actor;
  std::string op;
  std::string holds; // lock instance names
  std::string wants;
};

/** A wait-for cycle, recorded when its last edge appeared; `cycle` starts with the actor that closed it. */
struct Deadlock {
  double time = 0;
  std::vector<DeadlockEdge> cycle;
};

/** First occurrence of "class `from` was held while blocking on class `to`". */
struct OrderEdge {
  std::string from;
  std::string to;
  double time = 0;
  std::string op;
  std::string actor;
};

/** Lockdep's "possible circular locking dependency": a class order that contradicts an earlier one. */
struct Inversion {
  double time = 0;
  /** Classes: the one held, the one wanted, then the earlier path back to the held one, e.g.
   *  {"matrix", "ap_perms", "matrix"}. */
  std::vector<std::string> cycle;
  std::string established_by;         // op(s) of the earlier edges, in path order, ", "-separated when several
  std::string inverted_by;            // op now
  std::string inverted_actor;         // label of the actor now
  std::vector<OrderEdge> established; // the earlier edges, from the wanted class back to the held one
};

/** One per run; must outlive every KernelLock that reports to it. */
class LockMonitor {
public:
  LockMonitor() = default;
  ~LockMonitor();
  LockMonitor(const LockMonitor&) = delete;
  LockMonitor& operator=(const LockMonitor&) = delete;

  /** Names `actor` in reports (e.g. "admin-2 assign_adapter 0x01 -> mdev web"). Without it an actor is shown by
   *  its SimGrid name. May be called before the actor touches any lock. */
  void set_actor_label(aid_t actor, std::string label);
  /** The label of `actor` ("pid N" for an actor never seen). */
  std::string actor_label(aid_t actor) const;

  /** Every wait-for cycle, once each, in order of appearance. */
  const std::vector<Deadlock>& deadlocks() const { return deadlocks_; }
  /** Every class-order inversion, once per unordered pair of classes, in order of appearance. */
  const std::vector<Inversion>& inversions() const { return inversions_; }
  /** Labels, in pid order, of the actors blocked for good: members of a wait-for cycle, and actors waiting, directly
   *  or through other waiters, on a lock held by such a member. */
  std::vector<std::string> hung_actors() const;
  /** The class-order graph, edges in order of first appearance. */
  std::vector<OrderEdge> order_edges() const;
  /** Statistics per lock class, merged over its instances (destroyed instances included). */
  std::map<std::string, LockStats> class_stats() const;

  /** Called when a deadlock / an inversion is recorded (e.g. to put it in the run's trace). */
  void on_deadlock(std::function<void(const Deadlock&)> callback) { deadlock_callback_ = std::move(callback); }
  void on_inversion(std::function<void(const Inversion&)> callback) { inversion_callback_ = std::move(callback); }

private:
  friend class KernelLock;

  struct Held {
    KernelLock* lock;
    std::string op;
  };
  struct ActorState {
    std::string label;
    std::vector<Held> held; // in acquisition order
    KernelLock* waiting_on = nullptr;
    std::string waiting_op;
  };
  struct EdgeInfo {
    double time;
    std::string op;
    std::string actor; // label at that time (an admin actor may be relabelled per op)
    uint64_t seq;      // order of appearance
  };

  // Hooks for KernelLock. They run in the calling actor, before its SimGrid simcall, so that this bookkeeping
  // changes in the same order as the kernel's own state (simcalls are handled in the order the actors ran).
  int register_lock(KernelLock* lock, const std::string& lock_class);
  void unregister_lock(KernelLock* lock);
  ActorState& touch(aid_t actor);
  void check_order(aid_t actor, ActorState& state, const KernelLock& lock, const std::string& op);
  void check_deadlock(aid_t actor, KernelLock& lock, const std::string& op);
  void acquired(ActorState& state, KernelLock* lock, const std::string& op);
  void start_waiting(ActorState& state, KernelLock* lock, const std::string& op);
  void handed_off(aid_t new_owner, KernelLock* lock);
  void released(aid_t actor, KernelLock* lock);

  std::vector<int> class_path(int from, int to) const;
  /** Follows owner -> lock it waits for -> owner ... from `actor`; true if that walk enters a cycle. */
  bool blocked_for_good(aid_t actor) const;

  std::unordered_map<aid_t, ActorState> actors_;
  std::vector<KernelLock*> locks_;                 // live locks, in registration order
  std::map<std::string, LockStats> retired_stats_; // of destroyed locks, per class

  std::vector<std::string> class_names_;
  std::unordered_map<std::string, int> class_ids_;
  std::vector<std::vector<int>> successors_;      // class order graph, by class id
  std::map<std::pair<int, int>, EdgeInfo> edges_; // (from, to) -> first occurrence
  uint64_t edge_seq_ = 0;

  std::vector<Deadlock> deadlocks_;
  std::set<std::vector<aid_t>> deadlock_keys_; // sorted members of each recorded cycle
  std::vector<Inversion> inversions_;
  std::set<std::pair<int, int>> inverted_pairs_; // (smaller id, larger id)
  std::function<void(const Deadlock&)> deadlock_callback_;
  std::function<void(const Inversion&)> inversion_callback_;
};

} // namespace apq
