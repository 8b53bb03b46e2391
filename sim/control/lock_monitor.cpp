#include "sim/control/lock_monitor.hpp"

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

int LockOrderGraph::class_id(const std::string& lock_class) {
  auto [it, inserted] = class_ids_.try_emplace(lock_class, static_cast<int>(class_names_.size()));
  if (inserted) {
    class_names_.push_back(lock_class);
    successors_.emplace_back();
  }
  return it->second;
}

std::vector<int> LockOrderGraph::path(int from, int to) const {
  // Breadth-first: the shortest earlier path is the clearest one to report.
  std::vector<int> parent(class_names_.size(), -1);
  std::vector<bool> seen(class_names_.size(), false);
  std::deque<int> todo{from};
  seen[static_cast<std::size_t>(from)] = true;
  while (!todo.empty()) {
    const int c = todo.front();
    todo.pop_front();
    if (c == to) {
      std::vector<int> out;
      for (int p = to; p != -1; p = parent[static_cast<std::size_t>(p)])
        out.push_back(p);
      std::reverse(out.begin(), out.end());
      return out;
    }
    for (int next : successors_[static_cast<std::size_t>(c)]) {
      if (seen[static_cast<std::size_t>(next)])
        continue;
      seen[static_cast<std::size_t>(next)] = true;
      parent[static_cast<std::size_t>(next)] = c;
      todo.push_back(next);
    }
  }
  return {};
}

std::vector<Inversion> LockOrderGraph::add(const std::vector<int>& held, int to, double now, const std::string& op,
                                           const std::string& actor) {
  std::vector<Inversion> found;
  for (int from : held) {
    if (from == to || edges_.contains({from, to}))
      continue;
    // Any cycle in the graph is found when its last edge is added, so a known edge needs no new search.
    const std::vector<int> back = path(to, from);
    edges_.emplace(std::pair{from, to}, EdgeInfo{now, op, actor, edge_seq_++});
    // Kept sorted: the path reported depends on the edges, not on the order in which they appeared.
    std::vector<int>& next = successors_[static_cast<std::size_t>(from)];
    next.insert(std::lower_bound(next.begin(), next.end(), to), to);
    if (back.empty() || !inverted_pairs_.insert(std::minmax(from, to)).second)
      continue;
    Inversion inversion;
    inversion.time = now;
    inversion.cycle.push_back(class_name(from));
    for (int c : back)
      inversion.cycle.push_back(class_name(c));
    for (std::size_t i = 0; i + 1 < back.size(); ++i) {
      const EdgeInfo& e = edges_.at({back[i], back[i + 1]});
      inversion.established.push_back(OrderEdge{class_name(back[i]), class_name(back[i + 1]), e.time, e.op, e.actor});
      if (inversion.established_by.find(e.op) == std::string::npos)
        inversion.established_by += (inversion.established_by.empty() ? "" : ", ") + e.op;
    }
    inversion.inverted_by = op;
    inversion.inverted_actor = actor;
    inversions_.push_back(inversion);
    found.push_back(std::move(inversion));
  }
  return found;
}

std::vector<OrderEdge> LockOrderGraph::edges() const {
  std::vector<std::pair<uint64_t, OrderEdge>> sorted;
  for (const auto& [key, e] : edges_)
    sorted.emplace_back(e.seq, OrderEdge{class_name(key.first), class_name(key.second), e.time, e.op, e.actor});
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OrderEdge> out;
  out.reserve(sorted.size());
  for (auto& [seq, e] : sorted)
    out.push_back(std::move(e));
  return out;
}

} // namespace apq
