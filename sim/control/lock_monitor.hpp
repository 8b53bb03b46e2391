#pragma once
// What the lock monitors report, and lockdep's order graph of lock classes. Plain C++: no SimGrid, so that any
// driver of the control plane (the SimGrid actors of `apqsim run`, an interleaving explorer) shares one semantics.

#include "analysis/latency_histogram.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace apq {

/** A kernel thread running a control-plane operation (an actor in `apqsim run`). */
using TaskId = int64_t;

/** Counters of one lock, or of all the locks of a class. */
struct LockStats {
  uint64_t acquisitions = 0;     // blocking locks plus successful trylocks
  uint64_t contentions = 0;      // blocking locks that could not be granted at once
  uint64_t trylock_failures = 0; // trylocks that found the lock unavailable (they never wait)
  LatencyHistogram wait;         // per blocking lock: seconds from the call to ownership (0 when granted at once)
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

/** A wait-for cycle, recorded when its last edge appeared; `cycle` starts with the task that closed it. */
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
  std::string inverted_actor;         // label of the task now
  std::vector<OrderEdge> established; // the earlier edges, from the wanted class back to the held one
};

/** Lockdep's class-order graph: an edge held -> wanted per blocking acquisition, an inversion when a new edge
 *  closes a cycle (reported once per unordered pair of classes). */
class LockOrderGraph {
public:
  /** The id of a class, registering it on first use. */
  int class_id(const std::string& lock_class);
  const std::string& class_name(int id) const { return class_names_[static_cast<std::size_t>(id)]; }

  /** Adds held -> to for every class held (two instances of one class are not ordered: lockdep would need
   *  subclasses to judge); returns the inversions this created. */
  std::vector<Inversion> add(const std::vector<int>& held, int to, double now, const std::string& op,
                             const std::string& actor);

  const std::vector<Inversion>& inversions() const { return inversions_; }
  /** Edges in order of first appearance. */
  std::vector<OrderEdge> edges() const;

private:
  struct EdgeInfo {
    double time;
    std::string op;
    std::string actor;
    uint64_t seq;
  };
  std::vector<int> path(int from, int to) const;

  std::vector<std::string> class_names_;
  std::unordered_map<std::string, int> class_ids_;
  std::vector<std::vector<int>> successors_;
  std::map<std::pair<int, int>, EdgeInfo> edges_;
  uint64_t edge_seq_ = 0;
  std::vector<Inversion> inversions_;
  std::set<std::pair<int, int>> inverted_pairs_;
  friend class StateCodec; // the interleaving explorer's state (sim/explore/state_codec.cpp)
};

} // namespace apq
