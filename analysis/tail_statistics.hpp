#pragma once
// Tail figures across independent replications: quantiles and exceedance probabilities of latency.
//
// Why not a Student-t interval over the replications' own quantiles: a quantile of one short run is biased (low for
// the tail: the p999 of 10 000 samples sits on its 10th-largest value), averaging biased values keeps the bias, and
// histogram buckets make replications agree exactly, which gives intervals of width 0 that miss. What is unbiased
// in each replication is a fraction: p_r(x) = (samples above x) / (samples), whose mean over replications estimates
// P(T > x) (replications are independent, whatever the correlation inside one run). Those fractions are right-skewed
// for rare events (tail samples come in bursts), so their interval is that of a lognormal mean (modified Cox
// method, see tail_statistics.cpp) rather than Student's symmetric one, which the coverage study found too low. A
// quantile's interval is the inversion of that test (Lehmann, "Testing Statistical Hypotheses", §3.5: the set of x
// whose exceedance interval contains 1 - q), evaluated at bucket edges, so it is never narrower than one bucket.
// The point estimate is the quantile of the pooled histogram.

#include "analysis/latency_histogram.hpp"
#include "analysis/student_t.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace apq {

/** An interval for a latency quantile, in seconds. */
struct QuantileInterval {
  double estimate = 0; ///< quantile of the pooled histogram
  double lower = 0;    ///< a bucket edge: never inside the estimate's bucket
  double upper = 0;    ///< a bucket edge; +inf when no replication resolves the tail
  std::size_t replications = 0;
  double min_tail_samples = 0; ///< smallest n_r (1 - q) over the replications: samples expected above the quantile
  /** How many independent samples the replications' fractions above the estimate amount to: R / cv^2, cv their
   * coefficient of variation. Tail samples come in clusters (a congested period brings many), so this is far below
   * the raw count at high load, and it is what the interval's validity depends on. */
  double effective_tail_samples = 0;
};

/** @brief Quantile q of latency over replications (one histogram each, same geometry): pooled estimate and the
 *  inverted exceedance interval at confidence `level`. With fewer than 2 non-empty replications the interval is
 *  (-inf, +inf) around the estimate.
 *  @throw std::invalid_argument if the histograms' geometries differ; std::domain_error if q is not in (0, 1) */
QuantileInterval quantile_interval(const std::vector<const LatencyHistogram*>& replications, double q, double level);

/** P(T > threshold) over replications. */
struct ExceedanceInterval {
  double threshold = 0;
  double estimate = 0; ///< mean over replications of the fraction above the threshold
  double lower = 0;    ///< conservative: from the bucket edge above the threshold
  double upper = 0;    ///< conservative: from the bucket edge below the threshold
  double half_width = 0;
  std::size_t replications = 0;
  double min_samples = 0; ///< fewest samples in one replication
  /** R / cv^2 of the replications' fractions above the threshold: how many independent samples they amount to. */
  double effective_samples = 0;
};

/** @brief P(T > threshold) as the mean of the replications' fractions, with its interval. The threshold
 *  falls inside a histogram bucket: the interval's lower bound uses the fraction above the bucket's upper edge,
 *  its upper bound the fraction above its lower edge, so the bucket's width widens it rather than hides in it.
 *  With fewer than 2 replications the bounds are 0 and 1. */
ExceedanceInterval exceedance_interval(const std::vector<const LatencyHistogram*>& replications, double threshold,
                                       double level);

/** @brief How many replications an interval around `estimate` would likely need to exclude `limit`: the half-width
 *  shrinks as 1/sqrt(n), so n (half_width / |estimate - limit|)^2, rounded up (at least n + 1). Empty when the
 *  estimate sits on the limit. */
std::optional<std::size_t> replications_needed(std::size_t n, double estimate, double half_width, double limit);

} // namespace apq
