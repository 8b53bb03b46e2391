#include "models/analytic/ctmc.hpp"

#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseLU>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

namespace apq::analytic {
namespace {

// Entries of pi this far below zero are rounding (pi sums to 1, so this is absolute); anything more negative means
// the system was not a proper CTMC (e.g. nearly singular).
constexpr double kNegativeTolerance = 1e-9;
// The solution must satisfy pi Q = 0 to this fraction of the largest rate (after scaling Q to unit largest rate).
constexpr double kResidualTolerance = 1e-8;
// Up to this size a direct LU is fast for any structure; beyond it we try an iterative solver first.
constexpr Eigen::Index kDirectMaxStates = 5000;
constexpr double kIterativeTolerance = 1e-14; // relative residual, near rounding: pi's entries to ~1e-14 absolute
constexpr int kIterativeMaxIterations = 2000;

[[noreturn]] void fail_domain(const std::string& what) {
  throw std::domain_error("stationary_distribution: " + what);
}

/** Clamps rounding negatives, renormalizes, and checks that `pi` solves the scaled generator. */
Eigen::VectorXd finish(Eigen::VectorXd pi, const auto& scaled_q_transposed_times) {
  if (!pi.allFinite())
    throw std::runtime_error("stationary_distribution: the solution is not finite");
  if (pi.minCoeff() < -kNegativeTolerance)
    throw std::runtime_error("stationary_distribution: the solution has an entry of " + std::to_string(pi.minCoeff()) +
                             ": is the chain irreducible?");
  pi = pi.cwiseMax(0.0);
  pi /= pi.sum();
  const Eigen::VectorXd residual = scaled_q_transposed_times(pi);
  if (residual.lpNorm<Eigen::Infinity>() > kResidualTolerance)
    throw std::runtime_error(
        "stationary_distribution: residual |pi Q| = " + std::to_string(residual.lpNorm<Eigen::Infinity>()) +
        " of the largest rate: is the chain irreducible?");
  return pi;
}

} // namespace

Ctmc::Ctmc(Eigen::Index states) : states_(states) {
  if (states < 1)
    throw std::domain_error("Ctmc: needs at least one state, got " + std::to_string(states));
}

void Ctmc::add_rate(Eigen::Index from, Eigen::Index to, double rate) {
  if (from < 0 || from >= states_ || to < 0 || to >= states_)
    throw std::domain_error("Ctmc::add_rate: transition " + std::to_string(from) + " -> " + std::to_string(to) +
                            " outside states 0.." + std::to_string(states_ - 1));
  if (!std::isfinite(rate) || rate < 0)
    throw std::domain_error("Ctmc::add_rate: rate " + std::to_string(rate) + " of " + std::to_string(from) + " -> " +
                            std::to_string(to) + " must be finite and >= 0");
  if (from == to || rate == 0)
    return;
  rates_.emplace_back(from, to, rate);
}

Eigen::SparseMatrix<double> Ctmc::generator() const {
  std::vector<double> out_rate(static_cast<std::size_t>(states_), 0.0);
  std::vector<Eigen::Triplet<double>> entries = rates_;
  for (const auto& t : rates_)
    out_rate[static_cast<std::size_t>(t.row())] += t.value();
  for (Eigen::Index i = 0; i < states_; ++i)
    if (out_rate[static_cast<std::size_t>(i)] > 0)
      entries.emplace_back(i, i, -out_rate[static_cast<std::size_t>(i)]);
  Eigen::SparseMatrix<double> q(states_, states_);
  q.setFromTriplets(entries.begin(), entries.end()); // sums repeated transitions
  return q;
}

Eigen::VectorXd Ctmc::stationary() const {
  return stationary_distribution(generator());
}

Eigen::VectorXd stationary_distribution(const Eigen::SparseMatrix<double>& q) {
  const Eigen::Index n = q.rows();
  if (n != q.cols() || n < 1)
    fail_domain("the generator must be square and non-empty, got " + std::to_string(q.rows()) + "x" +
                std::to_string(q.cols()));
  if (n == 1)
    return Eigen::VectorXd::Ones(1);

  // pi Q = 0 is invariant under scaling Q: bring the largest rate to 1 so that the normalization row (ones) and
  // the balance rows have comparable magnitude for the pivoting.
  const Eigen::VectorXd row_sum = q * Eigen::VectorXd::Ones(n);
  const Eigen::VectorXd row_abs = q.cwiseAbs() * Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::abs(row_sum[i]) > 1e-12 * row_abs[i])
      fail_domain("row " + std::to_string(i) + " sums to " + std::to_string(row_sum[i]) + ", not 0");
  const double scale = row_abs.maxCoeff() / 2; // |diagonal| = half the absolute row sum
  if (!(scale > 0))
    throw std::runtime_error("stationary_distribution: no transitions at all in " + std::to_string(n) +
                             " states: every state is absorbing");

  const Eigen::SparseMatrix<double> scaled_transposed = q.transpose() / scale;
  auto residual = [&](const Eigen::VectorXd& p) -> Eigen::VectorXd { return scaled_transposed * p; };

