#pragma once
// Time to recover: how long after a reconfiguration a guest's service is back to what the same requests get without
// it. Both runs see the same requests (common random numbers), so their time series can be compared window by
// window. A window is degraded when the reconfigured run, against the baseline's same window:
//   - failed more requests, or
//   - completed fewer, by more than 10% and more than 3 sqrt(baseline count) (counting noise), or
//   - had a mean latency more than 10% higher, by more than 3 times the baseline's own window-to-window noise
//     (the robust spread of successive differences of its window means, MAD x 1.4826 / sqrt 2).
// The guest has recovered at the first window, from the one holding the operation's end, that starts a run of
// kRecoveryHold clean windows (fewer at the end of the series). The answer's resolution is the series window.

#include "analysis/run_result.hpp"

#include <cstddef>

namespace apq {

inline constexpr std::size_t kRecoveryHold = 3;
inline constexpr double kRecoveryTolerance = 0.10;

/** Seconds from `from` (the operation's end) until recovery: 0 if the guest is not degraded then; NaN if it has not
 * recovered by the end of the series. */
double time_to_recover(const SeriesColumns& run, const SeriesColumns& baseline, double window, double from);

} // namespace apq
