#include "analysis/latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace apq {

namespace {

std::string to_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// Buckets are laid out for a bound slightly tighter than the one promised, so that the rounding of log() and
// exp() (about 1e-14 relative here) can never push a reported quantile past relative_error.
constexpr double kErrorMargin = 1.0 - 1e-6;
constexpr double kMaxBuckets = 1 << 24;

} // namespace

LatencyHistogram::LatencyHistogram(double lowest, double highest, double relative_error)
    : lowest_(lowest), highest_(highest), relative_error_(relative_error),
      min_(std::numeric_limits<double>::infinity()), max_(-std::numeric_limits<double>::infinity()) {
  if (!(lowest > 0.0 && std::isfinite(lowest) && highest > lowest && std::isfinite(highest)))
    throw std::invalid_argument("LatencyHistogram: need 0 < lowest < highest < inf, got lowest=" + to_text(lowest) +
                                " highest=" + to_text(highest));
  if (!(relative_error > 0.0 && relative_error < 1.0))
    throw std::invalid_argument("LatencyHistogram: relative_error must be in (0, 1), got " + to_text(relative_error));

  const double e = relative_error * kErrorMargin;
  log_gamma_ = std::log1p(2.0 * e / (1.0 - e)); // log((1+e)/(1-e)) without cancellation for small e
  inv_log_gamma_ = 1.0 / log_gamma_;
  rep_factor_ = 1.0 - e; // 2/(gamma+1) with gamma = (1+e)/(1-e)

  const double regular =
      std::ceil(std::log(highest) * inv_log_gamma_) - std::ceil(std::log(lowest) * inv_log_gamma_) + 1;
  if (regular + 2 > kMaxBuckets)
    throw std::invalid_argument("LatencyHistogram: geometry needs " + to_text(regular + 2) +
                                " buckets (limit 2^24); widen relative_error or narrow [lowest, highest]");
  first_index_ = static_cast<int>(std::ceil(std::log(lowest) * inv_log_gamma_));
  bucket_count_ = static_cast<std::size_t>(regular) + 2;
}

void LatencyHistogram::cover(std::size_t bucket) {
  if (bucket - base_ < counts_.size())
    return;
  // A margin beyond the new bucket (a quarter of the range, at least 8) so that a drifting range reallocates rarely.
  const std::size_t slack = std::max<std::size_t>(8, counts_.size() / 4);
  const std::size_t begin = counts_.empty() ? bucket : base_;
  const std::size_t end = counts_.empty() ? bucket + 1 : base_ + counts_.size();
  const std::size_t lo = bucket <= begin ? bucket - std::min(bucket, slack) : begin;
  const std::size_t hi = bucket + 1 >= end ? std::min(bucket_count_, bucket + 1 + slack) : end;
  std::vector<uint64_t> wider(hi - lo, 0);
  std::copy(counts_.begin(), counts_.end(), wider.begin() + static_cast<std::ptrdiff_t>(begin - lo));
  counts_ = std::move(wider);
  base_ = lo;
}

std::vector<uint64_t> LatencyHistogram::bucket_counts() const {
  std::vector<uint64_t> all(bucket_count_, 0);
  std::copy(counts_.begin(), counts_.end(), all.begin() + static_cast<std::ptrdiff_t>(base_));
  return all;
}

std::size_t LatencyHistogram::bucket_index(double seconds) const {
  if (seconds < lowest_)
    return 0;
  const std::size_t overflow = bucket_count_ - 1;
  if (seconds > highest_)
    return overflow;
  const long index = static_cast<long>(std::ceil(std::log(seconds) * inv_log_gamma_)) - first_index_ + 1;
  // Rounding at the two ends of the range may land one bucket outside; the error stays within the margin.
  return static_cast<std::size_t>(std::clamp<long>(index, 1, static_cast<long>(overflow) - 1));
}

double LatencyHistogram::representative(std::size_t bucket) const {
  if (bucket == 0)
    return underflow_max_;
  if (bucket == bucket_count_ - 1)
    return max_;
  const double upper = std::exp(static_cast<double>(static_cast<long>(bucket) - 1 + first_index_) * log_gamma_);
  return rep_factor_ * upper;
}

void LatencyHistogram::add_to_sum(double value) {
  // Neumaier's variant of Kahan summation: also correct when the new term is larger than the sum.
  const double total = sum_ + value;
  if (std::abs(sum_) >= std::abs(value))
    sum_compensation_ += (sum_ - total) + value;
  else
    sum_compensation_ += (value - total) + sum_;
  sum_ = total;
}

