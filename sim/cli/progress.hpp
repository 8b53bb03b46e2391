#pragma once
// The progress line of a long command, on stderr: simulated time of the horizon, runs or points done, the ETA.
// Shown only on a terminal (logs and CI get the final output alone) and never with --quiet; colour only when the
// terminal can show it and NO_COLOR (no-color.org) is not set.

#include <chrono>
#include <string>

namespace apq::cli {

class ProgressLine {
public:
  /** `quiet`: --quiet was given. */
  explicit ProgressLine(bool quiet);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  /** "simulated 12.3s of 60s (20%), ETA 14s": a single run, from its simulated clock. */
  void simulated(double now, double horizon);
  /** "runs 3/20 (15%), ETA 1m5s", after `what` (e.g. "compare 4 variants:"). */
  void count(const std::string& what, std::size_t done, std::size_t total, const std::string& unit = "runs");
  /** Any text, as it is. */
  void show(const std::string& text, bool force = false);
  /** "12.3s elapsed": for work whose total is not known in advance. */
  std::string elapsed() const;
  /** A new stage: the ETA counts from now. */
  void restart() { start_ = std::chrono::steady_clock::now(); }
  /** Erases the line (the next output starts on a clean line). */
  void clear();

private:
  std::string eta(double fraction) const;
  std::string emphasis(const std::string& text) const;

  bool enabled_ = false;
  bool colour_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

} // namespace apq::cli
