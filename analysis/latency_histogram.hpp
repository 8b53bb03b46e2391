#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace apq {

/** @brief Latency histogram with log-spaced buckets: bounded relative error, memory bounded by the geometry.
 *
 * Bucket i covers (gamma^(i-1), gamma^i] with gamma = (1+e)/(1-e) and is represented by 2*gamma^i/(gamma+1);
 * every value of the bucket is then within relative error e of the representative (the geometry of DDSketch,
 * Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
 * VLDB 2019). Buckets span [lowest, highest]. Counters are kept for the range of buckets that received samples
 * only (a run's latencies fill a few hundred of the default 1,729 buckets, and thousands of guests each have one):
 * memory grows with the spread of the values, at most to the whole geometry, never with their number.
 *
 * Out-of-range values:
 *  - values in [0, lowest) (0 latency included) go to an underflow bucket represented by the largest value it
 *    received: a histogram of zeros reports exactly 0, otherwise the absolute error there is below `lowest`;
 *  - values above `highest` go to an overflow bucket represented by max().
 * count(), mean(), min() and max() are exact whatever the range.
 */
class LatencyHistogram {
public:
  /** @param lowest smallest value with the relative-error guarantee (seconds, > 0)
   *  @param highest largest value with the relative-error guarantee (seconds, > lowest)
   *  @param relative_error guaranteed bound on |reported - true| / true for quantiles, in (0, 1)
   *  @throw std::invalid_argument if the geometry is invalid or needs more than 2^24 buckets */
  explicit LatencyHistogram(double lowest = 1e-9, double highest = 1e6, double relative_error = 0.01);

  /** @brief Adds one sample; cheap enough to call per request (one log; allocates only when the value falls
   *  outside the range of buckets seen so far).
   *  @throw std::invalid_argument if the value is negative, NaN or infinite */
  void record(double seconds);

  /** @brief Adds one sample whose bucket is known: `bucket` is what checked_bucket(seconds) gave, on this histogram
   *  or one of the same geometry (one log for several histograms of one sample). */
  void record_in(std::size_t bucket, double seconds);
  /** @brief bucket_index(seconds) for a sample to record.
   *  @throw std::invalid_argument if the value is negative, NaN or infinite */
  std::size_t checked_bucket(double seconds) const;

  /** @brief Adds every sample of `other` to this histogram.
   *  @throw std::invalid_argument if `other` was built with a different lowest, highest or relative_error */
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  /** Exact mean from a compensated running sum; 0 when empty. */
  double mean() const;
  /** Exact smallest sample; 0 when empty. */
  double min() const { return count_ == 0 ? 0.0 : min_; }
  /** Exact largest sample; 0 when empty. */
  double max() const { return count_ == 0 ? 0.0 : max_; }

  /** @brief Nearest-rank quantile: the representative of the first bucket whose cumulative count reaches
   *  ceil(q*n), clamped to [min(), max()].
   *
   * q = 0 gives min() and q = 1 gives max() exactly; an empty histogram gives 0. q*n is snapped to the nearest
   * integer when it is within 1e-9 relative of it, so that decimal quantiles such as 0.99 of 100000 samples give
   * rank 99000 rather than 99001 through binary rounding.
   * @throw std::domain_error if q is outside [0, 1] */
  double quantile(double q) const;

  double relative_error() const { return relative_error_; }
  double lowest() const { return lowest_; }
  double highest() const { return highest_; }
  /** Number of buckets, underflow and overflow included; fixed at construction. */
  std::size_t bucket_count() const { return bucket_count_; }
  /** Bytes used by this object and its counters: at most the whole geometry's. */
  std::size_t memory_bytes() const { return sizeof(*this) + counts_.capacity() * sizeof(uint64_t); }

  /** @brief Forgets every sample; keeps the geometry and the memory. */
  void clear();

  // --- buckets, for tail statistics across runs and for passing a histogram between processes ---------------

  /** The bucket a value falls in: 0 underflow, bucket_count() - 1 overflow. */
  std::size_t bucket_index(double seconds) const;
  /** Values of bucket b are within (bucket_lower(b), bucket_upper(b)]; the underflow bucket holds [0, lowest) and
   * the overflow bucket (highest, max()]. */
  double bucket_lower(std::size_t bucket) const;
  double bucket_upper(std::size_t bucket) const;
  /** Samples per bucket (bucket_count() of them), underflow first and overflow last. */
  std::vector<uint64_t> bucket_counts() const;
  /** The running sum of the samples (mean() x count()). */
  double sum() const { return sum_ + sum_compensation_; }
  /** The largest sample below `lowest` (what the underflow bucket reports). */
  double underflow_max() const { return underflow_max_; }

  /** @brief Rebuilds a histogram from what bucket_counts(), sum(), min(), max() and underflow_max() gave.
   *  @throw std::invalid_argument if a bucket index is out of range for this geometry */
  static LatencyHistogram restore(double lowest, double highest, double relative_error,
                                  const std::vector<std::pair<std::size_t, uint64_t>>& buckets, double sum, double min,
                                  double max, double underflow_max);

private:
  double representative(std::size_t bucket) const;
  void add_to_sum(double value);
  /** Makes counts_ cover bucket `bucket`. */
  void cover(std::size_t bucket);

  double lowest_;
  double highest_;
  double relative_error_;
  double log_gamma_;             // log of the bucket ratio
  double inv_log_gamma_;         // 1 / log_gamma_, so that record() multiplies instead of divides
  double rep_factor_;            // 2 / (gamma + 1): representative = rep_factor_ * upper bound of the bucket
  int first_index_;              // log-index ceil(log_gamma(lowest)) of the first regular bucket
  std::size_t bucket_count_;     // [0] underflow, [1..n] regular, [n+1] overflow
  std::size_t base_ = 0;         // the bucket counted by counts_[0]
  std::vector<uint64_t> counts_; // buckets base_ .. base_ + counts_.size() - 1; the others are empty

  uint64_t count_ = 0;
  double sum_ = 0.0;
  double sum_compensation_ = 0.0; // Neumaier's running correction, keeps mean() exact over 1e7+ samples
  double min_;
  double max_;
  double underflow_max_ = 0.0;
};

} // namespace apq
