#pragma once

/** @file
 * Queueing models solved as CTMCs (models/analytic/ctmc.hpp), and approximations for what has no closed form: the
 * steady state of M/M/c/K, M/M/c by truncation, an AP card whose queues hold a limited number of requests, and
 * M/G/c by Allen-Cunneen. Times in the unit of 1/lambda (apqsim: seconds). Every function throws std::domain_error,
 * naming itself and the offending values, for parameters out of their domain or an unstable queue.
 *
 * Sources: D. Gross, J. Shortle, J. Thompson, C. Harris, "Fundamentals of Queueing Theory", 4th ed. (2008),
 * sections 2.3 (M/M/c), 2.5 (M/M/c/K) and 7.2 (Allen-Cunneen); A. O. Allen, "Probability, Statistics, and
 * Queueing Theory", 2nd ed. (1990), section 6.4; W. Whitt, "The Queueing Network Analyzer", Bell System Technical
 * Journal 62 (1983) 2779-2815.
 */

namespace apq::analytic {

/** Steady-state figures of a queue. "Waiting" means not (yet) in service: in a queue, or guest-side. */
struct QueueFigures {
  double utilization = 0;    ///< mean fraction of the servers that are busy
  double mean_in_system = 0; ///< L: requests waiting or in service
  double mean_waiting = 0;   ///< Lq: requests waiting
  double mean_response = 0;  ///< W = L / throughput: arrival to end of service, of admitted requests
  double mean_wait = 0;      ///< Wq = Lq / throughput: arrival to start of service
  double blocking = 0;       ///< probability that an arrival is turned away (full system)
  double throughput = 0;     ///< admitted (= served) requests per unit time: lambda (1 - blocking)
};

/** M/M/c/K: c exponential servers of rate mu, room for K requests in all (K - c waiting places), Poisson arrivals
 *  of rate lambda that are lost when K are present. Solved as the birth-death CTMC on 0..K; blocking = P(K) (PASTA);
 *  W and Wq by Little's law on admitted arrivals, lambda (1 - P(K)). Stable for every lambda. With lambda = 0 the
 *  figures are the limits (W = 1/mu, Wq = 0). Requires c >= 1, K >= 1, lambda >= 0, mu > 0. */
QueueFigures mmck(int c, int K, double lambda, double mu);

/** M/M/c solved as a CTMC: the birth-death chain truncated at the K where the tail mass P(N > K) of the infinite
 *  chain is below 1e-12. Since P(N > K) = C(c, a) rho^(K-c+1) <= rho^(K-c+1) for K >= c (Gross & Harris 2.3), K =
 *  c - 1 + ceil(log(1e-12) / log(rho)). The truncated chain's blocking is reported (below 1e-12): it measures the
 *  truncation. An independent check of erlang_c() and a reference for the larger chains below. Requires c >= 1,
 *  mu > 0, 0 <= lambda < c mu, and a truncation of at most 10 million states (rho < about 0.999997).*/
QueueFigures mmc_ctmc(int c, double lambda, double mu);

/** An AP card with a queue-depth limit, as a CTMC.
 *
 *  `engines` exponential servers (rate mu each) are shared by `queues` AP queues, each fed by its own Poisson
 *  stream of rate lambda_per_queue. A queue holds at most `depth` requests in the card (waiting for an engine or on
 *  one); the rest wait guest-side (zcrypt's request queue, unbounded) and enter the card in order as slots free.
 *  A free engine takes the next request of one of the queues with requests waiting in the card.
 *
 *  The state is, per queue, (x, s): the queue's requests in all (x, in the card min(x, depth), the rest guest-side)
 *  and how many of them are on an engine (s). The card is work-conserving (an engine idles only when no queue has a
 *  request waiting in the card), so sum s = min(engines, sum min(x, depth)) whenever some queue has one waiting.
 *  Queues are identical, so a state is the multiset of the queues' (x, s): the chain has one state per occupancy
 *  histogram, not per vector, which divides its size by up to queues!.
 *
 *  Approximations, each exact in a limit:
 *  - Round-robin across queues with waiting work is replaced by a uniformly random choice among those queues
 *    (the ring's order is not in the state). Both serve every queue with waiting work in turn on average; they
 *    differ only in which queue gets the next engine. It changes nothing when depth >= engines (see below) or
 *    queues * depth <= engines (no engine is ever contended).
 *  - A reply frees its slot when its service ends, i.e. a completion delay of 0. With a delay, a reply holds its
 *    slot for that long, so the card can hold fewer requests than here.
 *  - The guest-side backlog is unbounded; the chain is truncated at a total of T requests, with T grown until the
 *    estimated mass beyond T is below 1e-12 (the truncated chain's blocking reports the truncation).
 *  Limits that hold exactly (and are tested): with depth >= engines, a queue with a guest-side backlog has at least
 *  `engines` requests in the card, so every engine is busy whenever at least `engines` requests are present: the
 *  total is M/M/c with c = engines and rate queues * lambda_per_queue, whatever the order of service. With
 *  queues * depth <= engines no engine is ever contended, and each queue is an independent M/M/depth. The busy
 *  engines never exceed queues * depth, so such a card uses at most queues * depth of its engines.
 *
 *  Stable iff queues * lambda_per_queue < min(engines, queues * depth) * mu (every queue saturated fills
 *  min(engines, queues * depth) engines). The chain has about T^queues / queues!^2 states times the ways to spread
 *  the busy engines, with T ~ log(1e-12) / log(rho): beyond 100000 states the function throws std::domain_error
 *  saying so (checked up front from a partition count where possible). In practice: 2 loaded queues up to a load
 *  of about 0.93 (a second or so near the limit), 3 up to about 0.6, 4 and more only at light load. Figures are
 *  per card: L and Lq over all queues (Lq counts requests waiting in the card and guest-side), throughput the
 *  card's, W and Wq of a request (every queue's, by symmetry), utilization = busy engines / engines. */
QueueFigures card_with_queue_depth(int engines, int queues, int depth, double lambda_per_queue, double mu);

/** M/G/c by the Allen-Cunneen approximation (Allen 1990 section 6.4; Gross & Harris 7.2):
 *    Wq ~= Wq(M/M/c) (ca^2 + cs^2) / 2,
 *  with Wq(M/M/c) from Erlang C at the same lambda and mean service, cs the service time's coefficient of variation
 *  and ca the interarrival time's (1 for Poisson; Whitt's QNA gives ca for superposed or split streams). It is exact
 *  for M/M/c (ca = cs = 1) and for the mean of M/G/1 (c = 1, ca = 1: the Pollaczek-Khinchine formula). At cs = 0
 *  it is the classical M/D/c approximation Wq(M/D/c) ~= Wq(M/M/c) / 2, exact for c = 1 and otherwise low: by the
 *  factor 1 + (1-rho)(c-1)(sqrt(4+5c)-2)/(16 rho c) of Cosmetatos's refinement (G. P. Cosmetatos, Operational
 *  Research Quarterly 27 (1976) 615-620), about 1.5% at c = 4 and rho = 0.9 but 30% at c = 10 and rho = 0.5, where
 *  the wait is small anyway. For c > 1 and other cs it is a heuristic with errors of some 10% in Wq. L = lambda W,
 *  Lq = lambda Wq, no blocking.
 *  Requires c >= 1, lambda >= 0, mean_s > 0, cv_s >= 0, ca >= 0 and lambda mean_s < c. */
QueueFigures mgc_allen_cunneen(int c, double lambda, double mean_s, double cv_s, double ca = 1.0);

} // namespace apq::analytic
