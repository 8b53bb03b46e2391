#pragma once
// Reconfiguration windows: the time from an admin operation's start to its end plus a settling time, during
// which the guests feel it. Tail latency inside them is the figure operators ask about.

#include <algorithm>
#include <utility>
#include <vector>

namespace apq {

/** Answers "is time t inside a window?" for increasing t, either while the windows are being opened and closed
 * (the reconfigured run) or from a fixed list (its baseline). */
class ReconfigWindows {
public:
  explicit ReconfigWindows(double settle) : settle_(settle) {}
  /** Fixed intervals, merged and in time order. */
  explicit ReconfigWindows(std::vector<std::pair<double, double>> intervals) : intervals_(std::move(intervals)) {}

  void open(double t) {
    if (running_++ == 0)
      start(t);
  }
  void close(double t) {
    if (--running_ == 0)
      until_ = std::max(until_, t + settle_);
  }
  /** `t` never decreases from one call to the next. */
  bool contains(double t) {
    if (fixed())
      return next_fixed(t);
    return running_ > 0 || (has_current_ && t <= until_);
  }
  /** The merged intervals so far; an open window ends at `now`. */
  std::vector<std::pair<double, double>> intervals(double now) const {
    std::vector<std::pair<double, double>> out = intervals_;
    if (has_current_)
      out.emplace_back(current_start_, running_ > 0 ? now : std::min(until_, now));
    return out;
  }

private:
  bool fixed() const { return !intervals_.empty() && settle_ < 0; }
  void start(double t) {
    if (has_current_ && t <= until_)
      return; // overlaps the current window: extend it
    if (has_current_)
      intervals_.emplace_back(current_start_, until_);
    has_current_ = true;
    current_start_ = t;
    until_ = t;
  }
  bool next_fixed(double t) {
    while (cursor_ < intervals_.size() && intervals_[cursor_].second < t)
      ++cursor_;
    return cursor_ < intervals_.size() && intervals_[cursor_].first <= t;
  }

  double settle_ = -1; // < 0: fixed intervals
  std::vector<std::pair<double, double>> intervals_;
  std::size_t cursor_ = 0;
  int running_ = 0;
  bool has_current_ = false;
  double current_start_ = 0;
  double until_ = 0;
};

} // namespace apq
