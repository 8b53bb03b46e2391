#pragma once
// Per-guest time series in fixed windows: what a timeline plots, what MSER-5 reads, what time-to-recover compares
// with the baseline's. Windows close lazily, when the first event after their end arrives: the levels sampled then
// (usable queues, requests in flight) are those at the window's end, since nothing changed in between.
//
// Memory is fixed by the number of windows (a few numbers per window and guest) plus one latency histogram per guest
// for the window being filled; the default window keeps that number between 500 and 1250 whatever the horizon.

#include "analysis/latency_histogram.hpp"
#include "analysis/run_result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace apq {

/** The window apqsim uses when [run] series_window is not set: horizon / 500 rounded down to 1, 2 or 5 times a
 * power of ten (a 60 s run gets 100 ms windows, a 3 s run 5 ms). */
double default_series_window(double horizon);
/** More windows than this is a configuration error (memory). */
inline constexpr double kMaxSeriesWindows = 100000;

class SeriesRecorder {
public:
  struct Levels {
    uint32_t usable_queues = 0;
    uint64_t in_flight = 0;
  };
  /** `levels(g)` reports guest g's levels now; called when a window closes. */
  SeriesRecorder(double window, double horizon, std::vector<std::string> guests,
                 std::function<Levels(std::size_t guest)> levels);

  /** Closes the windows that ended at or before `now`; call before changing what `levels` reports. */
  void advance(double now);
  void completed(std::size_t guest, double now, double latency);
  /** The same, `bucket` being the latency's checked_bucket() in a LatencyHistogram of the default geometry. */
  void completed(std::size_t guest, double now, double latency, std::size_t bucket);
  void failed(std::size_t guest, double now);
  /** Closes the remaining windows up to the horizon and hands the series over. */
  TimeSeries finish();

private:
  void close_window();

  double window_;
  std::size_t windows_;
  std::size_t current_ = 0; ///< the window being filled
  std::function<Levels(std::size_t)> levels_;
  TimeSeries series_;
  std::vector<LatencyHistogram> open_; ///< per guest, then all: latency in the current window
  std::vector<uint64_t> completed_, failed_;
};

} // namespace apq
