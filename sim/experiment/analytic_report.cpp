#include "sim/experiment/analytic_report.hpp"

#include "models/units.hpp"
#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace apq {
namespace {

using analytic::QueueFigures;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

/** `text` broken at spaces into lines of at most `width` columns, each starting with `indent`. */
std::string wrap(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out, line = indent;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    if (line.size() > indent.size())
      line += ' ';
    line += word;
  }
  if (line.size() > indent.size())
    out += line + "\n";
  return out;
}

/** 3 significant digits, for figures inside notes. */
std::string sig3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%%", 100 * fraction);
  return text;
}

// The model classes live inside models/*.cpp; their describe() names them, which is all we need to know here.
bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}
bool is_exponential(const Distribution& d) {
  return starts_with(d.describe(), "exponential(");
}

/** A service-time mix: its components (rate, mean, cv), from which its mean and cv. */
struct Mix {
  struct Component {
    double rate, mean, cv;
  };
  std::vector<Component> components;
  double rate = 0;
  bool one_exponential = true; // every component exponential with the same mean: the mix is that exponential

  void add(double r, double mean, double cv, bool exponential) {
    if (r <= 0)
      return;
    // A mix of exponentials of different means is hyperexponential, not exponential.
    if (!exponential || (!components.empty() && std::abs(mean - components.front().mean) > 1e-12 * mean))
      one_exponential = false;
    components.push_back({r, mean, cv});
    rate += r;
  }
  void add(double r, const Distribution& d) { add(r, d.mean(), d.cv(), is_exponential(d)); }
  void add(const Mix& other) {
    for (const Component& c : other.components)
      add(c.rate, c.mean, c.cv, other.one_exponential);
  }
  double mean() const {
    double time = 0;
    for (const Component& c : components)
      time += c.rate * c.mean;
    return rate > 0 ? time / rate : 0;
  }
  /** Var = sum p_i (sigma_i^2 + (m_i - m)^2), the law of total variance: no cancellation, so a single
   *  deterministic component gives cv 0 exactly. */
  double cv() const {
    const double m = mean();
    if (!(m > 0))
      return 0;
    double variance = 0;
    for (const Component& c : components)
      variance += c.rate / rate * (c.mean * c.mean * c.cv * c.cv + (c.mean - m) * (c.mean - m));
    return std::sqrt(variance) / m;
  }
};

/** A guest's traffic: how its stream varies, and how its completions are noticed. */
struct GuestTraffic {
  double rate = 0;
  double ca2 = 1; // squared coefficient of variation of its interarrival times
  bool poisson = true;
  std::string arrival_note; // set when the process is taken as something it is not
  double latency = 0;       // mean completion latency added to every request
  bool delay_free = true;   // interrupt mode without delay: a reply frees its slot at service end
  std::string latency_note;
  std::vector<std::string> unsupported;
  int cards = 0; // cards its requests go to
  bool no_queue = false;
};

/** One guest's share of one card. */
struct Share {
  int guest = 0;
  Mix mix;
  int queues = 0;      // the guest's queues on the card
  double fraction = 0; // of the guest's stream that comes here
  bool split = false;  // the share is part of a split over several cards
  double ca2 = 1;      // of this share (QNA random split)
};

/** What the card's model gives, for the card and for each of its shares. */
struct CardModel {
  std::string model;
  int servers = 0;
  bool exact = false;
  bool overloaded = false;
  QueueFigures figures;
  std::vector<double> share_wait; // the mean wait a request of each share sees
  std::vector<std::string> notes;
};

QueueFigures overloaded_figures(double lambda, double capacity, double busy_fraction) {
  QueueFigures f;
  f.utilization = busy_fraction;
  f.throughput = std::min(lambda, capacity);
  f.mean_in_system = f.mean_waiting = f.mean_response = f.mean_wait = kInfinity;
  return f;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty())
      continue;
    if (!out.empty())
      out += separator;
    out += p;
  }
  return out;
}

