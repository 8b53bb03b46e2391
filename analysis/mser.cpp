#include "analysis/mser.hpp"

#include <cmath>
#include <limits>

namespace apq {

MserResult mser(const std::vector<double>& observations, std::size_t batch) {
  std::vector<double> means;
  for (std::size_t i = 0; i + batch <= observations.size(); i += batch) {
    double sum = 0;
    for (std::size_t j = 0; j < batch; ++j)
      sum += observations[i + j];
    means.push_back(sum / static_cast<double>(batch));
  }
  MserResult result;
  const std::size_t m = means.size();
  if (m < 4)
    return result;
  // Suffix sums let each candidate d be scored in O(1).
  std::vector<double> sum(m + 1, 0.0), squares(m + 1, 0.0);
  for (std::size_t j = m; j-- > 0;) {
    sum[j] = sum[j + 1] + means[j];
    squares[j] = squares[j + 1] + means[j] * means[j];
  }
  auto score = [&](std::size_t d) {
    const double n = static_cast<double>(m - d);
    return (squares[d] - sum[d] * sum[d] / n) / (n * n); // sum of squared deviations / n^2
  };
  // The last few batches always score low (a handful of points has a small spread): the global minimum is looked
  // for up to m - 2, as White does, only to tell whether the first half's minimum is the real one.
  double best = std::numeric_limits<double>::infinity(), best_half = best;
  std::size_t best_d = 0, best_half_d = 0;
  for (std::size_t d = 0; d + 1 < m; ++d) {
    const double s = score(d);
    if (s < best) {
      best = s;
      best_d = d;
    }
    if (d <= m / 2 && s < best_half) {
      best_half = s;
      best_half_d = d;
    }
  }
  result.truncate = best_half_d * batch;
  result.global_minimum = best_d * batch;
  result.reliable = best_d <= m / 2;
  return result;
}

WarmupDetection mser5_warmup(const std::vector<uint64_t>& completed, const std::vector<double>& mean_latency,
                             double window) {
  std::vector<double> observations;
  std::size_t first = 0;
  while (first < completed.size() && completed[first] == 0)
    ++first;
  double last = 0;
  for (std::size_t i = first; i < completed.size(); ++i) {
    if (completed[i] > 0 && std::isfinite(mean_latency[i]))
      last = mean_latency[i];
    observations.push_back(last);
  }
  const MserResult r = mser(observations);
  WarmupDetection out;
  out.warmup = static_cast<double>(first + r.truncate) * window;
  out.reliable = r.reliable;
  out.minimum_at = static_cast<double>(first + r.global_minimum) * window;
  out.observations = observations.size();
  return out;
}

} // namespace apq
