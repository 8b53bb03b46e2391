#include "sim/control/kernel_lock.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace apq {

LockId KernelLocks::add(std::string name, std::string lock_class, LockKind kind) {
  const int class_id = order_.class_id(lock_class);
  Lock& lock = locks_.emplace_back();
  lock.name = std::move(name);
  lock.cls = std::move(lock_class);
  lock.kind = kind;
  lock.class_id = class_id;
  return static_cast<LockId>(locks_.size() - 1);
}

KernelLocks::Task& KernelLocks::task(TaskId id) {
  return tasks_[id];
}

void KernelLocks::set_label(TaskId id, std::string label) {
  task(id).label = std::move(label);
}

std::string KernelLocks::label(TaskId id) const {
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second.label.empty())
    return "task " + std::to_string(id);
  return it->second.label;
}

bool KernelLocks::compatible(const Lock& lock, LockMode mode) {
  if (mode == LockMode::write)
    return lock.holders.empty();
  return std::none_of(lock.holders.begin(), lock.holders.end(),
                      [](const Holder& h) { return h.mode == LockMode::write; });
}

void KernelLocks::check_mode(const Lock& lock, LockMode mode, TaskId id) const {
  if (lock.kind == LockKind::mutex && mode == LockMode::read)
    throw std::logic_error("KernelLocks: " + label(id) + " asks to read-lock '" + lock.name + "', a mutex");
  if (std::any_of(lock.holders.begin(), lock.holders.end(), [id](const Holder& h) { return h.task == id; }))
    throw std::logic_error("KernelLocks: " + label(id) + " already holds '" + lock.name +
                           "'; taking it again would deadlock on itself");
}

void KernelLocks::grant(LockId id, TaskId who, LockMode mode, const std::string& op, double asked, double now) {
  Lock& lock = at(id);
  lock.holders.push_back(Holder{who, mode, now});
  ++lock.stats.acquisitions;
  Task& t = task(who);
  t.held.push_back(Held{id, op});
  if (t.waiting_on == id) {
    lock.stats.wait.record(now - asked);
    t.waiting_on = -1;
    t.waiting_op.clear();
  }
}

bool KernelLocks::lock(TaskId who, LockId id, LockMode mode, const std::string& op, double now) {
  Lock& lock = at(id);
  check_mode(lock, mode, who);
  Task& t = task(who);
  std::vector<int> held;
  for (const Held& h : t.held)
    held.push_back(at(h.lock).class_id);
  for (const Inversion& inversion : order_.add(held, lock.class_id, now, op, label(who)))
    if (inversion_callback_)
      inversion_callback_(inversion);
  // FIFO: nobody overtakes a waiter (and for a rw_semaphore a reader does not pass a waiting writer).
  if (compatible(lock, mode) && lock.waiters.empty()) {
    grant(id, who, mode, op, now, now);
    lock.stats.wait.record(0);
    return true;
  }
  ++lock.stats.contentions;
  lock.waiters.push_back(Waiter{who, mode, op, now, ++next_seq_});
  t.waiting_on = id;
  t.waiting_seq = next_seq_;
  t.waiting_op = op;
  check_deadlock(who, now);
  return false;
}

bool KernelLocks::try_lock(TaskId who, LockId id, LockMode mode, const std::string& op, double now) {
  Lock& lock = at(id);
  check_mode(lock, mode, who);
  if (!compatible(lock, mode) || !lock.waiters.empty()) {
    ++lock.stats.trylock_failures;
    return false;
  }
  grant(id, who, mode, op, now, now);
  return true;
}

