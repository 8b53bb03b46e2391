#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace apq {

/** @brief One-pass mean, variance, min and max without storing the samples.
 *
 * add() is Welford's update (Welford, Technometrics 4(3), 1962); merge() is the pairwise combination of Chan,
 * Golub and LeVeque ("Updating formulae and a pairwise algorithm for computing sample variances", 1979), so
 * per-replication or per-thread accumulators can be combined without loss of accuracy.
 */
class RunningStats {
public:
  void add(double x) {
    ++n_;
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (x - mean_);
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }

  void merge(const RunningStats& other) {
    if (other.n_ == 0)
      return;
    if (n_ == 0) {
      *this = other;
      return;
    }
    const double n_a = static_cast<double>(n_);
    const double n_b = static_cast<double>(other.n_);
    const double n = n_a + n_b;
    const double delta = other.mean_ - mean_;
    mean_ += delta * n_b / n;
    m2_ += other.m2_ + delta * delta * n_a * n_b / n;
    n_ += other.n_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return n_; }
  /** 0 when empty. */
  double mean() const { return mean_; }
  /** Sample variance (divides by n-1); 0 when fewer than two samples. */
  double variance() const { return n_ < 2 ? 0.0 : m2_ / static_cast<double>(n_ - 1); }
  double stddev() const { return std::sqrt(variance()); }
  /** 0 when empty. */
  double min() const { return n_ == 0 ? 0.0 : min_; }
  /** 0 when empty. */
  double max() const { return n_ == 0 ? 0.0 : max_; }

private:
  uint64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0; // sum of squared deviations from the current mean
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

} // namespace apq
