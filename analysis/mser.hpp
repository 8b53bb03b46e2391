#pragma once
// MSER-5 (White 1997; White, Cobb and Spratt 2000): the warm-up to delete is the truncation point that minimizes the
// marginal standard error of what remains, computed on batch means of 5 observations, and searched over the first
// half of the series only (a later minimum means the run is too short to tell).

#include <cstdint>
#include <vector>

namespace apq {

struct MserResult {
  std::size_t truncate = 0; ///< observations to delete (a multiple of the batch size)
  bool reliable = true;     ///< false when the minimum fell in the second half: run longer
};

MserResult mser(const std::vector<double>& observations, std::size_t batch = 5);

/** MSER-5 on a run's windows of mean latency, weighting nothing: empty windows (no completion) are skipped at the
 * start and counted as observations of their neighbour otherwise. Returns the warm-up in seconds. */
double mser5_warmup(const std::vector<uint64_t>& completed, const std::vector<double>& latency_sum, double window,
                    bool* reliable = nullptr);

} // namespace apq
