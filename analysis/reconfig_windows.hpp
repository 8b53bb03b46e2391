#pragma once
// Reconfiguration windows, one per event: an admin operation's start to its end plus a settling time, during which
// the guests feel it. Windows are never merged: under a storm of operations every request still belongs to the
// operations whose windows it was issued in (and to those that touched it, see DataPlane), and each operation keeps
// its own figures.
//
// A request carries the set of events it belongs to as one small integer: sets are interned, since the events open
// at a given time change only when one opens or its window ends.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace apq {

/** One reconfiguration operation as the guests' requests see it. */
struct WindowEvent {
  std::string actor;  ///< the admin (timeline entry name, random admin's "name#k")
  std::string op;     ///< apmask_store, assign_adapter, card_offline, ...
  std::string target; ///< what it acts on, as people read it
  double start = 0;
  double end = 0;        ///< when it returned; the horizon if it never did
  bool finished = false; ///< false: still running (or hung) at the horizon
  std::string result;    ///< "ok", the errno name, or "hung"
  int attempts = 0;
};

class ReconfigWindows {
public:
  using SetId = uint32_t;
  static constexpr SetId kNone = 0; ///< the empty set

  explicit ReconfigWindows(double settle) : settle_(settle) { sets_.emplace_back(); }

  /** An operation starts at `t`; returns its event number. */
  int open(double t, std::string actor, std::string op, std::string target) {
    const int e = static_cast<int>(events_.size());
    events_.push_back(WindowEvent{std::move(actor), std::move(op), std::move(target), t, t, false, "hung", 0});
    open_.push_back(e);
    current_ = intern(open_);
    return e;
  }

  /** The operation ended at `t` with `result` after `attempts` attempts: its window lasts `settle` more. */
  void close(int event, double t, std::string result, int attempts) {
    WindowEvent& e = events_[static_cast<std::size_t>(event)];
    e.end = t;
    e.finished = true;
    e.result = std::move(result);
    e.attempts = attempts;
    next_expiry_ = std::min(next_expiry_, t + settle_);
  }

  /** The events whose windows contain `t`; `t` never decreases from one call to the next. */
  SetId at(double t) {
    if (t > next_expiry_) {
      // Windows that ended before t leave the set.
      next_expiry_ = std::numeric_limits<double>::infinity();
      std::vector<int> still;
      for (int e : open_) {
        const WindowEvent& event = events_[static_cast<std::size_t>(e)];
        if (!event.finished || t <= event.end + settle_) {
          still.push_back(e);
          if (event.finished)
            next_expiry_ = std::min(next_expiry_, event.end + settle_);
        }
      }
      if (still.size() != open_.size()) {
        open_ = std::move(still);
        current_ = intern(open_);
      }
    }
    return current_;
  }

  /** The set `set` with `event` added. */
  SetId with(SetId set, int event) {
    const std::vector<int>& members = sets_[set];
    if (std::binary_search(members.begin(), members.end(), event))
      return set;
    std::vector<int> grown = members;
    grown.insert(std::lower_bound(grown.begin(), grown.end(), event), event);
    return intern(grown);
  }

  const std::vector<int>& members(SetId set) const { return sets_[set]; }
  std::size_t set_count() const { return sets_.size(); }
  const std::vector<WindowEvent>& events() const { return events_; }
  double settle() const { return settle_; }
  /** Where event e's window ends: its end plus the settling time, at most the horizon. */
  double window_end(int event, double horizon) const {
    const WindowEvent& e = events_[static_cast<std::size_t>(event)];
    return e.finished ? std::min(e.end + settle_, horizon) : horizon;
  }

private:
  SetId intern(std::vector<int> members) {
    if (!std::is_sorted(members.begin(), members.end())) // open_ is, events opening in number order
      std::sort(members.begin(), members.end());
    const auto [it, added] = ids_.emplace(members, static_cast<SetId>(sets_.size()));
    if (added)
      sets_.push_back(std::move(members));
    return it->second;
  }

  double settle_;
  std::vector<WindowEvent> events_;
  std::vector<int> open_; ///< events whose window may still contain the present
  SetId current_ = kNone;
  double next_expiry_ = std::numeric_limits<double>::infinity();
  std::vector<std::vector<int>> sets_; ///< set id -> sorted events; [0] is the empty set
  struct MembersHash {
    std::size_t operator()(const std::vector<int>& members) const {
      uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a over the members
      for (int m : members)
        h = (h ^ static_cast<uint32_t>(m)) * 0x100000001b3ULL;
      return static_cast<std::size_t>(h);
    }
  };
  // Hashed, not ordered: under a storm thousands of windows overlap, and comparing such sets along a tree's path
  // cost more than the whole simulation.
  std::unordered_map<std::vector<int>, SetId, MembersHash> ids_{{{}, kNone}};
};

} // namespace apq