std::size_t LatencyHistogram::checked_bucket(double seconds) const {
  if (!(seconds >= 0.0 && seconds < std::numeric_limits<double>::infinity()))
    throw std::invalid_argument("LatencyHistogram::record(): latency must be finite and >= 0, got " + to_text(seconds));
  return bucket_index(seconds);
}

void LatencyHistogram::record(double seconds) {
  record_in(checked_bucket(seconds), seconds);
}

void LatencyHistogram::record_in(std::size_t bucket, double seconds) {
  if (bucket - base_ >= counts_.size()) // below base_ too: the difference wraps around
    cover(bucket);
  ++counts_[bucket - base_];
  if (bucket == 0)
    underflow_max_ = std::max(underflow_max_, seconds);
  ++count_;
  add_to_sum(seconds);
  min_ = std::min(min_, seconds);
  max_ = std::max(max_, seconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.lowest_ != lowest_ || other.highest_ != highest_ || other.relative_error_ != relative_error_)
    throw std::invalid_argument("LatencyHistogram::merge(): geometries differ (lowest " + to_text(lowest_) + " vs " +
                                to_text(other.lowest_) + ", highest " + to_text(highest_) + " vs " +
                                to_text(other.highest_) + ", relative_error " + to_text(relative_error_) + " vs " +
                                to_text(other.relative_error_) + ")");
  if (!other.counts_.empty()) {
    cover(other.base_);
    cover(other.base_ + other.counts_.size() - 1);
    for (std::size_t i = 0; i < other.counts_.size(); ++i)
      counts_[other.base_ - base_ + i] += other.counts_[i];
  }
  if (other.base_ == 0 && !other.counts_.empty() && other.counts_[0] > 0)
    underflow_max_ = std::max(underflow_max_, other.underflow_max_);
  count_ += other.count_;
  add_to_sum(other.sum_);
  add_to_sum(other.sum_compensation_);
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : (sum_ + sum_compensation_) / static_cast<double>(count_);
}

double LatencyHistogram::quantile(double q) const {
  if (!(q >= 0.0 && q <= 1.0))
    throw std::domain_error("LatencyHistogram::quantile(): q must be in [0, 1], got " + to_text(q));
  if (count_ == 0)
    return 0.0;
  if (q == 0.0)
    return min_;
  if (q == 1.0)
    return max_;

  const double exact_rank = q * static_cast<double>(count_);
  const double nearest = std::round(exact_rank);
  const double rank_real = std::abs(exact_rank - nearest) <= 1e-9 * exact_rank ? nearest : std::ceil(exact_rank);
  const uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(rank_real), 1, count_);

  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank)
      return std::clamp(representative(base_ + i), min_, max_);
  }
  return max_; // unreachable: the buckets hold count_ samples
}

double LatencyHistogram::bucket_upper(std::size_t bucket) const {
  if (bucket == 0)
    return lowest_;
  if (bucket >= bucket_count_ - 1)
    return std::max(max_, highest_);
  return std::exp(static_cast<double>(static_cast<long>(bucket) - 1 + first_index_) * log_gamma_);
}

double LatencyHistogram::bucket_lower(std::size_t bucket) const {
  if (bucket == 0)
    return 0.0;
  if (bucket >= bucket_count_ - 1)
    return highest_;
  if (bucket == 1)
    return lowest_; // smaller values went to the underflow bucket
  return std::exp(static_cast<double>(static_cast<long>(bucket) - 2 + first_index_) * log_gamma_);
}

LatencyHistogram LatencyHistogram::restore(double lowest, double highest, double relative_error,
                                           const std::vector<std::pair<std::size_t, uint64_t>>& buckets, double sum,
                                           double min, double max, double underflow_max) {
  LatencyHistogram h(lowest, highest, relative_error);
  for (const auto& [bucket, count] : buckets) {
    if (bucket >= h.bucket_count_)
      throw std::invalid_argument("LatencyHistogram::restore(): bucket " + std::to_string(bucket) + " out of range (" +
                                  std::to_string(h.bucket_count_) + " buckets)");
    h.cover(bucket);
    h.counts_[bucket - h.base_] += count;
    h.count_ += count;
  }
  if (h.count_ > 0) {
    h.sum_ = sum;
    h.min_ = min;
    h.max_ = max;
    h.underflow_max_ = underflow_max;
  }
  return h;
}

void LatencyHistogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0.0;
  sum_compensation_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
  underflow_max_ = 0.0;
}

} // namespace apq
