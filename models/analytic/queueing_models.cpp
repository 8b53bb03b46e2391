#include "models/analytic/queueing_models.hpp"

#include "models/analytic/ctmc.hpp"
#include "models/analytic/queueing_formulas.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace apq::analytic {
namespace {

constexpr double kTailMass = 1e-12; // truncated chains leave out less than this probability
constexpr long kMaxBirthDeathStates = 10'000'000;
constexpr std::size_t kMaxCardStates = 100'000;

/** Throws std::domain_error "function: what (name = value, ...)". */
[[noreturn]] void fail(const char* function, const std::string& what,
                       std::initializer_list<std::pair<const char*, double>> values) {
  std::ostringstream text;
  text.precision(17);
  text << function << ": " << what;
  const char* sep = " (";
  for (const auto& [name, value] : values) {
    text << sep << name << " = " << value;
    sep = ", ";
  }
  if (values.size() > 0)
    text << ")";
  throw std::domain_error(text.str());
}

bool positive(double v) {
  return std::isfinite(v) && v > 0;
}
bool non_negative(double v) {
  return std::isfinite(v) && v >= 0;
}

/** Figures from the mean number present and in service, the arrival rate and the blocking probability. */
QueueFigures figures_from(double in_system, double busy, int servers, double lambda, double blocking, double mu) {
  QueueFigures f;
  f.blocking = blocking;
  f.throughput = lambda * (1 - blocking);
  f.mean_in_system = in_system;
  f.mean_waiting = std::max(0.0, in_system - busy);
  f.utilization = busy / servers;
  if (f.throughput > 0) {
    // Little's law on the admitted requests.
    f.mean_response = f.mean_in_system / f.throughput;
    f.mean_wait = f.mean_waiting / f.throughput;
  } else {
    // No traffic: the limit of a lone request, which finds the system empty.
    f.mean_response = 1 / mu;
    f.mean_wait = 0;
  }
  return f;
}

/** M/M/c truncated at K, solved as a CTMC: the common part of mmck and mmc_ctmc. */
QueueFigures solve_mmck(int c, long K, double lambda, double mu) {
  Ctmc chain(K + 1);
  for (long n = 0; n < K; ++n) {
    chain.add_rate(n, n + 1, lambda);
    chain.add_rate(n + 1, n, static_cast<double>(std::min<long>(n + 1, c)) * mu);
  }
  const Eigen::VectorXd pi = chain.stationary();
  double in_system = 0, busy = 0;
  for (long n = 0; n <= K; ++n) {
    in_system += static_cast<double>(n) * pi[n];
    busy += static_cast<double>(std::min<long>(n, c)) * pi[n];
  }
  return figures_from(in_system, busy, c, lambda, pi[K], mu);
}

// --- the card with a queue depth ------------------------------------------------------------------------------

/** One AP queue: its requests in all (x; min(x, depth) in the card, the rest guest-side) and on engines (s). */
struct QueueState {
  uint16_t x = 0;
  uint16_t s = 0;
  auto operator<=>(const QueueState&) const = default;
};

static_assert(sizeof(QueueState) == 4, "key_of() hashes the bytes of the states: no padding");

/** A card state: the queues' states, sorted, so that states equal up to a permutation of the queues coincide. */
using CardState = std::vector<QueueState>;

std::string key_of(const CardState& state) {
  return {reinterpret_cast<const char*>(state.data()), state.size() * sizeof(QueueState)};
}

struct CardChainResult {
  Eigen::VectorXd pi;
  std::vector<CardState> states;
};

/** How many multisets of `parts` non-negative integers sum to at most `total`: the partitions of 0..total into at
 *  most `parts` parts, which by conjugation are those into parts of size at most `parts`, counted by the recurrence
 *  p_k(n) = p_{k-1}(n) + p_k(n - k). The card chain has at least one state per multiset of the queues' totals.
 *  Saturates at `limit`. */
double multisets_up_to(int total, int parts, double limit) {
  std::vector<double> p(static_cast<std::size_t>(total) + 1, 0.0);
  p[0] = 1;
  for (int k = 1; k <= parts; ++k)
    for (int n = k; n <= total; ++n)
      p[static_cast<std::size_t>(n)] =
          std::min(limit, p[static_cast<std::size_t>(n)] + p[static_cast<std::size_t>(n - k)]);
  double sum = 0;
  for (double v : p)
    sum = std::min(limit, sum + v);
  return sum;
}

/** Thrown inside when the chain outgrows kMaxCardStates; turned into a domain_error with the parameters. */
struct TooManyStates {};

/** Builds and solves the card chain with at most `total_cap` requests present (arrivals beyond are lost). */
CardChainResult solve_card_chain(int engines, int queues, int depth, double lambda, double mu, int total_cap) {
  std::vector<CardState> states;
  std::unordered_map<std::string, Eigen::Index> index;
  struct Rate {
    Eigen::Index from, to;
    double rate;
  };
  std::vector<Rate> rates;

  auto state_index = [&](CardState state) {
    std::sort(state.begin(), state.end());
    auto [it, inserted] = index.try_emplace(key_of(state), static_cast<Eigen::Index>(states.size()));
    if (inserted) {
      if (states.size() >= kMaxCardStates)
        throw TooManyStates{};
      states.push_back(std::move(state));
    }
    return it->second;
  };

  state_index(CardState(static_cast<std::size_t>(queues)));
  // Breadth-first over the reachable states; `states` grows while we walk it.
  for (std::size_t at = 0; at < states.size(); ++at) {
    const CardState state = states[at];
    const auto from = static_cast<Eigen::Index>(at);
    int total = 0, busy = 0;
    for (const QueueState& q : state) {
      total += q.x;
      busy += q.s;
    }
    for (std::size_t i = 0; i < state.size(); ++i) {
      if (i > 0 && state[i] == state[i - 1])
        continue; // one representative per group of identical queues
      std::size_t group = 1;
      while (i + group < state.size() && state[i + group] == state[i])
        ++group;
      const QueueState q = state[i];

      // An arrival to one of the `group` queues. It enters the card if the queue has a free slot, and an engine
      // if one is free (work conservation: then no other request waits in the card).
      if (total < total_cap) {
        CardState next = state;
        ++next[i].x;
        if (q.x < depth && busy < engines)
          ++next[i].s;
        rates.push_back({from, state_index(std::move(next)), static_cast<double>(group) * lambda});
      }

      // A service end in one of them. The reply frees its slot at once (completion delay 0), a guest-side request
      // of the queue takes it, and the free engine goes to one of the queues with a request waiting in the card,
      // chosen uniformly (our stand-in for the card's round-robin ring, see the header).
      if (q.s > 0) {
        CardState next = state;
        --next[i].x;
        --next[i].s;
        const double rate = static_cast<double>(group) * q.s * mu;
        std::vector<std::size_t> waiting;
        for (std::size_t j = 0; j < next.size(); ++j)
          if (std::min<int>(next[j].x, depth) > next[j].s)
            waiting.push_back(j);
        if (waiting.empty()) {
          rates.push_back({from, state_index(std::move(next)), rate});
        } else {
          for (std::size_t j : waiting) {
            CardState served = next;
            ++served[j].s;
            rates.push_back({from, state_index(std::move(served)), rate / static_cast<double>(waiting.size())});
          }
        }
      }
    }
  }

  Ctmc chain(static_cast<Eigen::Index>(states.size()));
  for (const Rate& r : rates)
    chain.add_rate(r.from, r.to, r.rate);
  return {chain.stationary(), std::move(states)};
}

} // namespace

