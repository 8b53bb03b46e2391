#include "analysis/mser.hpp"

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
  double best = std::numeric_limits<double>::infinity();
  std::size_t best_d = 0;
  for (std::size_t d = 0; d + 1 < m; ++d) {
    const double n = static_cast<double>(m - d);
    const double variance_sum = squares[d] - sum[d] * sum[d] / n; // sum of squared deviations
    const double score = variance_sum / (n * n);
    if (score < best) {
      best = score;
      best_d = d;
    }
  }
  result.truncate = best_d * batch;
  result.reliable = best_d <= m / 2;
  return result;
}

double mser5_warmup(const std::vector<uint64_t>& completed, const std::vector<double>& latency_sum, double window,
                    bool* reliable) {
  std::vector<double> observations;
  std::size_t first = 0;
  while (first < completed.size() && completed[first] == 0)
    ++first;
  double last = 0;
  for (std::size_t i = first; i < completed.size(); ++i) {
    if (completed[i] > 0)
      last = latency_sum[i] / static_cast<double>(completed[i]);
    observations.push_back(last);
  }
  const MserResult r = mser(observations);
  if (reliable != nullptr)
    *reliable = r.reliable;
  return static_cast<double>(first + r.truncate) * window;
}

} // namespace apq