CardModel model_card(const CardSpec& card, const std::vector<Share>& shares, const std::vector<GuestTraffic>& guests) {
  const int c = card.type->engines, depth = card.type->queue_depth;
  CardModel out;
  Mix mix;
  int queues = 0;
  bool poisson = true, split = false, delay_free = true;
  for (const Share& s : shares) {
    mix.add(s.mix);
    queues += s.queues;
    poisson = poisson && guests[s.guest].poisson;
    split = split || s.split;
    delay_free = delay_free && guests[s.guest].delay_free;
  }
  out.share_wait.assign(shares.size(), 0.0);
  if (mix.rate <= 0) {
    out.model = "idle";
    out.servers = c;
    out.exact = true;
    out.notes.push_back("no guest sends requests to this card");
    return out;
  }
  const double lambda = mix.rate, mean = mix.mean(), cv = mix.cv();
  // QNA superposition: the rate-weighted mean of the shares' ca^2; Poisson stays exactly Poisson.
  double ca2 = 1;
  if (!poisson) {
    ca2 = 0;
    for (const Share& s : shares)
      ca2 += s.mix.rate / lambda * s.ca2;
  }
  const double ca = std::sqrt(ca2);
  const bool exponential = mix.one_exponential;
  const std::string arrivals = poisson ? "M" : "G";
  if (split)
    out.notes.push_back("the rate here is a share of a guest's requests split over several cards in proportion to "
                        "their speed (1/weight), as a random split: zcrypt's load-aware choice waits less");
  if (!delay_free)
    out.notes.push_back("a reply holds its slot in the queue until collected; the model frees it at service end, "
                        "which matters only when a queue's depth fills");

  if (depth >= c) {
    // A queue with a guest-side backlog has depth >= c requests in the card: every engine is busy whenever c
    // requests are present, so the card is one M/G/c queue whatever the spread over queues.
    out.servers = c;
    if (!(lambda * mean < c)) {
      out.overloaded = true;
    } else {
      out.figures = analytic::mgc_allen_cunneen(c, lambda, mean, cv, ca);
    }
    const std::string cs = std::to_string(c);
    if (exponential && poisson)
      out.model = "M/M/" + cs + " (Erlang C)";
    else if (c == 1 && poisson)
      out.model = "M/G/1 (Pollaczek-Khinchine)";
    else
      out.model = arrivals + "/G/" + cs + " (Allen-Cunneen)";
    out.exact = poisson && !split && delay_free && (exponential || c == 1);
    if (out.exact)
      out.notes.push_back(exponential ? "exact: Poisson arrivals, one exponential service time, no completion delay"
                                      : "exact: Poisson arrivals on one engine (the Pollaczek-Khinchine mean holds "
                                        "for any service time), no completion delay");
    if (!poisson)
      out.notes.push_back("arrivals not all Poisson: Allen-Cunneen with ca^2 = " + sig3(ca2) +
                          " from the streams (QNA; processes other than Poisson and periodic count as ca^2 = 1)");
    if (queues > 1)
      out.notes.push_back("queue depth " + std::to_string(depth) + " >= " + cs + " engines: its " +
                          std::to_string(queues) + " queues act as one " + cs + "-server queue (exact)");
    if (!exponential && c > 1)
      out.notes.push_back("Allen-Cunneen: Wq(M/M/" + cs + ") x (ca^2 + cs^2)/2 with cs = " + sig3(cv) +
                          ", an approximation for non-exponential service on several engines");
    if (!out.overloaded)
      std::fill(out.share_wait.begin(), out.share_wait.end(), out.figures.mean_wait);
  } else if (static_cast<long>(queues) * depth <= c) {
    // No engine is ever contended: each queue is an M/G/depth of its own.
    out.servers = depth;
    const std::string ds = std::to_string(depth);
    bool exact = poisson && !split && delay_free, any_general = false;
    double in_system = 0, waiting = 0, busy = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      const Share& s = shares[i];
      if (s.mix.rate <= 0)
        continue;
      const double per_queue = s.mix.rate / s.queues;
      // QNA: an equal random split over the guest's queues here.
      const double queue_ca2 =
          guests[static_cast<std::size_t>(s.guest)].poisson ? 1 : s.ca2 / s.queues + 1 - 1.0 / s.queues;
      exact = exact && s.queues == 1 && (s.mix.one_exponential || depth == 1);
      any_general = any_general || !s.mix.one_exponential;
      busy += s.mix.rate * s.mix.mean();
      if (!(per_queue * s.mix.mean() < depth)) {
        out.overloaded = true;
        continue;
      }
      const QueueFigures q =
          analytic::mgc_allen_cunneen(depth, per_queue, s.mix.mean(), s.mix.cv(), std::sqrt(queue_ca2));
      out.share_wait[i] = q.mean_wait;
      in_system += s.queues * q.mean_in_system;
      waiting += s.queues * q.mean_waiting;
    }
    out.model = arrivals + "/" + (any_general ? "G" : "M") + "/" + ds + " per queue";
    out.exact = exact;
    if (exact)
      out.notes.push_back("exact: each queue has one Poisson guest, " +
                          std::string(depth == 1 ? "one engine" : "one exponential service time") +
                          ", no completion delay");
    out.notes.push_back(std::to_string(queues) + " queues x depth " + ds + " <= " + std::to_string(c) +
                        " engines: no engine is ever contended, each queue is a queue with " + ds +
                        " servers of its own");
    if (!out.overloaded) {
      out.figures.utilization = busy / c;
      out.figures.throughput = lambda;
      out.figures.mean_in_system = in_system;
      out.figures.mean_waiting = waiting;
      out.figures.mean_response = in_system / lambda;
      out.figures.mean_wait = waiting / lambda;
    }
  } else {
    // depth < engines < queues * depth: the engines are shared, but no queue can hold them all.
    out.servers = c;
    const std::string cs = std::to_string(c), ds = std::to_string(depth);
    out.notes.push_back("queue depth " + ds + " < " + cs + " engines < " + std::to_string(queues) +
                        " queues x depth: CTMC of the card with equal queues, round-robin taken as a random choice "
                        "among queues with work waiting in the card (an approximation)");
    bool equal = true;
    for (const Share& s : shares)
      equal = equal && std::abs(s.mix.rate / s.queues - lambda / queues) <= 1e-9 * lambda;
    if (!equal)
      out.notes.push_back("the queues' rates differ: the CTMC uses their mean rate");
    if (!(lambda * mean < c)) {
      out.overloaded = true;
      out.model = "M/M/" + cs + " with queue depth " + ds + " (CTMC)";
    } else {
      try {
        out.figures = analytic::card_with_queue_depth(c, queues, depth, lambda / queues, 1 / mean);
        out.model = "M/M/" + cs + " with queue depth " + ds + " (CTMC)";
        if (!exponential || !poisson) {
          const double factor = (ca2 + cv * cv) / 2;
          QueueFigures& f = out.figures;
          f.mean_wait *= factor;
          f.mean_response = f.mean_wait + mean;
          f.mean_waiting = f.throughput * f.mean_wait;
          f.mean_in_system = f.throughput * f.mean_response;
          out.model = arrivals + "/G/" + cs + " with queue depth " + ds + " (CTMC x Allen-Cunneen)";
          out.notes.push_back("service not exponential (cs = " + sig3(cv) +
                              ") or arrivals not Poisson: the CTMC's wait times (ca^2 + cs^2)/2 = " + sig3(factor) +
                              " (Allen-Cunneen's factor)");
        }
      } catch (const std::domain_error& e) {
        out.figures = analytic::mgc_allen_cunneen(c, lambda, mean, cv, ca);
        out.model = arrivals + "/G/" + cs + " without the depth limit (lower bound)";
        out.notes.push_back(std::string("the card's CTMC is out of reach (") + e.what() +
                            "); shown: the same card without its depth limit, whose wait is a lower bound");
      }
    }
    if (!out.overloaded)
      std::fill(out.share_wait.begin(), out.share_wait.end(), out.figures.mean_wait);
    out.exact = false;
  }

  if (out.overloaded) {
    // Capacity: every engine the queues can fill.
    const double usable = std::min<double>(c, static_cast<double>(queues) * depth);
    const double capacity = usable / mean;
    out.figures = overloaded_figures(lambda, capacity, std::min(lambda * mean, usable) / c);
    out.exact = false;
    std::fill(out.share_wait.begin(), out.share_wait.end(), kInfinity);
    out.model += " (overloaded)";
    out.notes.push_back("overloaded: " + sig3(lambda * mean) + " Erlang offered to " + sig3(usable) +
                        " usable engines; the backlog grows without bound (no steady state)");
  }
  return out;
}

