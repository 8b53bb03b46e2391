#include "sim/control/lock_monitor.hpp"

#include "sim/control/kernel_lock.hpp"

#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>

#include <algorithm>
#include <deque>

namespace apq {

void LockStats::merge(const LockStats& other) {
  acquisitions += other.acquisitions;
  contentions += other.contentions;
  trylock_failures += other.trylock_failures;
  wait.merge(other.wait);
  hold.merge(other.hold);
}

LockMonitor::~LockMonitor() {
  // Locks that outlive us must not report to a dead monitor from their destructor.
  for (KernelLock* lock : locks_)
    lock->monitor_ = nullptr;
}

void LockMonitor::set_actor_label(aid_t actor, std::string label) {
  actors_[actor].label = std::move(label);
}

std::string LockMonitor::actor_label(aid_t actor) const {
  auto it = actors_.find(actor);
  if (it == actors_.end() || it->second.label.empty())
    return "pid " + std::to_string(actor);
  return it->second.label;
}

int LockMonitor::register_lock(KernelLock* lock, const std::string& lock_class) {
  // Registration order, not pointer order: class_stats() merges in this order, and the floating-point sums of
  // the histograms must not depend on where the allocator put the locks.
  locks_.push_back(lock);
  auto [it, inserted] = class_ids_.try_emplace(lock_class, static_cast<int>(class_names_.size()));
  if (inserted) {
    class_names_.push_back(lock_class);
    successors_.emplace_back();
  }
  return it->second;
}

void LockMonitor::unregister_lock(KernelLock* lock) {
  std::erase(locks_, lock);
  retired_stats_[lock->lock_class()].merge(lock->stats());
  // A destroyed lock must not stay reachable from the wait-for bookkeeping.
  for (auto& [pid, state] : actors_) {
    std::erase_if(state.held, [lock](const Held& h) { return h.lock == lock; });
    if (state.waiting_on == lock)
      state.waiting_on = nullptr;
  }
}

LockMonitor::ActorState& LockMonitor::touch(aid_t actor) {
  auto [it, inserted] = actors_.try_emplace(actor);
  // Only the running actor touches the monitor, so its SimGrid name is the one to fall back on.
  if (it->second.label.empty())
    it->second.label = simgrid::s4u::this_actor::get_name();
  return it->second;
}

void LockMonitor::acquired(ActorState& state, KernelLock* lock, const std::string& op) {
  state.held.push_back(Held{lock, op});
}

void LockMonitor::start_waiting(ActorState& state, KernelLock* lock, const std::string& op) {
  state.waiting_on = lock;
  state.waiting_op = op;
}

void LockMonitor::handed_off(aid_t new_owner, KernelLock* lock) {
  ActorState& state = actors_.at(new_owner);
  state.held.push_back(Held{lock, std::move(state.waiting_op)});
  state.waiting_on = nullptr;
  state.waiting_op.clear();
}

void LockMonitor::released(aid_t actor, KernelLock* lock) {
  // Releases are usually in reverse order of acquisition, but the kernel does not require it.
  std::vector<Held>& held = actors_.at(actor).held;
  auto it = std::find_if(held.rbegin(), held.rend(), [lock](const Held& h) { return h.lock == lock; });
  if (it != held.rend())
    held.erase(std::next(it).base());
}

std::vector<int> LockMonitor::class_path(int from, int to) const {
  // Breadth-first: the shortest earlier path is the clearest one to report.
  std::vector<int> parent(class_names_.size(), -1);
  std::vector<bool> seen(class_names_.size(), false);
  std::deque<int> todo{from};
  seen[from] = true;
  while (!todo.empty()) {
    const int c = todo.front();
    todo.pop_front();
    if (c == to) {
      std::vector<int> path;
      for (int p = to; p != -1; p = parent[p])
        path.push_back(p);
      std::reverse(path.begin(), path.end());
      return path;
    }
    for (int next : successors_[c]) {
      if (seen[next])
        continue;
      seen[next] = true;
      parent[next] = c;
      todo.push_back(next);
    }
  }
  return {};
}

void LockMonitor::check_order(aid_t actor, ActorState& state, const KernelLock& lock, const std::string& op) {
  const int to = lock.class_id_;
  for (const Held& h : state.held) {
    const int from = h.lock->class_id_;
    // Nesting two instances of one class (kvm:web then kvm:db) would need lockdep's subclasses to judge.
    if (from == to || edges_.contains({from, to}))
      continue;
    // Any cycle in the graph is found when its last edge is added, so a known edge needs no new search.
    const std::vector<int> back = class_path(to, from);
    const double now = simgrid::s4u::Engine::get_clock();
    edges_.emplace(std::pair{from, to}, EdgeInfo{now, op, state.label, edge_seq_++});
    successors_[from].push_back(to);
    if (back.empty() || !inverted_pairs_.insert(std::minmax(from, to)).second)
      continue;

    Inversion inversion;
    inversion.time = now;
    inversion.cycle.push_back(class_names_[from]);
    for (int c : back)
      inversion.cycle.push_back(class_names_[c]);
    for (std::size_t i = 0; i + 1 < back.size(); ++i) {
      const EdgeInfo& e = edges_.at({back[i], back[i + 1]});
      inversion.established.push_back(
          OrderEdge{class_names_[back[i]], class_names_[back[i + 1]], e.time, e.op, e.actor});
      if (inversion.established_by.find(e.op) == std::string::npos) {
        if (!inversion.established_by.empty())
          inversion.established_by += ", ";
        inversion.established_by += e.op;
      }
    }
    inversion.inverted_by = op;
    inversion.inverted_actor = actor_label(actor);
    inversions_.push_back(std::move(inversion));
    if (inversion_callback_)
      inversion_callback_(inversions_.back());
  }
}

void LockMonitor::check_deadlock(aid_t actor, KernelLock& lock, const std::string& op) {
  // Walk owner -> the lock that owner waits for -> its owner ...; coming back to the caller closes a cycle.
  // The walk may also run into a cycle the caller is not part of (it queues behind a deadlock): that cycle was
  // recorded when it closed, so stop on any actor seen twice.
  struct Member {
    aid_t actor;
    KernelLock* wants;
    std::string op;
  };
  std::vector<Member> cycle{{actor, &lock, op}};
  std::vector<aid_t> members{actor};
  for (aid_t cur = lock.owner_; cur != actor;) {
    if (cur == -1 || std::find(members.begin(), members.end(), cur) != members.end())
      return;
    auto it = actors_.find(cur);
    if (it == actors_.end() || it->second.waiting_on == nullptr)
      return;
    cycle.push_back({cur, it->second.waiting_on, it->second.waiting_op});
    members.push_back(cur);
    cur = it->second.waiting_on->owner_;
  }
  std::sort(members.begin(), members.end());
  if (!deadlock_keys_.insert(members).second)
    return;

  Deadlock deadlock;
  deadlock.time = simgrid::s4u::Engine::get_clock();
  const std::size_t n = cycle.size();
  for (std::size_t i = 0; i < n; ++i) {
    // Each member holds what the previous one wants; the caller holds what the last one wants.
    const Member& previous = cycle[(i + n - 1) % n];
    deadlock.cycle.push_back(
        DeadlockEdge{actor_label(cycle[i].actor), cycle[i].op, previous.wants->name(), cycle[i].wants->name()});
  }
  deadlocks_.push_back(std::move(deadlock));
  if (deadlock_callback_)
    deadlock_callback_(deadlocks_.back());
}

bool LockMonitor::blocked_for_good(aid_t actor) const {
  std::vector<aid_t> seen{actor};
  for (aid_t cur = actor;;) {
    auto it = actors_.find(cur);
    if (it == actors_.end() || it->second.waiting_on == nullptr)
      return false;
    cur = it->second.waiting_on->owner_;
    if (cur == -1)
      return false;
    if (std::find(seen.begin(), seen.end(), cur) != seen.end())
      return true;
    seen.push_back(cur);
  }
}

std::vector<std::string> LockMonitor::hung_actors() const {
  std::vector<aid_t> hung;
  for (const auto& [pid, state] : actors_)
    if (state.waiting_on != nullptr && blocked_for_good(pid))
      hung.push_back(pid);
  std::sort(hung.begin(), hung.end());
  std::vector<std::string> labels;
  labels.reserve(hung.size());
  for (aid_t pid : hung)
    labels.push_back(actor_label(pid));
  return labels;
}

std::vector<OrderEdge> LockMonitor::order_edges() const {
  std::vector<std::pair<uint64_t, OrderEdge>> sorted;
  for (const auto& [key, e] : edges_)
    sorted.emplace_back(e.seq, OrderEdge{class_names_[key.first], class_names_[key.second], e.time, e.op, e.actor});
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OrderEdge> edges;
  edges.reserve(sorted.size());
  for (auto& [seq, e] : sorted)
    edges.push_back(std::move(e));
  return edges;
}

std::map<std::string, LockStats> LockMonitor::class_stats() const {
  std::map<std::string, LockStats> stats = retired_stats_;
  for (const KernelLock* lock : locks_)
    stats[lock->lock_class()].merge(lock->stats());
  return stats;
}

} // namespace apq
