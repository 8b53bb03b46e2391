#pragma once

/** @file
 * A small toolkit for finite continuous-time Markov chains: collect transition rates, build the generator Q, and
 * solve the global balance equations pi Q = 0 with sum(pi) = 1.
 *
 * The balance equations of an irreducible chain have rank n - 1, so one of them is redundant; we replace one by a
 * condition that fixes the scale and solve the resulting non-singular system directly (W. J. Stewart, "Introduction
 * to the Numerical Solution of Markov Chains", Princeton 1994, section 2.3). First pi_0 = 1 replaces state 0's
 * equation, which keeps the matrix as sparse as Q; if state 0 turns out transient, sum(pi) = 1 replaces the last
 * equation, a dense row but valid for any chain with a single closed class. Up to 5000 states the pinned system
 * is solved by sparse LU with a fill-reducing (COLAMD) ordering, which needs no convergence tolerance (a
 * birth-death chain of 30k states takes milliseconds). Larger chains of more than two dimensions fill a direct LU
 * badly (40k states of the 3-queue card model: 90 s), so beyond 5000 states BiCGSTAB with an incomplete-LU
 * preconditioner goes first (under a second there), to a relative residual of 1e-14, with the direct LU as its
 * fallback. Every result is checked: non-negative up to rounding and |pi Q| below 1e-8 of the largest rate. In
 * general the accuracy is absolute, errors of about 1e-15 (direct) to 1e-14 (iterative) in each entry; on a
 * birth-death chain the direct solve amounts to the product formula and keeps tiny probabilities relatively
 * accurate (tested).
 */

#include <Eigen/Dense>
#include <Eigen/Sparse>

#include <vector>

namespace apq::analytic {

/** Transition rates of a CTMC on states 0..n-1, collected one by one, then solved. */
class Ctmc {
public:
  /** @throw std::domain_error when states < 1 */
  explicit Ctmc(Eigen::Index states);

  Eigen::Index states() const { return states_; }
  /** Adds `rate` to the transition from -> to; repeated calls accumulate. Self-loops and zero rates are ignored
   *  (neither changes the chain). @throw std::domain_error on an index out of range or a negative or non-finite
   *  rate */
  void add_rate(Eigen::Index from, Eigen::Index to, double rate);

  /** Q: off-diagonal entries are the rates, each diagonal entry minus its row's sum, so every row sums to 0. */
  Eigen::SparseMatrix<double> generator() const;
  /** The stationary distribution; see stationary_distribution(). */
  Eigen::VectorXd stationary() const;

private:
  Eigen::Index states_;
  std::vector<Eigen::Triplet<double>> rates_;
};

/** The stationary distribution pi of the chain with generator `q` (pi Q = 0, sum pi = 1), by sparse LU.
 *  The chain must have a single closed class (transient states get probability 0).
 *  @throw std::domain_error when q is not square or a row does not sum to 0 (relative to its rates)
 *  @throw std::runtime_error when the system is singular (several closed classes) or the solution is not a
 *  distribution (negative entries beyond rounding, a residual beyond rounding) */
Eigen::VectorXd stationary_distribution(const Eigen::SparseMatrix<double>& q);

/** The same for a dense generator (small chains, tests): LU with full pivoting. */
Eigen::VectorXd stationary_distribution(const Eigen::MatrixXd& q);

} // namespace apq::analytic