/** A guest's view of a card: its own rate and service mix, the card's wait, and its completion latency. */
QueueFigures guest_figures(const CardModel& card, const Share& share, double wait, const GuestTraffic& guest) {
  QueueFigures f;
  f.utilization = card.figures.utilization;
  f.blocking = card.figures.blocking;
  f.throughput = share.mix.rate * (1 - f.blocking);
  f.mean_wait = wait;
  f.mean_response = wait + share.mix.mean() + guest.latency;
  f.mean_waiting = f.throughput * f.mean_wait;
  f.mean_in_system = f.throughput * f.mean_response;
  return f;
}

} // namespace

std::vector<AnalyticRow> analytic_rows(const Scenario& scenario) {
  if (scenario.control.reconfigures())
    throw AnalyticUnsupported(
        "analytic models cover steady state without reconfiguration: " + scenario.file.string() + " has " +
        std::to_string(scenario.control.timeline.size()) + " reconfiguration timeline entries and " +
        std::to_string(scenario.control.random.size()) +
        " random admin processes; simulate it (apqsim run), or remove [reconfig] for its steady state");

  const HostConfig host(scenario);
  std::vector<GuestTraffic> guests(scenario.guests.size());
  std::vector<std::vector<Share>> shares(scenario.cards.size());
  auto card_index = [&](int adapter) {
    for (std::size_t k = 0; k < scenario.cards.size(); ++k)
      if (scenario.cards[k].adapter == adapter)
        return static_cast<int>(k);
    return -1;
  };

  for (std::size_t g = 0; g < scenario.guests.size(); ++g) {
    const GuestSpec& spec = scenario.guests[g];
    GuestTraffic& traffic = guests[g];
    traffic.rate = spec.arrival->mean_rate();
    const std::string process = spec.arrival->describe();
    if (starts_with(process, "poisson(")) {
      traffic.ca2 = 1;
    } else if (starts_with(process, "periodic(")) {
      traffic.ca2 = 0;
      traffic.poisson = false;
      traffic.arrival_note = "periodic arrivals: ca = 0";
    } else {
      traffic.poisson = false;
      traffic.arrival_note = process + " taken as Poisson at its long-run rate (burstier processes wait longer)";
    }
    if (spec.completion.mode == CompletionSpec::Mode::interrupt) {
      traffic.latency = spec.completion.delay;
      traffic.delay_free = spec.completion.delay <= 0;
      if (!traffic.delay_free)
        traffic.latency_note = "plus the interrupt delay " + units::format_duration(spec.completion.delay);
    } else {
      traffic.latency = spec.completion.poll_interval / 2;
      traffic.delay_free = false;
      traffic.latency_note = "plus half the poll interval " + units::format_duration(spec.completion.poll_interval) +
                             ", the mean wait for the next poll if completions fall at random on the poll grid "
                             "(an approximation)";
    }

    const Apcb apcb = filter_matrix(scenario.mdevs[static_cast<std::size_t>(spec.mdev)], host);
    const int queues_per_card = static_cast<int>(apcb.domains.size());
    if (apcb.adapters.empty() || queues_per_card == 0) {
      traffic.no_queue = true;
      continue;
    }
    // Per operation, a split over the cards that support it, in proportion to their speed for it.
    std::vector<Share> mine(scenario.cards.size());
    for (const auto& [op, weight] : spec.ops.weights()) {
      std::vector<int> candidates;
      double speed = 0;
      for (int adapter : apcb.adapters.ids()) {
        const int k = card_index(adapter);
        if (k >= 0 && scenario.cards[static_cast<std::size_t>(k)].type->supports(op)) {
          candidates.push_back(k);
          speed += 1 / scenario.cards[static_cast<std::size_t>(k)].type->weight[index_of(op)];
        }
      }
      if (candidates.empty()) {
        traffic.unsupported.emplace_back(operation_name(op));
        continue;
      }
      for (int k : candidates) {
        const CardType& type = *scenario.cards[static_cast<std::size_t>(k)].type;
        const double share = (1 / type.weight[index_of(op)]) / speed;
        Share& s = mine[static_cast<std::size_t>(k)];
        s.mix.add(traffic.rate * weight * share, *type.service[index_of(op)]);
        s.fraction += weight * share;
        s.split = s.split || candidates.size() > 1;
      }
    }
    for (std::size_t k = 0; k < mine.size(); ++k) {
      Share& s = mine[k];
      if (s.mix.rate <= 0)
        continue;
      s.guest = static_cast<int>(g);
      s.queues = queues_per_card;
      s.ca2 = traffic.poisson ? 1 : s.fraction * traffic.ca2 + 1 - s.fraction; // QNA random split
      shares[k].push_back(s);
      ++traffic.cards;
    }
  }

  std::vector<AnalyticRow> rows;
  // Per guest: its rows, one per card it uses, for the totals.
  std::vector<std::vector<std::size_t>> per_guest_index(scenario.guests.size());
  for (std::size_t k = 0; k < scenario.cards.size(); ++k) {
    const CardSpec& card = scenario.cards[k];
    const CardModel model = model_card(card, shares[k], guests);
    Mix mix;
    for (const Share& s : shares[k])
      mix.add(s.mix);
    AnalyticRow card_row;
    card_row.adapter = card.adapter;
    card_row.model = model.model;
    card_row.lambda = mix.rate;
    card_row.service_mean = mix.mean();
    card_row.service_cv = mix.cv();
    card_row.servers = model.servers;
    card_row.figures = model.figures;
    card_row.exact = model.exact;
    card_row.note = card.type->name + ", " + std::to_string(card.type->engines) +
                    (card.type->engines == 1 ? " engine" : " engines") + ", queue depth " +
                    std::to_string(card.type->queue_depth) + ": " + join(model.notes, "; ");
    rows.push_back(card_row);

    // Round-robin across queues favours lighter queues: unless the card has one guest, or its queues are alike
    // (same rate, same service), a guest's mean wait is the card's only approximately.
    int card_queues = 0;
    for (const Share& s : shares[k])
      card_queues += s.queues;
    bool alike = true;
    for (const Share& s : shares[k])
      alike = alike && std::abs(s.mix.rate / s.queues - mix.rate / card_queues) <= 1e-9 * mix.rate &&
              std::abs(s.mix.mean() - mix.mean()) <= 1e-12 * mix.mean() && s.mix.cv() == mix.cv();
    for (std::size_t i = 0; i < shares[k].size(); ++i) {
      const Share& s = shares[k][i];
      const GuestTraffic& traffic = guests[static_cast<std::size_t>(s.guest)];
      AnalyticRow row;
      row.adapter = card.adapter;
      row.guest = scenario.guests[static_cast<std::size_t>(s.guest)].name;
      row.model = model.model;
      row.lambda = s.mix.rate;
      row.service_mean = s.mix.mean();
      row.service_cv = s.mix.cv();
      row.servers = model.servers;
      row.figures = guest_figures(model, s, model.share_wait[i], traffic);
      row.exact = model.exact && (shares[k].size() == 1 || alike);
      std::vector<std::string> notes;
      if (shares[k].size() > 1 && !alike && !model.overloaded && model.servers == card.type->engines)
        notes.push_back("the card's mean wait; round-robin across queues favours the lighter ones (approximate "
                        "per guest)");
      if (s.queues > 1 && card.type->queue_depth < card.type->engines)
        notes.push_back("an equal split over its " + std::to_string(s.queues) +
                        " queues here (zcrypt picks the least loaded)");
      if (s.split)
        notes.push_back(percent(s.fraction) + " of its requests, a proportional split over its cards");
      notes.push_back(traffic.arrival_note);
      notes.push_back(traffic.latency_note);
      row.note = join(notes, "; ");
      rows.push_back(row);
      per_guest_index[static_cast<std::size_t>(s.guest)].push_back(rows.size() - 1);
    }
  }

  for (std::size_t g = 0; g < scenario.guests.size(); ++g) {
    const GuestTraffic& traffic = guests[g];
    const std::string unsupported =
        traffic.unsupported.empty()
            ? ""
            : "operations " + join(traffic.unsupported, ", ") + " are not supported by any card it has: they fail";
    if (traffic.no_queue || per_guest_index[g].empty()) {
      AnalyticRow row;
      row.guest = scenario.guests[g].name;
      row.model = "none";
      row.lambda = traffic.rate;
      row.exact = true;
      row.note = traffic.no_queue ? "no usable AP queue after filtering: every request fails" : unsupported;
      rows.push_back(row);
      continue;
    }
    if (per_guest_index[g].size() < 2 && unsupported.empty())
      continue;
    // The guest over all its cards: rate-weighted means of what each card gives it.
    AnalyticRow total;
    total.guest = scenario.guests[g].name;
    total.model = per_guest_index[g].size() > 1 ? "split over " + std::to_string(per_guest_index[g].size()) + " cards"
                                                : rows[per_guest_index[g][0]].model;
    Mix mix;
    bool exact = per_guest_index[g].size() == 1;
    QueueFigures& f = total.figures;
    double lambda = 0;
    for (std::size_t index : per_guest_index[g]) {
      const AnalyticRow& r = rows[index];
      lambda += r.lambda;
      exact = exact && r.exact;
      f.throughput += r.figures.throughput;
      f.mean_in_system += r.figures.mean_in_system;
      f.mean_waiting += r.figures.mean_waiting;
      f.utilization += r.lambda * r.figures.utilization;
      f.blocking += r.lambda * r.figures.blocking;
      mix.add(r.lambda, r.service_mean, r.service_cv, false);
    }
    f.utilization /= lambda;
    f.blocking /= lambda;
    f.mean_response = f.mean_in_system / f.throughput;
    f.mean_wait = f.mean_waiting / f.throughput;
    total.lambda = lambda;
    total.service_mean = mix.mean();
    total.service_cv = mix.cv();
    total.exact = exact;
    total.note = join({per_guest_index[g].size() > 1 ? "rate-weighted over its cards (utilization: of the cards its "
                                                       "requests meet)"
                                                     : "",
                       unsupported},
                      "; ");
    rows.push_back(total);
  }
  return rows;
}

