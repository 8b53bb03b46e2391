#include "analysis/run_result.hpp"

#include <algorithm>

namespace apq {

void ImpactFigures::add(const ImpactFigures& o) {
  offered += o.offered;
  completed += o.completed;
  failed_enodev += o.failed_enodev;
  failed_eio += o.failed_eio;
  failed_guest_stopped += o.failed_guest_stopped;
  unfinished += o.unfinished;
  retried += o.retried;
  lost_in_card += o.lost_in_card;
  paired += o.paired;
  extra_delay += o.extra_delay;
  slow += o.slow;
  baseline_slow += o.baseline_slow;
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
