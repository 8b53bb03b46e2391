#pragma once

#include <vector>

namespace apq {

/** @brief Regularized incomplete beta function I_x(a, b), for a > 0, b > 0, x in [0, 1].
 *
 * Continued fraction of DLMF 8.17.22, evaluated with the modified Lentz method, using the symmetry
 * I_x(a, b) = 1 - I_{1-x}(b, a) on the side where the fraction converges slowly.
 * @throw std::domain_error on arguments outside the domain */
double regularized_incomplete_beta(double a, double b, double x);

/** @brief P(T <= t) for Student's t distribution with `dof` degrees of freedom (dof > 0, may be infinite).
 *
 * Through the incomplete beta function; lgamma(dof/2) costs about 1e-16 dof ln(dof) relative (7e-10 at 1e6
 * dof), which is why the quantile switches to an expansion for large dof. */
double student_t_cdf(double t, double dof);

/** @brief The p-quantile of Student's t distribution: t such that P(T <= t) = p.
 *
 * Two-sided 95% intervals use p = 0.975. Bisection on the incomplete beta function, accurate to about
 * 1e-10 relative (1e-6 promised) for any dof > 0, non-integer dof included. Above 1e5 degrees of freedom the
 * Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5 (four terms) is used instead, because lgamma loses
 * digits there; dof = infinity gives the normal quantile. p = 0 and p = 1 give -inf and +inf.
 * @throw std::domain_error if p is outside [0, 1] or dof <= 0 or NaN */
double student_t_quantile(double p, double dof);

/** @brief Two-sided confidence interval for a mean: [mean - half_width, mean + half_width]. */
struct ConfidenceInterval {
  double mean;
  double half_width;
  double lower;
  double upper;
  int n;
};

/** @brief Student-t confidence interval for the mean of independent samples (e.g. one per replication).
 *
 * half_width = t_{(1+level)/2, n-1} * s / sqrt(n) with s the sample standard deviation. With n < 2 the width
 * is unknown: half_width = +inf, lower = -inf, upper = +inf (and mean = NaN when there is no sample at all).
 * @throw std::domain_error if level is not in (0, 1) */
ConfidenceInterval mean_confidence_interval(const std::vector<double>& samples, double level = 0.95);

} // namespace apq
