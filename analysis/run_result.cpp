#include "analysis/run_result.hpp"

#include <algorithm>

namespace apq {

double WindowFigures::seconds() const {
  double total = 0;
  for (const auto& [start, end] : intervals)
    total += std::max(0.0, end - start);
  return total;
}

LatencySummary LatencySummary::of(const LatencyHistogram& h) {
  return LatencySummary{h.mean(),          h.quantile(0.5),    h.quantile(0.9), h.quantile(0.99),
                        h.quantile(0.999), h.quantile(0.9999), h.max(),         h.min()};
}

std::vector<std::string> RunResult::violations() const {
  std::vector<std::string> out;
  if (!control.deadlocks.empty())
    out.emplace_back("deadlock");
  if (!control.inversions.empty())
    out.emplace_back("lock_order_inversion");
  if (!control.stolen_queues.empty())
    out.emplace_back("stolen_queue");
  if (!control.kernel_bugs.empty())
    out.emplace_back("kernel_bug");
  return out;
}

} // namespace apq