  // Drop state 0's balance equation and pin pi_0 = 1, then normalize. A unit row keeps the matrix as sparse as Q (a
  // row of ones would be dense: it triples the LU's cost on a 2-D chain and ruins incomplete factorizations). It
  // needs pi_0 > 0, true of our queueing chains, whose state 0 is the empty system; otherwise the system is singular
  // and the last resort below, the normalization row, needs no such assumption.
  Eigen::SparseMatrix<double> pinned(n, n);
  {
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(static_cast<std::size_t>(q.nonZeros() + 1));
    for (Eigen::Index k = 0; k < q.outerSize(); ++k)
      for (Eigen::SparseMatrix<double>::InnerIterator it(q, k); it; ++it)
        if (it.col() != 0)
          entries.emplace_back(it.col(), it.row(), it.value() / scale);
    entries.emplace_back(0, 0, 1.0);
    pinned.setFromTriplets(entries.begin(), entries.end());
    pinned.makeCompressed();
  }
  Eigen::VectorXd e0 = Eigen::VectorXd::Zero(n);
  e0[0] = 1;
  auto accept = [&](Eigen::VectorXd x) -> std::optional<Eigen::VectorXd> {
    if (!x.allFinite() || !(x.sum() > 0))
      return std::nullopt;
    x /= x.sum();
    try {
      return finish(std::move(x), residual);
    } catch (const std::runtime_error&) {
      return std::nullopt; // not converged, or pi_0 = 0: try the next method
    }
  };

  // Chains beyond a few thousand states with more than two dimensions (the card model's) fill a direct LU badly:
  // 40k states of a 3-queue card take 90 s by SparseLU and under a second by BiCGSTAB with an incomplete LU, which
  // reaches the 1e-14 relative residual in 20-40 iterations there (some 100 for a 2-queue card at load 0.93, where
  // the chain mixes slowly). Fill factor 2 and drop tolerance 1e-4 were the fastest compromise on those chains. The
  // result is checked like any other, and the direct solver remains the fallback.
  if (n > kDirectMaxStates) {
    Eigen::BiCGSTAB<Eigen::SparseMatrix<double>, Eigen::IncompleteLUT<double>> iterative;
    iterative.preconditioner().setFillfactor(2);
    iterative.preconditioner().setDroptol(1e-4);
    iterative.setTolerance(kIterativeTolerance);
    iterative.setMaxIterations(kIterativeMaxIterations);
    iterative.compute(pinned);
    if (iterative.info() == Eigen::Success) {
      Eigen::VectorXd x = iterative.solve(e0);
      if (iterative.info() == Eigen::Success)
        if (auto pi = accept(std::move(x)))
          return *pi;
    }
  }

  Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
  lu.compute(pinned);
  if (lu.info() == Eigen::Success) {
    Eigen::VectorXd x = lu.solve(e0);
    if (lu.info() == Eigen::Success)
      if (auto pi = accept(std::move(x)))
        return *pi;
  }

  // Last resort (Stewart 2.3): A = Q^T / scale with its last row replaced by ones; A pi = e_last.
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(q.nonZeros() + n));
  for (Eigen::Index k = 0; k < q.outerSize(); ++k)
    for (Eigen::SparseMatrix<double>::InnerIterator it(q, k); it; ++it)
      if (it.col() != n - 1)
        entries.emplace_back(it.col(), it.row(), it.value() / scale);
  for (Eigen::Index i = 0; i < n; ++i)
    entries.emplace_back(n - 1, i, 1.0);
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(entries.begin(), entries.end());
  a.makeCompressed();
  lu.compute(a);
  if (lu.info() != Eigen::Success)
    throw std::runtime_error("stationary_distribution: the balance equations are singular (" + lu.lastErrorMessage() +
                             "): the chain has more than one closed class");
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  b[n - 1] = 1;
  Eigen::VectorXd pi = lu.solve(b);
  if (lu.info() != Eigen::Success)
    throw std::runtime_error("stationary_distribution: the sparse solve failed");
  return finish(std::move(pi), residual);
}

Eigen::VectorXd stationary_distribution(const Eigen::MatrixXd& q) {
  const Eigen::Index n = q.rows();
  if (n != q.cols() || n < 1)
    fail_domain("the generator must be square and non-empty, got " + std::to_string(q.rows()) + "x" +
                std::to_string(q.cols()));
  if (n == 1)
    return Eigen::VectorXd::Ones(1);
  for (Eigen::Index i = 0; i < n; ++i)
    if (std::abs(q.row(i).sum()) > 1e-12 * q.row(i).cwiseAbs().sum())
      fail_domain("row " + std::to_string(i) + " sums to " + std::to_string(q.row(i).sum()) + ", not 0");
  const double scale = q.cwiseAbs().rowwise().sum().maxCoeff() / 2;
  if (!(scale > 0))
    throw std::runtime_error("stationary_distribution: no transitions at all in " + std::to_string(n) +
                             " states: every state is absorbing");
  Eigen::MatrixXd a = q.transpose() / scale;
  a.row(n - 1).setOnes();
  Eigen::FullPivLU<Eigen::MatrixXd> lu(a);
  if (!lu.isInvertible())
    throw std::runtime_error("stationary_distribution: the balance equations are singular: the chain has more than "
                             "one closed class");
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  b[n - 1] = 1;
  const Eigen::MatrixXd scaled_transposed = q.transpose() / scale;
  return finish(lu.solve(b), [&](const Eigen::VectorXd& p) -> Eigen::VectorXd { return scaled_transposed * p; });
}

} // namespace apq::analytic
