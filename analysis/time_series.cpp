#include "analysis/time_series.hpp"

#include <cmath>
#include <limits>

namespace apq {

double default_series_window(double horizon) {
  const double raw = horizon / 500;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double step : {5.0, 2.0, 1.0})
    if (step * decade <= raw * (1 + 1e-9))
      return step * decade;
  return decade;
}

namespace {

// Window histograms have the run histogram's geometry, so that a latency's bucket is computed once for both; they
// keep counters only for the buckets a window used, which is what a clear costs.
LatencyHistogram window_histogram() {
  return LatencyHistogram();
}

void push(SeriesColumns& c, uint64_t completed, uint64_t failed, const LatencyHistogram& h,
          SeriesRecorder::Levels levels) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  c.completed.push_back(completed);
  c.failed.push_back(failed);
  c.mean_latency.push_back(h.count() ? h.mean() : none);
  c.p50_latency.push_back(h.count() ? h.quantile(0.5) : none);
  c.p99_latency.push_back(h.count() ? h.quantile(0.99) : none);
  c.usable_queues.push_back(levels.usable_queues);
  c.in_flight.push_back(levels.in_flight);
}

} // namespace

SeriesRecorder::SeriesRecorder(double window, double horizon, std::vector<std::string> guests,
                               std::function<Levels(std::size_t)> levels)
    : window_(window), windows_(static_cast<std::size_t>(std::ceil(horizon / window - 1e-9))),
      levels_(std::move(levels)) {
  series_.window = window;
  series_.guests = std::move(guests);
  series_.per_guest.resize(series_.guests.size());
  open_.assign(series_.guests.size() + 1, window_histogram());
  completed_.assign(series_.guests.size() + 1, 0);
  failed_.assign(series_.guests.size() + 1, 0);
}

void SeriesRecorder::close_window() {
  Levels total;
  const std::size_t all = series_.guests.size();
  for (std::size_t g = 0; g < all; ++g) {
    const Levels levels = levels_(g);
    total.usable_queues += levels.usable_queues;
    total.in_flight += levels.in_flight;
    push(series_.per_guest[g], completed_[g], failed_[g], open_[g], levels);
  }
  // With one guest, its window histogram is the whole run's: completed() fills only that one.
  push(series_.all, completed_[all], failed_[all], all == 1 ? open_[0] : open_[all], total);
  for (std::size_t g = 0; g <= all; ++g) {
    open_[g].clear();
    completed_[g] = 0;
    failed_[g] = 0;
  }
  ++current_;
}

void SeriesRecorder::advance(double now) {
  while (current_ < windows_ && now >= static_cast<double>(current_ + 1) * window_)
    close_window();
}

void SeriesRecorder::completed(std::size_t guest, double now, double latency) {
  completed(guest, now, latency, open_[guest].checked_bucket(latency));
}

void SeriesRecorder::completed(std::size_t guest, double now, double latency, std::size_t bucket) {
  advance(now);
  if (current_ >= windows_)
    return;
  const std::size_t all = series_.guests.size();
  ++completed_[guest];
  ++completed_[all];
  open_[guest].record_in(bucket, latency);
  if (all != 1)
    open_[all].record_in(bucket, latency);
}

void SeriesRecorder::failed(std::size_t guest, double now) {
  advance(now);
  if (current_ >= windows_)
    return;
  ++failed_[guest];
  ++failed_[series_.guests.size()];
}

TimeSeries SeriesRecorder::finish() {
  while (current_ < windows_)
    close_window();
  return std::move(series_);
}

} // namespace apq
