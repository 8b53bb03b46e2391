#include "models/analytic/queueing_formulas.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq::analytic {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string to_text(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

[[noreturn]] void fail(const std::string& function, const std::string& what) {
  throw std::domain_error(function + "(): " + what);
}

void check_mmc(const char* function, int c, double lambda, double mu) {
  if (c < 1)
    fail(function, "need at least one server, got c=" + std::to_string(c));
  if (!(mu > 0.0 && std::isfinite(mu)))
    fail(function, "service rate mu must be finite and > 0, got " + to_text(mu));
  if (!(lambda >= 0.0 && lambda < c * mu))
    fail(function,
         "arrival rate lambda=" + to_text(lambda) + " must be in [0, c*mu=" + to_text(c * mu) + ") for a stable queue");
}

void check_md1(const char* function, double lambda, double d) {
  if (!(d > 0.0 && std::isfinite(d)))
    fail(function, "service time d must be finite and > 0, got " + to_text(d));
  if (!(lambda >= 0.0 && lambda * d < 1.0))
    fail(function, "load rho = lambda*d = " + to_text(lambda * d) + " must be in [0, 1) (lambda=" + to_text(lambda) +
                       ", d=" + to_text(d) + ")");
}

// Distribution of the number in system of M/D/1 at an arbitrary time, Q_m = P(N <= m), grown on demand so that
// bisection over t reuses it. See md1_wait_cdf in the header for the recursion.
class Md1QueueLength {
public:
  explicit Md1QueueLength(double rho) : a0_(std::exp(-rho)) {
    // abar_[m] = P(A > m) for A ~ Poisson(rho), summed from the far end so that small tails keep their digits.
    // Terms below 1e-40 are dropped: the recursion's error gain sum_{m>=1} abar_m / a_0 is below 1 for rho < 1,
    // so this perturbs Q by far less than one ulp, and it keeps each step to a few dozen terms (35 at rho -> 1).
    std::vector<double> pmf{a0_};
    while (pmf.back() > 1e-60)
      pmf.push_back(pmf.back() * rho / static_cast<double>(pmf.size()));
    abar_.assign(pmf.size(), 0.0);
    double tail = 0.0;
    for (std::size_t m = pmf.size(); m-- > 0;) {
      abar_[m] = tail;
      tail += pmf[m];
    }
    abar_[0] = -std::expm1(-rho); // P(A > 0) without cancellation
    while (!abar_.empty() && abar_.back() < 1e-40)
      abar_.pop_back();

    pi_.push_back(1.0 - rho);
    cumulative_.push_back(1.0 - rho);
  }

  /** Q_m; beyond the saturation point (tail below 1e-18) the last value, which is 1 to double precision. */
  double cumulative(uint64_t m) {
    while (!saturated_ && cumulative_.size() <= m)
      extend();
    return m < cumulative_.size() ? cumulative_[m] : cumulative_.back();
  }

private:
  static constexpr std::size_t kMaxLength = 1'000'000;

  void extend() {
    const std::size_t j = pi_.size();
    if (j > kMaxLength)
      throw std::domain_error("md1_wait_cdf(): queue-length distribution still not converged after " +
                              std::to_string(kMaxLength) + " terms; the load is too close to 1 for t/d this large");
    // Level crossing between {< j} and {>= j} at departure epochs: pi_j a_0 = pi_0 abar_{j-1} + sum pi_i abar_{j-i}.
    double up = j - 1 < abar_.size() ? pi_[0] * abar_[j - 1] : 0.0;
    const std::size_t first = j >= abar_.size() ? j - abar_.size() + 1 : 1; // abar_{j-i} = 0 for j-i >= size
    for (std::size_t i = first; i < j; ++i)
      up += pi_[i] * abar_[j - i];
    const double pi_j = up / a0_;
    pi_.push_back(pi_j);
    cumulative_.push_back(std::min(1.0, cumulative_.back() + pi_j));

    // pi_j decays geometrically with ratio r < 1, so the remaining mass is about pi_j r / (1 - r).
    const double ratio = pi_[j - 1] > 0.0 ? pi_j / pi_[j - 1] : 0.0;
    if (pi_j == 0.0 || (j > 16 && ratio < 1.0 && pi_j * ratio / (1.0 - ratio) < 1e-18))
      saturated_ = true;
  }

  double a0_;
  std::vector<double> abar_;
  std::vector<double> pi_;
  std::vector<double> cumulative_;
  bool saturated_ = false;
};

double md1_cdf_with(Md1QueueLength& queue, double lambda, double d, double t) {
  if (t < 0.0)
    return 0.0;
  if (lambda == 0.0)
    return 1.0;
  const double periods = std::floor(t / d);
  if (periods > 1e15)
    throw std::domain_error("md1_wait_cdf(): t/d = " + to_text(t / d) + " is beyond the supported 1e15");
  auto k = static_cast<uint64_t>(periods);
  double u = t - periods * d;
  if (u >= d) { // t/d rounded down one period too few
    ++k;
    u -= d;
  }
  u = std::max(u, 0.0);

  // sum_{j=0}^{k} Q_{k+1-j} Poisson(x; j), x = lambda (d - u) <= rho < 1, so a few dozen terms suffice.
  const double x = lambda * (d - u);
  double poisson = std::exp(-x);
  double cdf = 0.0;
  for (uint64_t j = 0; j <= k; ++j) {
    cdf += queue.cumulative(k + 1 - j) * poisson;
    poisson *= x / static_cast<double>(j + 1);
    if (poisson < 1e-20)
      break;
  }
  return std::clamp(cdf, 0.0, 1.0);
}

