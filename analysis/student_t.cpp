#include "analysis/student_t.hpp"

#include "analysis/running_stats.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace apq {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Above this many degrees of freedom the incomplete beta loses digits (lgamma(dof/2) is large, about 1e-10
// relative at 1e5), while the Cornish-Fisher series used instead is exact to about 1e-15 there.
constexpr double kExpansionDof = 1e5;

std::string to_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// Continued fraction part of I_x(a, b) (DLMF 8.17.22): 1 / (1 + d1 / (1 + d2 / (1 + ...))), modified Lentz.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  constexpr double epsilon = 1e-16;
  constexpr int iterations = 100000; // convergence takes O(sqrt(max(a, b))) terms

  double f = 1.0; // b0 = 1
  double c = 1.0;
  double d = 0.0;
  auto step = [&](double numerator) {
    d = 1.0 + numerator * d;
    if (std::abs(d) < tiny)
      d = tiny;
    c = 1.0 + numerator / c;
    if (std::abs(c) < tiny)
      c = tiny;
    d = 1.0 / d;
    const double delta = c * d;
    f *= delta;
    return std::abs(delta - 1.0) < epsilon;
  };
  for (int m = 0; m < iterations; ++m) {
    const double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)); // d_{2m+1}
    if (step(odd))
      return 1.0 / f;
    const int k = m + 1;
    const double even = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k)); // d_{2k}
    if (step(even))
      return 1.0 / f;
  }
  throw std::runtime_error("regularized_incomplete_beta(): continued fraction did not converge for a=" + to_text(a) +
                           " b=" + to_text(b) + " x=" + to_text(x));
}

// I_x(a, b) with y = 1 - x given separately, so that callers who know y exactly (t distribution) keep its digits.
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0.0)
    return 0.0;
  if (y <= 0.0)
    return 1.0;
  const double log_front = a * std::log(x) + b * std::log(y) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  const double front = std::exp(log_front);
  // The fraction converges fast for x < (a+1)/(a+b+2); beyond it, evaluate the mirror image.
  if (x < (a + 1.0) / (a + b + 2.0))
    return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, y) / b;
}

// P(T > t) for t >= 0: I_x(dof/2, 1/2) / 2 with x = dof / (dof + t^2).
double t_upper_tail(double t, double dof) {
  const double t2 = t * t;
  return 0.5 * incomplete_beta(dof / 2.0, 0.5, dof / (dof + t2), t2 / (dof + t2));
}

// P(-t < T < t) for t >= 0: I_y(1/2, dof/2) with y = t^2 / (dof + t^2); relatively accurate for small t.
double t_central(double t, double dof) {
  const double t2 = t * t;
  return incomplete_beta(0.5, dof / 2.0, t2 / (dof + t2), dof / (dof + t2));
}

// Smallest-error root of a decreasing function on [0, inf): doubles the bracket, then bisects to full precision.
template <typename Decreasing>
double solve_decreasing(Decreasing f, double target) {
  double lo = 0.0;
  double hi = 1.0;
  while (f(hi) > target) {
    lo = hi;
    hi *= 2.0;
    if (!std::isfinite(hi))
      return kInf;
  }
  for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (f(mid) > target)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

// Increasing variant: f increasing from f(0) = 0.
template <typename Increasing>
double solve_increasing(Increasing f, double target) {
  return solve_decreasing([&f](double x) { return -f(x); }, -target);
}

double normal_upper_quantile_positive(double p) {
  // p > 0.5; the central form keeps relative accuracy near the median, the tail form in the tail.
  if (p < 0.75)
    return solve_increasing([](double z) { return std::erf(z / std::sqrt(2.0)); }, 2.0 * p - 1.0);
  return solve_decreasing([](double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }, 1.0 - p);
}

} // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0.0 && b > 0.0 && x >= 0.0 && x <= 1.0))
    throw std::domain_error("regularized_incomplete_beta(): need a > 0, b > 0, 0 <= x <= 1, got a=" + to_text(a) +
                            " b=" + to_text(b) + " x=" + to_text(x));
  return incomplete_beta(a, b, x, 1.0 - x);
}

double student_t_cdf(double t, double dof) {
  if (!(dof > 0.0) || std::isnan(t))
    throw std::domain_error("student_t_cdf(): need dof > 0 and a number t, got t=" + to_text(t) +
                            " dof=" + to_text(dof));
  if (std::isinf(dof))
    return 0.5 * std::erfc(-t / std::sqrt(2.0));
  if (std::isinf(t))
    return t > 0 ? 1.0 : 0.0;
  const double tail = t_upper_tail(std::abs(t), dof);
  return t >= 0.0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double dof) {
  if (!(p >= 0.0 && p <= 1.0) || !(dof > 0.0))
    throw std::domain_error("student_t_quantile(): need 0 <= p <= 1 and dof > 0, got p=" + to_text(p) +
                            " dof=" + to_text(dof));
  if (p == 0.0)
    return -kInf;
  if (p == 1.0)
    return kInf;
  if (p == 0.5)
    return 0.0;
  if (p < 0.5)
    return -student_t_quantile(1.0 - p, dof);

  if (dof > kExpansionDof) {
    const double z = normal_upper_quantile_positive(p);
    if (std::isinf(dof))
      return z;
    // Abramowitz & Stegun 26.7.5: t = z + g1/v + g2/v^2 + g3/v^3 + g4/v^4.
    const double z2 = z * z;
    const double g1 = z * (z2 + 1) / 4;
    const double g2 = z * ((5 * z2 + 16) * z2 + 3) / 96;
    const double g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384;
    const double g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160;
    return z + (g1 + (g2 + (g3 + g4 / dof) / dof) / dof) / dof;
  }
  if (p < 0.75)
    return solve_increasing([dof](double t) { return t_central(t, dof); }, 2.0 * p - 1.0);
  return solve_decreasing([dof](double t) { return t_upper_tail(t, dof); }, 1.0 - p);
}

ConfidenceInterval mean_confidence_interval(const std::vector<double>& samples, double level) {
  if (!(level > 0.0 && level < 1.0))
    throw std::domain_error("mean_confidence_interval(): level must be in (0, 1), got " + to_text(level));
  RunningStats stats;
  for (double x : samples)
    stats.add(x);
  ConfidenceInterval ci{};
  ci.n = static_cast<int>(samples.size());
  if (ci.n < 2) {
    ci.mean = ci.n == 0 ? std::numeric_limits<double>::quiet_NaN() : stats.mean();
    ci.half_width = kInf;
    ci.lower = -kInf;
    ci.upper = kInf;
    return ci;
  }
  const double t = student_t_quantile(0.5 * (1.0 + level), ci.n - 1);
  ci.mean = stats.mean();
  ci.half_width = t * stats.stddev() / std::sqrt(static_cast<double>(ci.n));
  ci.lower = ci.mean - ci.half_width;
  ci.upper = ci.mean + ci.half_width;
  return ci;
}

} // namespace apq