QueueFigures mmck(int c, int K, double lambda, double mu) {
  if (c < 1 || K < 1 || !non_negative(lambda) || !positive(mu))
    fail("mmck", "needs c >= 1, K >= 1, lambda >= 0 and mu > 0", {{"c", c}, {"K", K}, {"lambda", lambda}, {"mu", mu}});
  return solve_mmck(c, K, lambda, mu);
}

QueueFigures mmc_ctmc(int c, double lambda, double mu) {
  if (c < 1 || !non_negative(lambda) || !positive(mu))
    fail("mmc_ctmc", "needs c >= 1, lambda >= 0 and mu > 0", {{"c", c}, {"lambda", lambda}, {"mu", mu}});
  const double rho = lambda / (c * mu);
  if (!(rho < 1))
    fail("mmc_ctmc", "unstable: lambda >= c mu", {{"c", c}, {"lambda", lambda}, {"mu", mu}});
  // P(N > K) = C rho^(K-c+1) for K >= c - 1, and C <= 1.
  long K = c;
  if (rho > 0) {
    const double extra = std::ceil(std::log(kTailMass) / std::log(rho));
    if (extra > static_cast<double>(kMaxBirthDeathStates))
      fail("mmc_ctmc", "load too close to 1: the truncated chain would exceed 10 million states",
           {{"c", c}, {"lambda", lambda}, {"mu", mu}});
    K = std::max<long>(c, c - 1 + static_cast<long>(extra));
  }
  return solve_mmck(c, K, lambda, mu);
}