std::string analytic_report_text(const Scenario& scenario) {
  const std::vector<AnalyticRow> rows = analytic_rows(scenario);
  std::ostringstream out;
  out << "apqsim analytic · " << scenario.file.string() << " · config " << scenario.config_sha256.substr(0, 12) << "\n";
  out << "Steady state from queueing formulas and CTMCs, no simulation. \"exact\" rows are exact for the mean;\n"
         "\"approx\" rows say why in their notes. A card row's response is its wait plus the mean service; a guest\n"
         "row has the guest's own operation mix and adds its completion latency (arrival to collection, as apqsim run "
         "measures).\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-6s %-12s %-44s %9s %9s %5s %8s %9s %9s  %s\n", "card", "guest", "model", "lambda",
                "service", "cv", "util", "wait", "response", "");
  out << line;
  for (const AnalyticRow& r : rows) {
    const std::string card = r.adapter >= 0 ? hex_id(r.adapter) : "-";
    const std::string guest = r.guest.empty() ? "(card)" : r.guest;
    std::snprintf(line, sizeof line, "%-6s %-12s %-44s %9s %9s %5.2f %8s %9s %9s  %s\n", card.c_str(), guest.c_str(),
                  r.model.c_str(), units::format_rate(r.lambda).c_str(), units::format_duration(r.service_mean).c_str(),
                  r.service_cv, percent(r.figures.utilization).c_str(),
                  units::format_duration(r.figures.mean_wait).c_str(),
                  units::format_duration(r.figures.mean_response).c_str(), r.exact ? "exact" : "approx");
    out << line;
    if (!r.note.empty())
      out << wrap(r.note, "       ", 120);
  }
  return out.str();
}

