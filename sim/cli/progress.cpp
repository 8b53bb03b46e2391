#include "sim/cli/progress.hpp"

#include "models/units.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace apq::cli {

ProgressLine::ProgressLine(bool quiet)
    : enabled_(!quiet && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()), last_(start_) {
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  colour_ =
      enabled_ && (no_colour == nullptr || *no_colour == '\0') && term != nullptr && std::strcmp(term, "dumb") != 0;
}

ProgressLine::~ProgressLine() {
  clear();
}

std::string ProgressLine::eta(double fraction) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (fraction >= 1)
    return "done";
  if (fraction <= 0 || elapsed < 0.5)
    return "ETA ...";
  return "ETA " + units::format_duration(std::max(0.0, elapsed / fraction - elapsed));
}

std::string ProgressLine::elapsed() const {
  return units::format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()) +
         " elapsed";
}

std::string ProgressLine::emphasis(const std::string& text) const {
  return colour_ ? "\033[1;36m" + text + "\033[0m" : text;
}

void ProgressLine::simulated(double now, double horizon) {
  if (!enabled_)
    return;
  const double fraction = horizon > 0 ? std::min(1.0, now / horizon) : 0;
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.0f%%", 100 * fraction);
  show("simulated " + units::format_duration(now) + " of " + units::format_duration(horizon) + " (" +
       emphasis(percent) + "), " + eta(fraction));
}

void ProgressLine::count(const std::string& what, std::size_t done, std::size_t total, const std::string& unit) {
  if (!enabled_)
    return;
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.0f%%", 100 * fraction);
  show((what.empty() ? "" : what + " ") + unit + " " + std::to_string(done) + "/" + std::to_string(total) + " (" +
           emphasis(percent) + "), " + eta(fraction),
       done == total);
}

void ProgressLine::show(const std::string& text, bool force) {
  if (!enabled_)
    return;
  // Ten updates a second at most: a terminal redrawn faster only costs time.
  const auto now = std::chrono::steady_clock::now();
  if (!force && shown_ && now - last_ < std::chrono::milliseconds(100))
    return;
  last_ = now;
  shown_ = true;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

void ProgressLine::clear() {
  if (!shown_)
    return;
  shown_ = false;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

} // namespace apq::cli