void KernelLocks::unlock(TaskId who, LockId id, double now) {
  Lock& lock = at(id);
  auto holder =
      std::find_if(lock.holders.begin(), lock.holders.end(), [who](const Holder& h) { return h.task == who; });
  if (holder == lock.holders.end())
    throw std::logic_error("KernelLocks: " + label(who) + " releases '" + lock.name + "', which it does not hold");
  lock.stats.hold.record(now - holder->since);
  lock.holders.erase(holder);
  std::vector<Held>& held = task(who).held;
  auto it = std::find_if(held.rbegin(), held.rend(), [id](const Held& h) { return h.lock == id; });
  if (it != held.rend())
    held.erase(std::next(it).base());

  // Serve the queue: a writer alone once the lock is free; a reader together with every queued reader.
  while (!lock.waiters.empty()) {
    const Waiter front = lock.waiters.front();
    if (!compatible(lock, front.mode))
      break;
    if (front.mode == LockMode::write) {
      lock.waiters.pop_front();
      grant(id, front.task, front.mode, front.op, front.asked, now);
      granted_.push_back(front.task);
      break;
    }
    std::deque<Waiter> rest;
    for (const Waiter& w : lock.waiters) {
      if (w.mode == LockMode::read) {
        grant(id, w.task, w.mode, w.op, w.asked, now);
        granted_.push_back(w.task);
      } else {
        rest.push_back(w);
      }
    }
    lock.waiters.swap(rest);
    break;
  }
}

std::vector<TaskId> KernelLocks::take_granted() {
  std::vector<TaskId> out;
  out.swap(granted_);
  return out;
}

void KernelLocks::mark_dead(TaskId who) {
  task(who).dead = true;
}

bool KernelLocks::holds(TaskId who, LockId id) const {
  const auto& hs = at(id).holders;
  return std::any_of(hs.begin(), hs.end(), [who](const Holder& h) { return h.task == who; });
}

std::vector<TaskId> KernelLocks::holders(LockId id) const {
  std::vector<TaskId> out;
  for (const Holder& h : at(id).holders)
    out.push_back(h.task);
  return out;
}

std::size_t KernelLocks::waiter_count(LockId id) const {
  return at(id).waiters.size();
}

std::vector<TaskId> KernelLocks::blockers(TaskId waiter, bool predecessor) const {
  auto it = tasks_.find(waiter);
  if (it == tasks_.end() || it->second.waiting_on < 0)
    return {};
  const Lock& lock = at(it->second.waiting_on);
  const uint64_t seq = it->second.waiting_seq;
  const auto self = std::lower_bound(lock.waiters.begin(), lock.waiters.end(), seq,
                                     [](const Waiter& w, uint64_t s) { return w.seq < s; });
  const LockMode mode = self == lock.waiters.end() || self->task != waiter ? LockMode::write : self->mode;
  std::vector<TaskId> out;
  for (const Holder& h : lock.holders)
    if (mode == LockMode::write || h.mode == LockMode::write)
      out.push_back(h.task);
  // Of the waiters served first, the nearest one stands for the rest: it waits (directly or through its own
  // nearest) for every earlier waiter that also blocks us, so reachability in the wait-for graph is the same as
  // with an edge to each of them, and a queue of n waiters has n edges instead of n^2.
  if (predecessor)
    for (auto w = std::make_reverse_iterator(self); w != lock.waiters.rend(); ++w)
      if (mode == LockMode::write || w->mode == LockMode::write) {
        out.push_back(w->task);
        break;
      }
  return out;
}