nlohmann::ordered_json analytic_report_json(const Scenario& scenario) {
  const std::vector<AnalyticRow> rows = analytic_rows(scenario);
  // JSON has no infinity: an overloaded card's unbounded figures become null.
  auto number = [](double v) -> nlohmann::ordered_json {
    if (std::isfinite(v))
      return v;
    return nullptr;
  };
  nlohmann::ordered_json doc;
  doc["scenario"] = scenario.file.string();
  doc["config_sha256"] = scenario.config_sha256;
  doc["rows"] = nlohmann::ordered_json::array();
  for (const AnalyticRow& r : rows) {
    nlohmann::ordered_json row;
    row["adapter"] = r.adapter >= 0 ? nlohmann::ordered_json(hex_id(r.adapter)) : nlohmann::ordered_json(nullptr);
    row["guest"] = r.guest.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.guest);
    row["model"] = r.model;
    row["exact"] = r.exact;
    row["lambda"] = number(r.lambda);
    row["service_mean"] = number(r.service_mean);
    row["service_cv"] = number(r.service_cv);
    row["servers"] = r.servers;
    row["utilization"] = number(r.figures.utilization);
    row["mean_in_system"] = number(r.figures.mean_in_system);
    row["mean_waiting"] = number(r.figures.mean_waiting);
    row["mean_response"] = number(r.figures.mean_response);
    row["mean_wait"] = number(r.figures.mean_wait);
    row["blocking"] = number(r.figures.blocking);
    row["throughput"] = number(r.figures.throughput);
    row["note"] = r.note;
    doc["rows"].push_back(std::move(row));
  }
  return doc;
}

} // namespace apq
