#pragma once
// The semantic state of a ControlInterpreter, for the interleaving explorer: saved after each step, restored to try
// another task from the same point, and fingerprinted to recognise a state reached by another order of steps.
//
// "Semantic" means what a later step can read or what an outcome reports: the host's AP configuration, the mdevs,
// queues and guests, every task's frames, the locks' holders and waiters, the lock-order graph, and the monitors'
// findings. It leaves out what only measures (lock and operation statistics, times) and what never changes (lock
// names, the scenario). A snapshot is a few kilobytes; copying a whole interpreter costs some 70 us, mostly its
// HostConfig's table of 65536 possible queue devices and the statistics' histograms.
//
// Task ids differ between two orders of the same steps (a retry starts a new task); the fingerprint writes each
// task as the tag the explorer gives it (its admin operation), so that such states compare equal.

#include "sim/control/interpreter.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace apq {

/** A 128-bit fingerprint of a state's canonical encoding (two independent 64-bit hashes). */
struct Fingerprint {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Fingerprint&) const = default;
};
struct FingerprintHash {
  std::size_t operator()(const Fingerprint& f) const {
    return static_cast<std::size_t>(f.lo ^ (f.hi * 0x9e3779b97f4a7c15ULL));
  }
};
Fingerprint fingerprint_of(std::string_view bytes);

class StateCodec {
public:
  struct Snapshot;

  /** The semantic state of `in` into `out` (reusing its memory). */
  static void save(const ControlInterpreter& in, Snapshot& out);
  /** Puts `in` back into the state `snapshot` holds; statistics are left as they are. */
  static void restore(ControlInterpreter& in, const Snapshot& snapshot);
  /** Appends the canonical encoding of the state of `in` to `out`. `tasks` lists the live tasks in a canonical
   *  order (-1 for none); a task is written as its position there. */
  static void encode(const ControlInterpreter& in, const std::vector<TaskId>& tasks, std::string& out);

  /** Lock instances (by id) that `task` holds, and the one it waits for (-1). For the explorer's narration. */
  static std::vector<LockId> held_by(const ControlInterpreter& in, TaskId task);
};

struct StateCodec::Snapshot {
  // HostConfig, through its public interface: device and driver of every queue the cards can have, the cards
  // configured in the hardware, the bus's and vfio_ap's copies of the QCI, ap_perms.
  std::vector<uint8_t> devices;
  IdSet hw_online;
  ApConfig bus_config, vfio_info;
  HostMasks masks;
  std::vector<MdevState> mdevs;
  std::map<std::pair<int, int>, QueueControl> queues;
  std::vector<GuestControl> guests;
  std::map<std::pair<int, int>, Assignment> assignments;
  // The interpreter's own.
  std::map<TaskId, ControlInterpreter::Task> tasks;
  TaskId next_task = 1;
  std::vector<StolenQueueReport> stolen;
  std::vector<KernelBugReport> bugs;
  uint64_t warnings = 0;
  // The locks: holders and waiters of each, the tasks' view, the order graph, the wait-for cycles found.
  std::vector<std::vector<KernelLocks::Holder>> holders;
  std::vector<std::deque<KernelLocks::Waiter>> waiters;
  std::map<TaskId, KernelLocks::Task> lock_tasks;
  std::vector<TaskId> granted;
  std::vector<std::vector<int>> successors;
  std::map<std::pair<int, int>, LockOrderGraph::EdgeInfo> edges;
  uint64_t edge_seq = 0;
  std::vector<Inversion> inversions;
  std::set<std::pair<int, int>> inverted_pairs;
  std::vector<Deadlock> deadlocks;
  std::vector<std::vector<TaskId>> deadlock_keys;
};

} // namespace apq
