#include "sim/data_plane/data_plane.hpp"

#include "sim/scenario/topology.hpp"

#include <cmath>

namespace apq {

DataPlane::Guest::Guest(const GuestSpec& guest_spec, uint64_t seed)
    : spec(&guest_spec), arrivals(guest_spec.arrival->clone()),
      arrival_rng(seed, "guest/" + guest_spec.name + "/arrival"), op_rng(seed, "guest/" + guest_spec.name + "/op"),
      request_key(stream_key(seed, "guest/" + guest_spec.name + "/request")) {
  result.name = guest_spec.name;
  if (guest_spec.completion.mode == CompletionSpec::Mode::polling) {
    NamedStream phase_rng(seed, "guest/" + guest_spec.name + "/poll");
    poll_phase = phase_rng.uniform(0.0, guest_spec.completion.poll_interval);
  }
}

DataPlane::DataPlane(const Scenario& scenario, EventScheduler& scheduler)
    : scheduler_(scheduler), warmup_(scenario.run.warmup), horizon_(scenario.run.horizon) {
  std::vector<int> card_of_adapter(kMaxApId + 1, -1);
  for (const CardSpec& spec : scenario.cards) {
    card_of_adapter[spec.adapter] = static_cast<int>(cards_.size());
    Card card;
    card.adapter = spec.adapter;
    card.type = spec.type.get();
    card.engines_free = spec.type->engines;
    cards_.push_back(std::move(card));
  }
  std::vector<std::vector<int>> queue_index(kMaxApId + 1, std::vector<int>(kMaxApId + 1, -1));
  for (const CardSpec& spec : scenario.cards)
    for (int domain : spec.domains.ids()) {
      queue_index[spec.adapter][domain] = static_cast<int>(queues_.size());
      ApQueue queue;
      queue.adapter = spec.adapter;
      queue.domain = domain;
      queue.card = static_cast<uint32_t>(card_of_adapter[spec.adapter]);
      queues_.push_back(std::move(queue));
    }

  const HostConfig host(scenario);
  const uint64_t seed = scenario.run.seed;
  guests_.reserve(scenario.guests.size());
  for (const GuestSpec& spec : scenario.guests) {
    Guest guest(spec, seed);
    const Apcb apcb = filter_matrix(scenario.mdevs[spec.mdev], host);
    for (int adapter : apcb.adapters.ids()) {
      CardView view;
      view.card = static_cast<uint32_t>(card_of_adapter[adapter]);
      for (int domain : apcb.domains.ids()) {
        const int q = queue_index[adapter][domain];
        queues_[q].owner = static_cast<int>(guests_.size());
        view.queues.push_back(static_cast<uint32_t>(q));
      }
      guest.cards.push_back(std::move(view));
    }
    guests_.push_back(std::move(guest));
  }
}

void DataPlane::start() {
  for (uint32_t g = 0; g < guests_.size(); ++g)
    schedule_next_arrival(g);
}

void DataPlane::schedule_next_arrival(uint32_t g) {
  Guest& guest = guests_[g];
  guest.next_arrival = guest.arrivals->next(scheduler_.now(), guest.arrival_rng);
  if (guest.next_arrival && guest.next_arrival->time < horizon_)
    scheduler_.at(guest.next_arrival->time, [this, g] { on_arrival(g); });
}

void DataPlane::on_arrival(uint32_t g) {
  Guest& guest = guests_[g];
  const Operation op = guest.next_arrival->op ? *guest.next_arrival->op : guest.spec->ops.pick(guest.op_rng);
  const uint64_t index = guest.next_index++;
  const bool counted = in_window(scheduler_.now());
  if (counted) ++guest.result.requests.offered;
  schedule_next_arrival(g);

  const auto choice = pick_queue(guest, op);
  if (!choice) {
    if (counted) ++guest.result.requests.failed; // zcrypt: no usable queue, -ENODEV
    trace(TraceKind::fail, Request{.index = index, .guest = g, .op = op}, -1, -1);
    return;
  }
  const auto [view_index, q] = *choice;
  CardView& view = guest.cards[view_index];
  // zcrypt charges the operation's weight on the chosen card to the guest's loads while the request is out.
  const double weight = cards_[view.card].type->weight[static_cast<std::size_t>(op)];

  const RequestId id = requests_.acquire();
  peak_in_flight_ = std::max(peak_in_flight_, requests_.in_flight());
  requests_[id] = Request{.index = index,
                          .arrival = scheduler_.now(),
                          .weight = weight,
                          .guest = g,
                          .queue = q,
                          .view = view_index,
                          .op = op};
  view.load += weight;
  ++view.total_requests;
  ApQueue& queue = queues_[q];
  queue.load += weight;
  ++queue.total_requests;
  queue.requestq.push_back(id);
  trace(TraceKind::issue, requests_[id]);
  send_waiting(q);
}

std::optional<std::pair<uint32_t, uint32_t>> DataPlane::pick_queue(const Guest& guest, Operation op) const {
  const auto op_index = static_cast<std::size_t>(op);
  const CardView* best = nullptr;
  uint32_t best_view = 0;
  double best_key = 0;
  for (uint32_t v = 0; v < guest.cards.size(); ++v) {
    const CardView& view = guest.cards[v];
    const double weight = cards_[view.card].type->weight[op_index];
    if (weight <= 0 || view.queues.empty()) continue;
    const double key = weight + view.load;
    if (best == nullptr || key < best_key || (key == best_key && view.total_requests < best->total_requests)) {
      best = &view;
      best_view = v;
      best_key = key;
    }
  }
  if (best == nullptr) return std::nullopt;
  uint32_t best_queue = best->queues.front();
  for (uint32_t q : best->queues) {
    const ApQueue& a = queues_[q];
    const ApQueue& b = queues_[best_queue];
    if (a.load < b.load || (a.load == b.load && a.total_requests < b.total_requests)) best_queue = q;
  }
  return std::make_pair(best_view, best_queue);
}

void DataPlane::send_waiting(uint32_t q) {
  ApQueue& queue = queues_[q];
  const int depth = cards_[queue.card].type->queue_depth;
  bool sent = false;
  while (queue.in_card < depth && !queue.requestq.empty()) {
    const RequestId id = queue.requestq.front();
    queue.requestq.pop_front();
    queue.at_card.push_back(id);
    ++queue.in_card;
    sent = true;
    trace(TraceKind::send, requests_[id], queue.adapter, queue.domain);
  }
  if (sent && !queue.in_ring) {
    queue.in_ring = true;
    cards_[queue.card].ring.push_back(q);
  }
  if (sent) dispatch(queue.card);
}

void DataPlane::dispatch(uint32_t c) {
  Card& card = cards_[c];
  while (card.engines_free > 0 && !card.ring.empty()) {
    const uint32_t q = card.ring.front();
    card.ring.pop_front();
    ApQueue& queue = queues_[q];
    const RequestId id = queue.at_card.front();
    queue.at_card.pop_front();
    if (queue.at_card.empty())
      queue.in_ring = false;
    else
      card.ring.push_back(q); // round-robin: the queue goes to the back of the ring
    --card.engines_free;

    // The service demand comes from the request's own stream: the same request needs the same work whatever
    // else happens in the run (common random numbers across strategies).
    const Request& request = requests_[id];
    CounterStream stream(guests_[request.guest].request_key, request.index);
    const double service = card.type->service[static_cast<std::size_t>(request.op)]->sample(stream);
    const double start = scheduler_.now();
    const double end = start + service;
    const double busy = std::min(end, horizon_) - std::max(start, warmup_);
    if (busy > 0) card.busy_seconds += busy;
    trace(TraceKind::start, request, queue.adapter, queue.domain);
    scheduler_.at(end, [this, c, id] { on_service_done(c, id); });
  }
}

void DataPlane::on_service_done(uint32_t c, RequestId id) {
  Card& card = cards_[c];
  ++card.engines_free;
  if (in_window(scheduler_.now())) ++card.served;
  trace(TraceKind::done, requests_[id]);
  notice_reply(id);
  dispatch(c);
}

void DataPlane::notice_reply(RequestId id) {
  const uint32_t g = requests_[id].guest;
  Guest& guest = guests_[g];
  const CompletionSpec& completion = guest.spec->completion;
  if (completion.mode == CompletionSpec::Mode::interrupt) {
    if (completion.delay <= 0)
      collect(id);
    else
      scheduler_.after(completion.delay, [this, id] { collect(id); });
    return;
  }
  // Polling: replies wait in the queue for the guest's next poll tick (a fixed grid with a per-guest phase).
  guest.replies_ready.push_back(id);
  if (!guest.poll_armed) {
    const double period = completion.poll_interval;
    const double ticks = std::floor((scheduler_.now() - guest.poll_phase) / period) + 1;
    guest.poll_armed = true;
    scheduler_.at(guest.poll_phase + ticks * period, [this, g] { on_poll_tick(g); });
  }
}

void DataPlane::on_poll_tick(uint32_t g) {
  Guest& guest = guests_[g];
  guest.poll_armed = false;
  // Collecting only frees slots and starts services, which end later: nothing is added to the list meanwhile.
  for (RequestId id : guest.replies_ready)
    collect(id);
  guest.replies_ready.clear();
}

void DataPlane::collect(RequestId id) {
  const Request& request = requests_[id];
  Guest& guest = guests_[request.guest];
  const double now = scheduler_.now();
  if (in_window(now)) {
    ++guest.result.requests.completed;
    guest.result.latency.record(now - request.arrival);
  }
  trace(TraceKind::collect, request);
  guest.cards[request.view].load -= request.weight;
  ApQueue& queue = queues_[request.queue];
  queue.load -= request.weight;
  --queue.in_card;
  const uint32_t q = request.queue;
  requests_.release(id);
  send_waiting(q);
}

std::vector<GuestResult> DataPlane::guest_results() const {
  std::vector<GuestResult> out;
  for (const Guest& guest : guests_)
    out.push_back(guest.result);
  return out;
}

std::vector<CardResult> DataPlane::card_results() const {
  std::vector<CardResult> out;
  const double window = horizon_ - warmup_;
  for (const Card& card : cards_)
    out.push_back(CardResult{.adapter = card.adapter,
                             .type = card.type->name,
                             .engines = card.type->engines,
                             .served = card.served,
                             .utilization = card.busy_seconds / (card.type->engines * window)});
  return out;
}

} // namespace apq
