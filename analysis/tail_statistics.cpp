#include "analysis/tail_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace apq {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/** Per replication, the fraction of its samples above each bucket (above the bucket's upper edge). */
struct Exceedances {
  std::vector<std::vector<double>> above; // [replication][bucket]
  std::vector<double> samples;            // [replication]
};

Exceedances exceedances(const std::vector<const LatencyHistogram*>& runs) {
  Exceedances out;
  for (const LatencyHistogram* h : runs) {
    if (h->count() == 0)
      continue; // a replication without a sample says nothing about the distribution
    const std::vector<uint64_t>& counts = h->bucket_counts();
    std::vector<double> above(counts.size(), 0.0);
    uint64_t tail = 0;
    for (std::size_t b = counts.size(); b-- > 0;) {
      above[b] = static_cast<double>(tail) / static_cast<double>(h->count());
      tail += counts[b];
    }
    out.above.push_back(std::move(above));
    out.samples.push_back(static_cast<double>(h->count()));
  }
  return out;
}

/** Interval of the mean of the replications' fractions above bucket b.
 *
 * Fractions of rare events are right-skewed across replications, often heavily: tail events come in clusters (one
 * congested period brings many), so that one replication in ten may hold as many as the nine others. A Student-t
 * interval on them is then too low on its upper side (the measured coverage of p999 intervals of 20 s M/M/4 runs at
 * rho 0.8 was 0.87). Their logarithms are nearly symmetric: the interval is made for the mean of a lognormal by the
 * modified Cox method (Olsson, "Confidence intervals for the mean of a log-normal distribution", J. Statistics
 * Education 13(1), 2005): exp(y + s^2/2 +- t sqrt(s^2/n + s^4/(2(n-1)))), y and s over log(fraction + 0.5/samples)
 * (half a sample, taken off again, for the continuity of counts). */
struct Band {
  double mean, lower, upper, half_width;
};

Band student_band(const Exceedances& e, std::size_t b, double t) {
  const auto n = static_cast<double>(e.above.size());
  double mean = 0;
  for (const auto& r : e.above)
    mean += r[b];
  mean /= n;
  double squares = 0;
  for (const auto& r : e.above)
    squares += (r[b] - mean) * (r[b] - mean);
  const double half_width = t * std::sqrt(squares / (n - 1) / n);
  return Band{mean, std::max(0.0, mean - half_width), mean + half_width, half_width};
}

Band band(const Exceedances& e, std::size_t b, double t) {
  // A replication without any sample above: the fractions are not lognormal but a mixture with a mass at 0 (the tail
  // comes from events some replications do not have, such as a queue reset), where the log's variance explodes;
  // Student's interval is the sensible one there.
  for (const auto& r : e.above)
    if (r[b] == 0)
      return student_band(e, b, t);
  const auto n = static_cast<double>(e.above.size());
  double mean = 0, log_mean = 0, offset = 0;
  for (std::size_t r = 0; r < e.above.size(); ++r) {
    const double half = 0.5 / e.samples[r];
    mean += e.above[r][b];
    log_mean += std::log(e.above[r][b] + half);
    offset += half;
  }
  mean /= n;
  log_mean /= n;
  offset /= n;
  double squares = 0;
  for (std::size_t r = 0; r < e.above.size(); ++r) {
    const double d = std::log(e.above[r][b] + 0.5 / e.samples[r]) - log_mean;
    squares += d * d;
  }
  const double s2 = squares / (n - 1);
  const double centre = log_mean + s2 / 2;
  const double spread = t * std::sqrt(s2 / n + s2 * s2 / (2 * (n - 1)));
  const double lower = std::clamp(std::exp(centre - spread) - offset, 0.0, mean);
  const double upper = std::max(mean, std::exp(centre + spread) - offset);
  return Band{mean, lower, upper, std::max(mean - lower, upper - mean)};
}

void check_geometry(const std::vector<const LatencyHistogram*>& runs) {
  for (const LatencyHistogram* h : runs)
    if (h->lowest() != runs.front()->lowest() || h->highest() != runs.front()->highest() ||
        h->relative_error() != runs.front()->relative_error())
      throw std::invalid_argument("tail statistics: the replications' histograms have different geometries");
}

} // namespace