void KernelLocks::check_deadlock(TaskId waiter, double now) {
  // Depth-first over the wait-for graph from the new waiter; reaching it again closes a cycle. The walk may run
  // into a cycle the waiter is not part of (it queues behind a deadlock): that one was reported when it closed.
  std::vector<TaskId> path{waiter};
  std::unordered_set<TaskId> visited{waiter};
  // Each frame keeps the blockers still to visit, reversed so that they are taken in order from the back.
  // A waiter reached from a later waiter of the same lock adds only the holders: its own predecessors lead to
  // nothing but those holders (a waiter waits for nothing else), so the walk does not run down the whole queue.
  auto pending = [this](TaskId from, TaskId parent) {
    const bool same_queue = parent >= 0 && tasks_.at(from).waiting_on == tasks_.at(parent).waiting_on;
    std::vector<TaskId> next = blockers(from, !same_queue);
    std::reverse(next.begin(), next.end());
    return next;
  };
  std::vector<std::pair<TaskId, std::vector<TaskId>>> stack;
  stack.emplace_back(waiter, pending(waiter, -1));
  bool cycle = false;
  while (!stack.empty() && !cycle) {
    std::vector<TaskId>& next = stack.back().second;
    if (next.empty()) {
      stack.pop_back();
      path.pop_back();
      continue;
    }
    const TaskId to = next.back();
    next.pop_back();
    if (to == waiter) {
      cycle = true;
      break;
    }
    if (!visited.insert(to).second)
      continue;
    const TaskId parent = stack.back().first;
    path.push_back(to);
    stack.emplace_back(to, pending(to, parent));
  }
  if (!cycle)
    return;
  std::vector<TaskId> key = path;
  std::sort(key.begin(), key.end());
  if (std::find(deadlock_keys_.begin(), deadlock_keys_.end(), key) != deadlock_keys_.end())
    return;
  deadlock_keys_.push_back(key);
  Deadlock deadlock;
  deadlock.time = now;
  const std::size_t n = path.size();
  for (std::size_t i = 0; i < n; ++i) {
    // Each member holds (or is served before) what the previous one wants; the waiter what the last one wants.
    const Task& member = tasks_.at(path[i]);
    const Task& previous = tasks_.at(path[(i + n - 1) % n]);
    deadlock.cycle.push_back(
        DeadlockEdge{label(path[i]), member.waiting_op, name(previous.waiting_on), name(member.waiting_on)});
  }
  deadlocks_.push_back(std::move(deadlock));
  if (deadlock_callback_)
    deadlock_callback_(deadlocks_.back());
}

std::vector<std::string> KernelLocks::hung_tasks() const {
  // A blocked task is hung for good when what it waits for, followed through the wait-for graph, reaches a dead
  // task (one that oopsed holding locks) or a cycle (a deadlock, whether or not the task is part of it). One
  // memoised depth-first walk (an explicit stack: a queue of thousands is a path of thousands) settles each task once.
  enum class Mark { unknown, visiting, hung, free };
  std::unordered_map<TaskId, Mark> mark;
  auto settle = [&](TaskId root) {
    struct Frame {
      TaskId task;
      std::vector<TaskId> next;
      bool hung = false;
    };
    std::vector<Frame> stack;
    auto enter = [&](TaskId id) -> std::optional<bool> { // a verdict now, or nullopt once pushed
      Mark& m = mark[id];
      if (m == Mark::visiting)
        return true; // back on the current path: a cycle
      if (m != Mark::unknown)
        return m == Mark::hung;
      const auto found = tasks_.find(id);
      if (found != tasks_.end() && found->second.dead) {
        m = Mark::hung;
        return true;
      }
      m = Mark::visiting;
      std::vector<TaskId> next = blockers(id);
      std::reverse(next.begin(), next.end());
      stack.push_back(Frame{id, std::move(next), false});
      return std::nullopt;
    };
    std::optional<bool> verdict = enter(root);
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (verdict) { // the verdict of the child just settled (or of the root when it settled at once)
        top.hung = top.hung || *verdict;
        verdict.reset();
      }
      if (top.hung || top.next.empty()) {
        const bool hung = top.hung;
        mark[top.task] = hung ? Mark::hung : Mark::free;
        stack.pop_back();
        verdict = hung;
        continue;
      }
      const TaskId next = top.next.back();
      top.next.pop_back();
      verdict = enter(next);
    }
    return mark[root] == Mark::hung;
  };
  std::vector<std::string> out;
  for (const auto& [id, t] : tasks_)
    if (t.waiting_on >= 0 && settle(id))
      out.push_back(label(id));
  return out;
}

std::map<std::string, LockStats> KernelLocks::class_stats() const {
  std::map<std::string, LockStats> out;
  for (const Lock& lock : locks_)
    out[lock.cls].merge(lock.stats);
  return out;
}

} // namespace apq
