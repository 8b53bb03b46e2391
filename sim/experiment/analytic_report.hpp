#pragma once
// What queueing theory says about a scenario, without simulating it: per card, the guests that use it, their rates,
// the service-time mix, and the queueing model that fits, exact where it is exact and labelled where it is not.
// `apqsim analytic FILE` prints it; it also gives a simulation something to be checked against.
//
// How a scenario maps to models (each step's approximation is named in the row's note):
// - A guest's requests go to the queues of its filtered APCB (filter_matrix), per operation to the cards that
//   support it. zcrypt picks the card with the lowest weight + the guest's load, i.e. balances outstanding work; we
//   use a fixed split in proportion to each card's speed for the operation (1 / weight), each share a random
//   (Poisson) split of the stream, and within a card an equal split over the guest's queues there. Exact for a
//   guest on one card with one queue there.
// - A card with queue_depth >= engines is an M/G/c queue on the sum of its guests' rates, whatever the spread over
//   its queues: a queue with requests waiting guest-side has at least `engines` in the card, so every engine is busy
//   whenever at least `engines` requests are present, and service times are drawn independently of the order of
//   service. M/M/c (Erlang C) when every operation on the card has the same exponential service time, exact; M/G/1
//   by Pollaczek-Khinchine, exact for the mean; otherwise Allen-Cunneen, an approximation.
// - queues * depth <= engines: no engine is ever contended, each queue is an M/G/depth of its own.
// - depth < engines < queues * depth: the CTMC of analytic::card_with_queue_depth (exponential service, queues with
//   equal rates, round-robin approximated by a random choice), with the Allen-Cunneen factor (ca^2 + cs^2) / 2 on
//   its wait when the service is not exponential. Always an approximation; when the chain is too large, the card
//   without its depth limit, a lower bound on the wait.
// - Arrivals: Poisson is exact; periodic streams have ca = 0; mmpp, schedule and trace are taken as Poisson at their
//   long-run rate. Superposition and splitting of streams follow Whitt's QNA (ca^2 of a superposition is the
//   rate-weighted mean, a random split with probability p gives p ca^2 + 1 - p), which keeps Poisson exact.
// - Response time is as the simulator measures it, arrival to collection: the card's wait, the guest's own mean
//   service time, and the completion latency (the interrupt delay, or half the poll interval when polling, the mean
//   residual of a poll grid seen at a random moment). The model frees a reply's slot at service end; with a
//   completion delay the reply holds it that long, which matters only when a queue's depth fills.

#include "models/analytic/queueing_models.hpp"
#include "sim/scenario/scenario.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {

/** One line of the analytic report: a card as a whole (guest ""), one guest on one card, or a guest's total over
 *  several cards (adapter -1). */
struct AnalyticRow {
  std::string guest;              ///< "" for the card as a whole
  std::string model;              ///< e.g. "M/M/4 (Erlang C)", "M/G/4 (Allen-Cunneen)", "idle"
  double lambda = 0;              ///< offered requests per second (the guest's share on this card)
  double service_mean = 0;        ///< seconds of engine time per request, over the operation mix
  double service_cv = 0;          ///< coefficient of variation of that mix
  int servers = 0;                ///< engines of the card (per queue: the queue depth)
  analytic::QueueFigures figures; ///< guest rows: response and wait as the guest sees them, see the file comment
  std::string note;               ///< the approximations made, or why the model is exact
  int adapter = -1;               ///< the card, -1 for a guest's total over several cards
  bool exact = false;             ///< no approximation beyond rounding and a truncation below 1e-12
};

/** Thrown for a scenario the analytic models do not cover (reconfiguration). */
class AnalyticUnsupported : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/** Per card (scenario order): the card's row, then one row per guest on it; then a total row per guest whose
 *  requests go to several cards, and a row per guest none of whose requests can be served.
 *  @throw AnalyticUnsupported for a scenario with reconfiguration (timeline or random admin) */
std::vector<AnalyticRow> analytic_rows(const Scenario& scenario);

/** The rows as a table with their notes, for people. @throw AnalyticUnsupported as analytic_rows */
std::string analytic_report_text(const Scenario& scenario);

/** {"scenario", "config_sha256", "rows": [{adapter, guest, model, exact, lambda, service_mean, service_cv, servers,
 *  utilization, mean_in_system, mean_waiting, mean_response, mean_wait, blocking, throughput, note}]}, in seconds
 *  and per second; an overloaded card's infinite figures are null. @throw AnalyticUnsupported as analytic_rows */
nlohmann::ordered_json analytic_report_json(const Scenario& scenario);

} // namespace apq