// Bracket by doubling from `start`, then bisect until the bracket is `tolerance` relative to `scale + hi`.
template <typename Reached>
double bisect_first_reaching(Reached reached, double start, double scale) {
  double lo = 0.0;
  double hi = start;
  while (!reached(hi)) {
    lo = hi;
    hi *= 2.0;
    if (!std::isfinite(hi))
      return kInf;
  }
  for (int i = 0; i < 2000 && hi - lo > 1e-13 * (scale + hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    if (reached(mid))
      hi = mid;
    else
      lo = mid;
  }
  return 0.5 * (lo + hi);
}

} // namespace

double erlang_c(int c, double offered_load_a) {
  if (c < 1)
    fail("erlang_c", "need at least one server, got c=" + std::to_string(c));
  if (!(offered_load_a >= 0.0 && offered_load_a < c))
    fail("erlang_c", "offered load a=" + to_text(offered_load_a) + " must be in [0, c=" + std::to_string(c) + ")");
  const double a = offered_load_a;
  double b = 1.0;
  for (int k = 1; k <= c; ++k)
    b = a * b / (k + a * b);
  return c * b / (c - a * (1.0 - b));
}

double mmc_mean_wait(int c, double lambda, double mu) {
  check_mmc("mmc_mean_wait", c, lambda, mu);
  return erlang_c(c, lambda / mu) / (c * mu - lambda);
}

double mmc_mean_response(int c, double lambda, double mu) {
  check_mmc("mmc_mean_response", c, lambda, mu);
  return mmc_mean_wait(c, lambda, mu) + 1.0 / mu;
}

double mmc_response_ccdf(int c, double lambda, double mu, double t) {
  check_mmc("mmc_response_ccdf", c, lambda, mu);
  if (std::isnan(t))
    fail("mmc_response_ccdf", "t is NaN");
  if (t <= 0.0)
    return 1.0;
  const double wait_probability = erlang_c(c, lambda / mu);
  const double theta = c * mu - lambda;
  const double gap = std::abs(theta - mu);
  // g(t) = (e^{-mu t} - e^{-theta t}) / (theta - mu); the theta == mu limit is t e^{-mu t}.
  const double g =
      gap == 0.0 ? t * std::exp(-mu * t) : std::exp(-std::min(theta, mu) * t) * -std::expm1(-gap * t) / gap;
  return std::clamp(std::exp(-mu * t) + wait_probability * mu * g, 0.0, 1.0);
}

double mmc_response_quantile(int c, double lambda, double mu, double q) {
  check_mmc("mmc_response_quantile", c, lambda, mu);
  if (!(q >= 0.0 && q <= 1.0))
    fail("mmc_response_quantile", "q must be in [0, 1], got " + to_text(q));
  if (q == 0.0)
    return 0.0;
  if (q == 1.0)
    return kInf;
  const double target = 1.0 - q;
  return bisect_first_reaching([&](double t) { return mmc_response_ccdf(c, lambda, mu, t) <= target; },
                               mmc_mean_response(c, lambda, mu), 0.0);
}

double mg1_mean_wait(double lambda, double mean_s, double second_moment_s) {
  if (!(mean_s > 0.0 && std::isfinite(mean_s)))
    fail("mg1_mean_wait", "mean service time must be finite and > 0, got " + to_text(mean_s));
  // Var(S) >= 0; allow rounding when the caller squares a deterministic service time.
  if (!(second_moment_s >= mean_s * mean_s * (1.0 - 1e-12)))
    fail("mg1_mean_wait",
         "second moment " + to_text(second_moment_s) + " is below the squared mean " + to_text(mean_s * mean_s));
  if (!(lambda >= 0.0 && lambda * mean_s < 1.0))
    fail("mg1_mean_wait", "load rho = " + to_text(lambda * mean_s) + " must be in [0, 1)");
  return lambda * second_moment_s / (2.0 * (1.0 - lambda * mean_s));
}

double md1_mean_response(double lambda, double d) {
  check_md1("md1_mean_response", lambda, d);
  return d + mg1_mean_wait(lambda, d, d * d);
}

double md1_wait_cdf(double lambda, double d, double t) {
  check_md1("md1_wait_cdf", lambda, d);
  if (std::isnan(t))
    fail("md1_wait_cdf", "t is NaN");
  Md1QueueLength queue(lambda * d);
  return md1_cdf_with(queue, lambda, d, t);
}

double md1_response_quantile(double lambda, double d, double q) {
  check_md1("md1_response_quantile", lambda, d);
  if (!(q >= 0.0 && q <= 1.0))
    fail("md1_response_quantile", "q must be in [0, 1], got " + to_text(q));
  const double rho = lambda * d;
  if (q <= 1.0 - rho)
    return d; // inside the atom of W at 0
  if (q == 1.0)
    return kInf;
  Md1QueueLength queue(rho);
  const double start = std::max(d, md1_mean_response(lambda, d) - d);
  const double wait = bisect_first_reaching([&](double t) { return md1_cdf_with(queue, lambda, d, t) >= q; }, start, d);
  return wait + d;
}

} // namespace apq::analytic
