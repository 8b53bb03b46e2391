#include "sim/control/kernel_lock.hpp"

#include <algorithm>
#include <stdexcept>

namespace apq {

LockId KernelLocks::add(std::string name, std::string lock_class, LockKind kind) {
  const int class_id = order_.class_id(lock_class);
  locks_.push_back(Lock{std::move(name), std::move(lock_class), kind, class_id, {}, {}, {}});
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
  lock.waiters.push_back(Waiter{who, mode, op, now});
  t.waiting_on = id;
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

std::vector<TaskId> KernelLocks::blockers(TaskId waiter) const {
  auto it = tasks_.find(waiter);
  if (it == tasks_.end() || it->second.waiting_on < 0)
    return {};
  const Lock& lock = at(it->second.waiting_on);
  std::vector<TaskId> out;
  LockMode mode = LockMode::write;
  for (const Waiter& w : lock.waiters)
    if (w.task == waiter)
      mode = w.mode;
  for (const Holder& h : lock.holders)
    if (mode == LockMode::write || h.mode == LockMode::write)
      out.push_back(h.task);
  for (const Waiter& w : lock.waiters) {
    if (w.task == waiter)
      break;
    if (mode == LockMode::write || w.mode == LockMode::write)
      out.push_back(w.task);
  }
  return out;
}

void KernelLocks::check_deadlock(TaskId waiter, double now) {
  // Depth-first over the wait-for graph from the new waiter; reaching it again closes a cycle. The walk may run
  // into a cycle the waiter is not part of (it queues behind a deadlock): that one was reported when it closed.
  std::vector<TaskId> path{waiter};
  std::vector<TaskId> visited;
  std::function<bool(TaskId)> dfs = [&](TaskId from) {
    for (TaskId next : blockers(from)) {
      if (next == waiter)
        return true;
      if (std::find(visited.begin(), visited.end(), next) != visited.end())
        continue;
      visited.push_back(next);
      path.push_back(next);
      if (dfs(next))
        return true;
      path.pop_back();
    }
    return false;
  };
  if (!dfs(waiter))
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
  std::vector<std::string> out;
  for (const auto& [id, t] : tasks_) {
    if (t.waiting_on < 0)
      continue;
    // Blocked for good: the closure of what it waits for holds a dead task, or reaches a task twice (a cycle).
    std::vector<TaskId> seen;
    std::vector<TaskId> todo{id};
    bool hung = false;
    while (!todo.empty() && !hung) {
      const TaskId cur = todo.back();
      todo.pop_back();
      for (TaskId next : blockers(cur)) {
        const auto found = tasks_.find(next);
        if (next == id || (found != tasks_.end() && found->second.dead)) {
          hung = true;
          break;
        }
        if (std::find(seen.begin(), seen.end(), next) != seen.end())
          continue;
        seen.push_back(next);
        todo.push_back(next);
      }
    }
    // A wait behind a cycle it is not part of is also for good: it leads to a task that waits on itself.
    if (!hung)
      for (TaskId other : seen) {
        std::vector<TaskId> inner{other}, inner_seen;
        while (!inner.empty() && !hung) {
          const TaskId cur = inner.back();
          inner.pop_back();
          for (TaskId next : blockers(cur)) {
            if (next == other) {
              hung = true;
              break;
            }
            if (std::find(inner_seen.begin(), inner_seen.end(), next) == inner_seen.end()) {
              inner_seen.push_back(next);
              inner.push_back(next);
            }
          }
        }
        if (hung)
          break;
      }
    if (hung)
      out.push_back(label(id));
  }
  return out;
}

std::map<std::string, LockStats> KernelLocks::class_stats() const {
  std::map<std::string, LockStats> out;
  for (const Lock& lock : locks_)
    out[lock.cls].merge(lock.stats);
  return out;
}

} // namespace apq