QueueFigures card_with_queue_depth(int engines, int queues, int depth, double lambda_per_queue, double mu) {
  auto fail_card = [&](const std::string& what) {
    fail("card_with_queue_depth", what,
         {{"engines", engines},
          {"queues", queues},
          {"depth", depth},
          {"lambda_per_queue", lambda_per_queue},
          {"mu", mu}});
  };
  if (engines < 1 || queues < 1 || depth < 1 || !non_negative(lambda_per_queue) || !positive(mu))
    fail_card("needs engines, queues and depth >= 1, lambda_per_queue >= 0 and mu > 0");
  if (engines > 1000 || depth > 10000)
    fail_card("engines above 1000 or depth above 10000 are beyond this model's state encoding");
  const double lambda = queues * lambda_per_queue;
  // Every queue saturated keeps min(engines, queues * depth) engines busy: the card's capacity.
  const int usable = static_cast<int>(std::min<long>(engines, static_cast<long>(queues) * depth));
  if (!(lambda < usable * mu))
    fail_card("unstable: queues * lambda_per_queue >= min(engines, queues * depth) * mu");
  if (lambda == 0)
    return figures_from(0, 0, engines, 0, 0, mu);

  // Fail fast when the chain is bound to be too large: near saturation the total decays about as rho^t with
  // rho = lambda / (usable mu), so the truncation needs some log(kTailMass) / log(rho) levels beyond the card's
  // slots, and there is a state per multiset of the queues' totals at least.
  const double rho = lambda / (usable * mu);
  const double levels = static_cast<double>(engines + queues * depth) + std::log(kTailMass) / std::log(rho);
  if (levels < 60000 &&
      multisets_up_to(static_cast<int>(levels), queues, 2.0 * kMaxCardStates) > static_cast<double>(kMaxCardStates))
    fail_card("the chain would need more than " + std::to_string(kMaxCardStates) + " states (truncated near " +
              std::to_string(static_cast<int>(levels)) + " requests): too many loaded queues for the exact CTMC at " +
              "this load");

  // Grow the truncation until the mass beyond it, estimated from the decay of the top levels P(total = t) as a
  // geometric tail P(top) / (1 - r), is below kTailMass.
  int cap = std::max(30, 2 * (engines + queues * depth));
  for (;;) {
    CardChainResult solved;
    try {
      solved = solve_card_chain(engines, queues, depth, lambda_per_queue, mu, cap);
    } catch (const TooManyStates&) {
      fail_card("the chain needs more than " + std::to_string(kMaxCardStates) + " states at this load (truncated at " +
                std::to_string(cap) + " requests): too many loaded queues for the exact CTMC");
    }
    std::vector<double> level(static_cast<std::size_t>(cap) + 1, 0.0);
    double in_system = 0, busy = 0;
    for (std::size_t k = 0; k < solved.states.size(); ++k) {
      int total = 0, serving = 0;
      for (const QueueState& q : solved.states[k]) {
        total += q.x;
        serving += q.s;
      }
      const double p = solved.pi[static_cast<Eigen::Index>(k)];
      level[static_cast<std::size_t>(total)] += p;
      in_system += total * p;
      busy += serving * p;
    }
    const double top = level[static_cast<std::size_t>(cap)];
    const double below = level[static_cast<std::size_t>(cap) - 1];
    const double ratio = below > 0 ? top / below : 0;
    const double tail = ratio < 1 ? top / (1 - ratio) : std::numeric_limits<double>::infinity();
    if (tail < kTailMass)
      return figures_from(in_system, busy, engines, lambda, top, mu);
    int next = 2 * cap;
    if (ratio > 0 && ratio < 0.999) {
      // Levels needed for top * ratio^k (1 / (1 - ratio)) to drop below kTailMass, plus a margin for the
      // distortion of the top levels by the truncation itself.
      const double k = std::log(kTailMass * (1 - ratio) / top) / std::log(ratio);
      next = cap + static_cast<int>(std::ceil(k * 1.1)) + 5;
    }
    if (next > 60000)
      fail_card("load too close to the card's capacity to truncate the guest-side backlog");
    cap = std::max(next, cap + 1);
  }
}

QueueFigures mgc_allen_cunneen(int c, double lambda, double mean_s, double cv_s, double ca) {
  if (c < 1 || !non_negative(lambda) || !positive(mean_s) || !non_negative(cv_s) || !non_negative(ca))
    fail("mgc_allen_cunneen", "needs c >= 1, lambda >= 0, mean_s > 0, cv_s >= 0 and ca >= 0",
         {{"c", c}, {"lambda", lambda}, {"mean_s", mean_s}, {"cv_s", cv_s}, {"ca", ca}});
  const double a = lambda * mean_s;
  if (!(a < c))
    fail("mgc_allen_cunneen", "unstable: lambda mean_s >= c", {{"c", c}, {"lambda", lambda}, {"mean_s", mean_s}});
  QueueFigures f;
  f.utilization = a / c;
  f.throughput = lambda;
  f.mean_wait = mmc_mean_wait(c, lambda, 1 / mean_s) * (ca * ca + cv_s * cv_s) / 2;
  f.mean_response = f.mean_wait + mean_s;
  f.mean_waiting = lambda * f.mean_wait;
  f.mean_in_system = lambda * f.mean_response;
  return f;
}

} // namespace apq::analytic
