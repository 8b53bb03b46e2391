#include "analysis/recovery.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace apq {

namespace {

/** The baseline's window-to-window noise of its mean latency: robust, so that its own bursts do not inflate it. */
double latency_noise(const SeriesColumns& baseline) {
  std::vector<double> steps;
  for (std::size_t k = 1; k < baseline.mean_latency.size(); ++k) {
    const double a = baseline.mean_latency[k - 1], b = baseline.mean_latency[k];
    if (std::isfinite(a) && std::isfinite(b))
      steps.push_back(std::abs(b - a));
  }
  if (steps.empty())
    return 0;
  std::nth_element(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2), steps.end());
  return steps[steps.size() / 2] * 1.4826 / std::sqrt(2.0);
}

} // namespace

double time_to_recover(const SeriesColumns& run, const SeriesColumns& baseline, double window, double from) {
  const std::size_t n = std::min(run.completed.size(), baseline.completed.size());
  if (n == 0 || !(window > 0))
    return std::numeric_limits<double>::quiet_NaN();
  const double noise = 3 * latency_noise(baseline);
  auto degraded = [&](std::size_t k) {
    if (run.failed[k] > baseline.failed[k])
      return true;
    const auto base = static_cast<double>(baseline.completed[k]);
    const double shortfall = base - static_cast<double>(run.completed[k]);
    if (shortfall > kRecoveryTolerance * base && shortfall > 3 * std::sqrt(base))
      return true;
    const double mean = run.mean_latency[k], base_mean = baseline.mean_latency[k];
    if (std::isfinite(mean) && std::isfinite(base_mean)) {
      const double excess = mean - base_mean;
      if (excess > kRecoveryTolerance * base_mean && excess > noise)
        return true;
    }
    return false;
  };
  const auto first = static_cast<std::size_t>(std::max(0.0, std::floor(from / window)));
  for (std::size_t k = first; k < n; ++k) {
    const std::size_t hold = std::min(kRecoveryHold, n - k);
    bool clean = true;
    for (std::size_t j = k; j < k + hold && clean; ++j)
      clean = !degraded(j);
    if (clean)
      return std::max(0.0, static_cast<double>(k) * window - from);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

} // namespace apq