QuantileInterval quantile_interval(const std::vector<const LatencyHistogram*>& runs, double q, double level) {
  if (!(q > 0 && q < 1))
    throw std::domain_error("quantile_interval(): q must be in (0, 1), got " + std::to_string(q));
  QuantileInterval out;
  if (runs.empty())
    return out;
  check_geometry(runs);
  LatencyHistogram pooled(runs.front()->lowest(), runs.front()->highest(), runs.front()->relative_error());
  for (const LatencyHistogram* h : runs)
    pooled.merge(*h);
  out.estimate = pooled.quantile(q);
  const Exceedances e = exceedances(runs);
  out.replications = e.above.size();
  out.min_tail_samples = kInf;
  for (double n : e.samples)
    out.min_tail_samples = std::min(out.min_tail_samples, n * (1 - q));
  if (e.above.size() < 2) {
    out.lower = -kInf;
    out.upper = kInf;
    if (e.above.empty())
      out.min_tail_samples = 0;
    return out;
  }
  const double t = student_t_quantile((1 + level) / 2, static_cast<double>(e.above.size() - 1));
  const double target = 1 - q;
  const std::size_t buckets = pooled.bucket_counts().size();
  // x_q > edge when even the interval's lower end of P(T > edge) is above 1 - q; x_q <= edge when its upper end is
  // below. Between the last edge of the first kind and the first of the second lies the interval.
  double lower = 0;
  double upper = kInf;
  for (std::size_t b = 0; b < buckets; ++b) {
    const Band p = band(e, b, t);
    if (p.lower > target)
      lower = std::max(lower, pooled.bucket_upper(b));
    if (p.upper < target && upper == kInf)
      upper = pooled.bucket_upper(b);
  }
  // Never narrower than the resolution: the estimate's whole bucket is inside.
  const std::size_t home = pooled.bucket_index(out.estimate);
  {
    // Dispersion of the fractions above the estimate's bucket's lower edge (above bucket home - 1).
    const std::size_t edge = home == 0 ? 0 : home - 1;
    double mean = 0, squares = 0;
    for (const auto& r : e.above)
      mean += r[edge];
    mean /= static_cast<double>(e.above.size());
    for (const auto& r : e.above)
      squares += (r[edge] - mean) * (r[edge] - mean);
    const double variance = squares / static_cast<double>(e.above.size() - 1);
    out.effective_tail_samples =
        variance > 0 ? static_cast<double>(e.above.size()) * mean * mean / variance : (mean > 0 ? kInf : 0.0);
  }
  out.lower = std::min(lower, pooled.bucket_lower(home));
  out.upper = std::max(upper, pooled.bucket_upper(home));
  return out;
}

ExceedanceInterval exceedance_interval(const std::vector<const LatencyHistogram*>& runs, double threshold,
                                       double level) {
  ExceedanceInterval out;
  out.threshold = threshold;
  out.upper = 1;
  if (runs.empty())
    return out;
  check_geometry(runs);
  const Exceedances e = exceedances(runs);
  out.replications = e.above.size();
  if (e.above.empty())
    return out;
  out.min_samples = *std::min_element(e.samples.begin(), e.samples.end());
  const LatencyHistogram& geometry = *runs.front();
  const std::size_t b = geometry.bucket_index(threshold);
  const double low_edge = geometry.bucket_lower(b), high_edge = geometry.bucket_upper(b);
  // Above the bucket's upper edge: surely above the threshold; above its lower edge (= above bucket b - 1): maybe.
  // Inside the bucket, the share above the threshold is taken as log-uniform for the point estimate only.
  const double inside = (b == 0 || !(high_edge > low_edge) || low_edge <= 0)
                            ? 0.5
                            : std::clamp(std::log(high_edge / threshold) / std::log(high_edge / low_edge), 0.0, 1.0);
  double sum = 0;
  for (const auto& r : e.above) {
    const double surely = r[b];
    const double maybe = b == 0 ? 1.0 : r[b - 1];
    sum += surely + inside * (maybe - surely);
  }
  out.estimate = sum / static_cast<double>(e.above.size());
  {
    double mean = 0, squares = 0;
    for (const auto& r : e.above)
      mean += r[b];
    mean /= static_cast<double>(e.above.size());
    for (const auto& r : e.above)
      squares += (r[b] - mean) * (r[b] - mean);
    const double variance = e.above.size() > 1 ? squares / static_cast<double>(e.above.size() - 1) : 0;
    out.effective_samples =
        variance > 0 ? static_cast<double>(e.above.size()) * mean * mean / variance : (mean > 0 ? kInf : 0.0);
  }
  if (e.above.size() < 2) {
    out.lower = 0;
    out.upper = 1;
    out.half_width = kInf;
    return out;
  }
  const double t = student_t_quantile((1 + level) / 2, static_cast<double>(e.above.size() - 1));
  const Band surely = band(e, b, t);
  const Band maybe = b == 0 ? Band{1, 1, 1, 0} : band(e, b - 1, t);
  out.lower = std::max(0.0, surely.lower);
  out.upper = std::min(1.0, maybe.upper);
  out.half_width = std::max(surely.half_width, maybe.half_width);
  return out;
}

std::optional<std::size_t> replications_needed(std::size_t n, double estimate, double half_width, double limit) {
  const double gap = std::abs(estimate - limit);
  if (!(gap > 0) || !std::isfinite(half_width))
    return std::nullopt;
  const double needed = std::ceil(static_cast<double>(n) * (half_width / gap) * (half_width / gap));
  if (!(needed < 1e9))
    return std::nullopt;
  return std::max(n + 1, static_cast<std::size_t>(needed));
}

} // namespace apq
