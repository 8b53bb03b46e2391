#pragma once
// MSER-5 (White 1997; White, Cobb and Spratt 2000): the warm-up to delete is the truncation point that minimizes the
// marginal standard error of what remains, computed on batch means of 5 observations. The search covers the first
// half of the series only: a cut later than that leaves too little to estimate anything, and a minimum of the
// marginal standard error beyond the first half means the run is too short to tell where the transient ends
// (White, Cobb and Spratt; Hoad, Robinson and Davies 2010 recommend the same rule).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace apq {

struct MserResult {
  std::size_t truncate = 0;       ///< observations to delete (a multiple of the batch size), within the first half
  bool reliable = true;           ///< false when the statistic's minimum over the whole series lies in the second half
  std::size_t global_minimum = 0; ///< where that minimum lies (observations), to say how short the run is
};

MserResult mser(const std::vector<double>& observations, std::size_t batch = 5);

/** What MSER-5 concluded on a run's windows of mean latency, in seconds. */
struct WarmupDetection {
  double warmup = 0;     ///< the cut, within the first half of the run
  bool reliable = true;  ///< false: the minimum lies beyond the first half; the run is too short to tell
  double minimum_at = 0; ///< where the minimum over the whole run lies
  std::size_t observations = 0;
};

/** MSER-5 on a run's windows of mean latency: windows without a completion are skipped at the start and take their
 * neighbour's value otherwise (NaN marks such a window). */
WarmupDetection mser5_warmup(const std::vector<uint64_t>& completed, const std::vector<double>& mean_latency,
                             double window);

} // namespace apq
