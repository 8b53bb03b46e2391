#pragma once

/** @file
 * Closed-form results for the queues the simulator is validated against (M/M/c, M/G/1, M/D/1, FCFS).
 * Pure functions of the parameters, in any consistent units (apqsim uses seconds). Every function throws
 * std::domain_error, naming itself and the offending values, when the queue is unstable (load >= 1) or a
 * parameter is out of its domain.
 *
 * Sources: L. Kleinrock, "Queueing Systems, Volume 1: Theory" (1975), section 3.5 (M/M/m) and chapter 5
 * (M/G/1); D. Gross, J. Shortle, J. Thompson, C. Harris, "Fundamentals of Queueing Theory", 4th ed. (2008),
 * sections 2.3 and 5.1; C. D. Crommelin, "Delay probability formulae when the holding times are constant",
 * P.O.E.E.J. 25 (1932); G. J. Franx, "A simple solution for the M/D/c waiting time distribution",
 * Operations Research Letters 29 (2001) 221-229.
 */
namespace apq::analytic {

/** @brief Erlang's C formula: probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.
 *
 * Computed from the Erlang B recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)) and
 * C = c B(c) / (c - a (1 - B(c))) (Gross & Harris 2.3), which never forms a^c or c! and so is stable for
 * c in the thousands. Requires c >= 1 and 0 <= a < c. */
double erlang_c(int c, double offered_load_a);

/** @brief Mean time in queue of M/M/c FCFS: Wq = C(c, lambda/mu) / (c mu - lambda). */
double mmc_mean_wait(int c, double lambda, double mu);

/** @brief Mean response time (queue + service) of M/M/c: Wq + 1/mu. */
double mmc_mean_response(int c, double lambda, double mu);

/** @brief P(T > t) for the response time T = Wq + S of M/M/c FCFS.
 *
 * Wq is 0 with probability 1 - C and Exp(theta), theta = c mu - lambda, with probability C (Kleinrock 3.5,
 * Gross & Harris 2.3); S ~ Exp(mu) is independent of Wq. With g(t) = (e^{-mu t} - e^{-theta t}) / (theta - mu):
 *   P(T > t) = e^{-mu t} + C mu g(t),
 * and g(t) = t e^{-mu t} when theta == mu (an Erlang-2 sum). g is evaluated as
 * e^{-min(theta,mu) t} (1 - e^{-|theta-mu| t}) / |theta-mu| with expm1, so it stays accurate as theta -> mu.
 * For c = 1 this reduces to e^{-(mu - lambda) t}. P(T > t) = 1 for t <= 0. */
double mmc_response_ccdf(int c, double lambda, double mu, double t);

/** @brief The q-quantile of the M/M/c response time: t with P(T <= t) = q, by bracketing and bisection to
 *  1e-12 relative. q = 0 gives 0 and q = 1 gives +inf. */
double mmc_response_quantile(int c, double lambda, double mu, double q);

/** @brief Pollaczek-Khinchine mean wait of M/G/1 FCFS: Wq = lambda E[S^2] / (2 (1 - rho)), rho = lambda E[S]
 *  (Kleinrock 5.7, Gross & Harris 5.1.1). Requires E[S^2] >= E[S]^2. */
double mg1_mean_wait(double lambda, double mean_s, double second_moment_s);

/** @brief Mean response of M/D/1 with service time d: d + lambda d^2 / (2 (1 - rho)), rho = lambda d. */
double md1_mean_response(double lambda, double d);

/** @brief P(W <= t) for the FCFS waiting time W of M/D/1 with service time d.
 *
 * Erlang's (Crommelin's) formula P(W <= t) = (1-rho) sum_{k=0}^{floor(t/d)} [lambda(kd - t)]^k / k!
 * e^{-lambda(kd - t)} alternates in sign with terms of order e^{lambda t}: at rho = 0.95 and the 0.9999
 * quantile (t about 90 d) they reach 1e47, beyond even long double. We evaluate an equivalent positive-term
 * form instead, of the kind Franx (2001) gives for M/D/c, derived here for c = 1: writing t = k d + u with 0 <= u < d
 * and x = lambda (d - u), P(W <= t) = sum_{j=0}^{k} Q_{k+1-j} e^{-x} x^j / j!, where Q_m = P(N <= m) is the
 * distribution of the number in system at an arbitrary time. (An arrival waits at most kd + u iff the N customers
 * present d - u earlier plus the A arrivals since then number at most k + 1, except when the server was idle at that
 * instant, where the bound is k; PASTA makes N and A independent.) Q comes from the level-crossing recursion of the
 * embedded M/G/1 chain, pi_0 = 1 - rho, pi_j a_0 = pi_0 abar_{j-1} + sum_{i=1}^{j-1} pi_i abar_{j-i}, with a_i the
 * Poisson(rho) probabilities and abar_m = P(A > m) (the stable M/G/1 recursion of Tijms, "A First Course in Stochastic
 * Models", 2003), which adds positive terms only. The result lies in [0, 1] and is monotone in t; cost O(t/d). P(W <=
 * t) = 0 for t < 0.
 * @throw std::domain_error when t/d exceeds 1e6 before Q_m reaches 1 (rho above about 0.99998) */
double md1_wait_cdf(double lambda, double d, double t);

/** @brief The q-quantile of the M/D/1 response time W + d, by bisection of md1_wait_cdf to 1e-12 relative.
 *  Since W has an atom of mass 1 - rho at 0, q <= 1 - rho gives exactly d; q = 1 gives +inf. */
double md1_response_quantile(double lambda, double d, double q);

} // namespace apq::analytic
