#include "sim/data_plane/data_plane.hpp"

#include "models/units.hpp"
#include "sim/scenario/topology.hpp"

#include <algorithm>
#include <cmath>

namespace apq {

namespace {
// zcrypt_api.h: TRACK_AGAIN_MAX attempts (the penalties of a retry are in queue_pick.cpp).
constexpr int kMaxAttempts = 10;
// ap_bus.c poll_low_timeout: the AP state machine's AP_SM_WAIT_LOW_TIMEOUT, how often RESET_WAIT polls TAPQ.
constexpr double kPollLowTimeout = 0.040;

std::vector<std::string> guest_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const GuestSpec& guest : scenario.guests)
    names.push_back(guest.name);
  return names;
}
} // namespace

DataPlane::Guest::Guest(const GuestSpec& guest_spec, uint64_t seed, uint32_t card_count)
    : spec(&guest_spec), arrivals(guest_spec.arrival->clone()),
      arrival_rng(seed, "guest/" + guest_spec.name + "/arrival"),
      op_rng(stream_key(seed, "guest/" + guest_spec.name + "/op")),
      request_key(stream_key(seed, "guest/" + guest_spec.name + "/request")),
      reset_rng(stream_key(seed, "guest/" + guest_spec.name + "/rapq")), view_of_card(card_count, -1) {
  result.name = guest_spec.name;
  // Phases of the guest's poll and scan timers: each guest booted at its own moment.
  NamedStream phases(seed, "guest/" + guest_spec.name + "/phases");
  poll_phase = phases.uniform(0.0, guest_spec.completion.poll_interval);
  scan_phase = phases.uniform(0.0, guest_spec.scan_interval);
}

DataPlane::DataPlane(const Scenario& scenario, EventScheduler& scheduler)
    : scheduler_(scheduler), warmup_(scenario.run.warmup), horizon_(scenario.run.horizon),
      queue_index_(kMaxApId + 1, std::vector<int>(kMaxApId + 1, -1)),
      in_flight_limit_(static_cast<std::size_t>(scenario.limits.in_flight)), reset_time_(scenario.control.reset_time),
      series_(scenario.run.series_window > 0 ? scenario.run.series_window : default_series_window(scenario.run.horizon),
              scenario.run.horizon, guest_names(scenario), [this](std::size_t g) { return levels(g); }) {
  for (const CardSpec& spec : scenario.cards) {
    const auto c = static_cast<uint32_t>(cards_.size());
    Card card;
    card.adapter = spec.adapter;
    card.type = spec.type.get();
    card.engines_free = spec.type->engines;
    cards_.push_back(std::move(card));
    for (int domain : spec.domains.ids()) {
      queue_index_[spec.adapter][domain] = static_cast<int>(queues_.size());
      ApQueue queue;
      queue.adapter = spec.adapter;
      queue.domain = domain;
      queue.card = c;
      queues_.push_back(std::move(queue));
    }
  }
  for (const Card& card : cards_)
    for (double weight : card.type->weight)
      integral_weights_ = integral_weights_ && weight == std::floor(weight) && weight < 0x1p32;
  // Guests start running with their APCB in place and their interrupts set up.
  const HostConfig host(scenario);
  guests_.reserve(scenario.guests.size());
  for (const GuestSpec& spec : scenario.guests) {
    const auto g = static_cast<uint32_t>(guests_.size());
    guests_.emplace_back(spec, scenario.run.seed, static_cast<uint32_t>(cards_.size()));
    const Apcb apcb = filter_matrix(scenario.mdevs[spec.mdev], host);
    for (int adapter : apcb.adapters.ids())
      for (int domain : apcb.domains.ids()) {
        const auto q = static_cast<uint32_t>(queue_index_[adapter][domain]);
        queues_[q].owner = static_cast<int>(g);
        set_selectable(queues_[q], true);
        queues_[q].ready = true;
        learn_queue(guests_[g], q);
      }
  }
}

int DataPlane::queue_index(int adapter, int domain) const {
  if (adapter < 0 || adapter > kMaxApId || domain < 0 || domain > kMaxApId)
    return -1;
  return queue_index_[adapter][domain];
}

void DataPlane::set_windows(ReconfigWindows* windows) {
  windows_ = windows;
  attribution_ = std::make_unique<ImpactAttribution>(guests_.size(), warmup_, *windows);
}

void DataPlane::pair_with(const BaselineLatencies& baseline, std::vector<double> slow_threshold) {
  attribution_->pair_with(baseline, std::move(slow_threshold));
}

void DataPlane::touch(Request& request) {
  if (windows_ == nullptr || !acting_event_)
    return;
  if (const int e = acting_event_(); e >= 0)
    request.windows = windows_->with(request.windows, e);
}

void DataPlane::note_taken(int g, uint32_t q) {
  if (g < 0 || windows_ == nullptr || !acting_event_)
    return;
  const int e = acting_event_();
  auto& taken = guests_[static_cast<std::size_t>(g)].taken_by;
  if (e >= 0 && std::find(taken.begin(), taken.end(), std::make_pair(q, e)) == taken.end())
    taken.emplace_back(q, e);
}

SeriesRecorder::Levels DataPlane::levels(std::size_t g) const {
  const Guest& guest = guests_[g];
  SeriesRecorder::Levels out;
  out.in_flight = guest.in_flight;
  for (const CardView& view : guest.cards)
    for (uint32_t q : view.queues)
      if (queues_[q].selectable && queues_[q].ready && queues_[q].owner == static_cast<int>(g))
        ++out.usable_queues;
  return out;
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
  // The operation is drawn even while the guest is stopped, so the request streams stay aligned with a run
  // without the stop (common random numbers).
  const Operation op = guest.next_arrival->op ? *guest.next_arrival->op : guest.spec->ops.pick(guest.op_rng);
  const uint64_t index = guest.next_index++;
  schedule_next_arrival(g);
  if (!guest.running)
    return;
  const double now = scheduler_.now();
  series_.advance(now);
  if (in_window(now))
    ++guest.result.requests.offered;
  ++guest.in_flight;
  const RequestId id = requests_.acquire(Request{
      .index = index, .arrival = now, .guest = g, .windows = windows_ != nullptr ? windows_->at(now) : 0u, .op = op});
  peak_in_flight_ = std::max(peak_in_flight_, requests_.in_flight());
  if (requests_.in_flight() > in_flight_limit_)
    throw LimitError(overload_report());
  submit(id, -1, -1);
}

std::string DataPlane::overload_report() const {
  const auto longest = std::max_element(queues_.begin(), queues_.end(), [](const ApQueue& a, const ApQueue& b) {
    return a.requestq.size() < b.requestq.size();
  });
  const Card& card = cards_[longest->card];
  const std::string owner = longest->owner >= 0 ? "guest " + guests_[longest->owner].spec->name : "no guest";
  return std::to_string(requests_.in_flight()) + " requests in flight at " + units::format_duration(scheduler_.now()) +
         " (simulated), more than [limits] in_flight = " + std::to_string(in_flight_limit_) +
         ": the cards cannot keep up with the offered load. The longest backlog is on AP queue " +
         apqn_name(longest->adapter, longest->domain) + " of " + owner + " (card " + hex_id(card.adapter) + ", " +
         card.type->name + "), " + std::to_string(longest->requestq.size()) +
         " requests waiting. Lower the load or add cards (apqsim check estimates each card's load), or raise the "
         "limit to follow a longer transient (--set limits.in_flight=N; about 60 bytes per request)";
}

void DataPlane::submit(RequestId id, int avoid_card, int avoid_queue) {
  Request& request = requests_[id];
  Guest& guest = guests_[request.guest];
  auto choice = pick_queue(guest, request.op, avoid_card, avoid_queue);
  if (!choice && !request.rescanned) {
    // -ENODEV: zcrypt_process_rescan() runs a synchronous ap_bus_force_rescan() and, if the configuration changed,
    // one more round (zcrypt_rsa_modexpo and friends, recent zcrypt_api.c).
    request.rescanned = true;
    if (scan(request.guest))
      choice = pick_queue(guest, request.op, avoid_card, avoid_queue);
  }
  if (!choice) {
    // The request belongs to the operations that took the guest's queues.
    if (windows_ != nullptr)
      for (const auto& [q, e] : guest.taken_by)
        request.windows = windows_->with(request.windows, e);
    fail(id, &RequestCounts::failed_enodev); // zcrypt: no usable queue
    return;
  }
  const auto [view_index, q, weight] = *choice;
  CardView& view = guest.cards[view_index];
  // zcrypt charges `wgt` to the chosen card's and queue's loads while the request is out (zcrypt_pick_queue) and
  // takes it back after the reply (zcrypt_drop_queue).
  request.weight = weight;
  request.queue = q;
  request.view = view_index;
  view.load += request.weight;
  ++view.total_requests;
  ApQueue& queue = queues_[q];
  queue.load += request.weight;
  ++queue.total_requests;
  note_load_change(request.guest, view_index, q);
  queue.requestq.push_back(id);
  trace(request.attempts == 1 ? TraceKind::issue : TraceKind::retry, request);
  send_waiting(q);
}

void DataPlane::fail(RequestId id, uint64_t RequestCounts::*reason) {
  const Request& request = requests_[id];
  Guest& guest = guests_[request.guest];
  RequestCounts& counts = guest.result.requests;
  const double now = scheduler_.now();
  if (in_window(now)) {
    ++counts.failed;
    ++(counts.*reason);
  }
  series_.failed(request.guest, now);
  --guest.in_flight;
  if (attribution_) {
    using Outcome = ImpactAttribution::Outcome;
    const Outcome outcome = reason == &RequestCounts::failed_enodev ? Outcome::failed_enodev
                            : reason == &RequestCounts::failed_eio  ? Outcome::failed_eio
                                                                    : Outcome::failed_guest_stopped;
    attribution_->finish(request, outcome, 0);
  }
  trace(TraceKind::fail, request, -1, -1);
  requests_.release(id);
}

void DataPlane::send_waiting(uint32_t q) {
  ApQueue& queue = queues_[q];
  if (!queue.ready) {
    // The host reset the queue under the guest: its next NQAP there answers RESET_IN_PROGRESS (or finds interrupts
    // off), and the AP state machine goes through RESET_WAIT and AQIC again (ap_sm_write, ap_sm_reset_wait).
    if (queue.reset_unnoticed && !queue.requestq.empty() && queue.owner >= 0) {
      queue.reset_unnoticed = false;
      start_bringup(static_cast<uint32_t>(queue.owner), q, false);
    }
    return;
  }
  // A resetting queue answers NQAP with RESET_IN_PROGRESS: the guest keeps its requests until the reset ends.
  if (queue.resetting || !cards_[queue.card].online)
    return;
  const int depth = cards_[queue.card].type->queue_depth;
  bool sent = false;
  while (queue.in_card() < depth && !queue.requestq.empty()) {
    const RequestId id = queue.requestq.front();
    queue.requestq.pop_front();
    queue.at_card.push_back(id);
    sent = true;
    trace(TraceKind::send, requests_[id], queue.adapter, queue.domain);
  }
  if (sent && !queue.in_ring) {
    queue.in_ring = true;
    cards_[queue.card].ring.push_back(q);
  }
  if (sent)
    dispatch(queue.card);
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
    queue.in_service.push_back(id);

    // The service demand comes from the request's own stream: the same request needs the same work whatever
    // else happens in the run (common random numbers across strategies).
    const Request& request = requests_[id];
    CounterStream stream(guests_[request.guest].request_key, request.index);
    const double service = card.type->service[index_of(request.op)]->sample(stream);
    const double start = scheduler_.now();
    const double busy = std::min(start + service, horizon_) - std::max(start, warmup_);
    if (busy > 0)
      card.busy_seconds += busy;
    trace(TraceKind::start, request, queue.adapter, queue.domain);
    const uint32_t generation = request.generation;
    scheduler_.at(start + service, [this, c, id, generation] { on_service_done(c, id, generation); });
  }
}

void DataPlane::on_service_done(uint32_t c, RequestId id, uint32_t generation) {
  if (requests_[id].generation != generation)
    return; // discarded meanwhile; its engine was freed then
  Card& card = cards_[c];
  ++card.engines_free;
  if (in_window(scheduler_.now()))
    ++card.served;
  ApQueue& queue = queues_[requests_[id].queue];
  std::erase(queue.in_service, id);
  queue.replies.push_back(id);
  trace(TraceKind::done, requests_[id]);
  notice_reply(id);
  dispatch(c);
}

void DataPlane::notice_reply(RequestId id) {
  const Request& request = requests_[id];
  const uint32_t g = request.guest;
  Guest& guest = guests_[g];
  const CompletionSpec& completion = guest.spec->completion;
  if (completion.mode == CompletionSpec::Mode::interrupt) {
    if (completion.delay <= 0) {
      collect(id);
    } else {
      const uint32_t generation = request.generation;
      scheduler_.after(completion.delay, [this, id, generation] {
        if (requests_[id].generation == generation)
          collect(id);
      });
    }
    return;
  }
  // Polling: replies wait in the queue for the guest's next poll tick (a fixed grid with a per-guest phase).
  guest.replies_ready.emplace_back(id, request.generation);
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
  for (const auto& [id, generation] : guest.replies_ready)
    if (requests_[id].generation == generation)
      collect(id);
  guest.replies_ready.clear();
}

void DataPlane::collect(RequestId id) {
  const Request& request = requests_[id];
  Guest& guest = guests_[request.guest];
  const double now = scheduler_.now();
  const double latency = now - request.arrival;
  // One bucket computation (a log) for the run's histogram and the time series' window, of the same geometry.
  const std::size_t bucket = guest.result.latency.checked_bucket(latency);
  series_.completed(request.guest, now, latency, bucket);
  --guest.in_flight;
  if (in_window(now)) {
    ++guest.result.requests.completed;
    guest.result.latency.record_in(bucket, latency);
  }
  if (attribution_)
    attribution_->finish(request, ImpactAttribution::Outcome::completed, latency);
  if (latencies_out_ != nullptr)
    latencies_out_->record(request.guest, request.index, latency);
  trace(TraceKind::collect, request);
  release_loads(request);
  const uint32_t q = request.queue;
  std::erase(queues_[q].replies, id);
  requests_.release(id);
  send_waiting(q);
}

void DataPlane::release_loads(const Request& request) {
  guests_[request.guest].cards[request.view].load -= request.weight;
  queues_[request.queue].load -= request.weight;
  note_load_change(request.guest, request.view, request.queue);
}

// --- reconfiguration ------------------------------------------------------------------------------------------

std::vector<RequestId> DataPlane::discard_from_card(uint32_t q) {
  ApQueue& queue = queues_[q];
  Card& card = cards_[queue.card];
  // Oldest first: on an engine, then waiting for one, then served with the reply not yet collected. Replies are
  // older than what is on the engines, but the order only matters for a reset's re-send, where zcrypt re-queues
  // the pending list as it stands.
  std::vector<RequestId> taken;
  for (RequestId id : queue.replies)
    taken.push_back(id);
  for (RequestId id : queue.in_service) {
    taken.push_back(id);
    ++card.engines_free;
  }
  for (RequestId id : queue.at_card)
    taken.push_back(id);
  queue.replies.clear();
  queue.in_service.clear();
  queue.at_card.clear();
  remove_from_ring(q);
  for (RequestId id : taken) {
    ++requests_[id].generation; // its pending service end or collection is void
    requests_[id].marks |= ImpactAttribution::kLostInCard;
    touch(requests_[id]);
    ++events_.requests_lost;
    trace(TraceKind::discard, requests_[id], queue.adapter, queue.domain);
  }
  dispatch(queue.card); // freed engines serve other queues
  return taken;
}

void DataPlane::remove_from_ring(uint32_t q) {
  ApQueue& queue = queues_[q];
  if (!queue.in_ring)
    return;
  std::erase(cards_[queue.card].ring, q);
  queue.in_ring = false;
}

void DataPlane::unplug(uint32_t q) {
  ApQueue& queue = queues_[q];
  if (queue.owner < 0)
    return;
  const auto g = static_cast<uint32_t>(queue.owner);
  series_.advance(scheduler_.now());
  ++events_.unplugs;
  note_taken(queue.owner, q);
  queue.owner = -1;
  fail_queue(q);
  note_change(g, q);
}

void DataPlane::fail_queue(uint32_t q) {
  // The guest's next NQAP/DQAP on it fails: zcrypt marks the queue failed and sends nothing new there, but what
  // it had sent stays queued, waiting, until the bus scan removes the device (ap_queue_prepare_remove).
  ApQueue& queue = queues_[q];
  set_selectable(queue, false);
  queue.ready = false;
  queue.bringup = ApQueue::Bringup::none;
  queue.reset_unnoticed = false;
  for (RequestId id : discard_from_card(q))
    queue.hung.push_back(id);
  for (RequestId id : queue.requestq) {
    touch(requests_[id]);
    queue.hung.push_back(id);
  }
  queue.requestq.clear();
}

void DataPlane::plug(uint32_t g, uint32_t q) {
  ApQueue& queue = queues_[q];
  if (queue.owner == static_cast<int>(g))
    return;
  series_.advance(scheduler_.now());
  ++events_.plugs;
  queue.owner = static_cast<int>(g);
  set_selectable(queue, false); // not before the guest noticed it
  queue.ready = false;
  queue.bringup = ApQueue::Bringup::none;
  note_change(g, q);
}

void DataPlane::note_change(uint32_t g, uint32_t q) {
  Guest& guest = guests_[g];
  guest.changed_queues.push_back(q);
  if (guest.scan_armed)
    return;
  guest.scan_armed = true;
  // The guest notices at its next periodic bus scan (ap_config_time), unless the host signals the change and QEMU
  // forwards it (cfg_change_signalled).
  const double period = guest.spec->scan_interval;
  const double when = guest.scan_phase + (std::floor((scheduler_.now() - guest.scan_phase) / period) + 1) * period;
  scheduler_.at(when, [this, g] {
    guests_[g].scan_armed = false;
    scan(g);
  });
}

void DataPlane::cfg_change_signalled(uint32_t g) {
  if (guests_[g].spec->cfg_change_notify)
    scheduler_.at(scheduler_.now(), [this, g] { scan(g); });
}

void DataPlane::notice_now(uint32_t g) {
  scheduler_.at(scheduler_.now(), [this, g] { on_scan(g); });
}

bool DataPlane::scan(uint32_t g) {
  Guest& guest = guests_[g];
  series_.advance(scheduler_.now());
  std::vector<uint32_t> changed;
  changed.swap(guest.changed_queues);
  bool found = false;
  // A queue unplugged and plugged again since the last scan is listed twice; the scan looks at each device once.
  std::vector<uint32_t> seen;
  // zcrypt gets the queue's hung requests back with -EAGAIN (ap_flush_queue) and retries them elsewhere.
  auto flush_hung = [&](ApQueue& queue, uint32_t q) {
    std::vector<RequestId> hung;
    hung.swap(queue.hung);
    for (RequestId id : hung) {
      Request& request = requests_[id];
      release_loads(request);
      if (++request.attempts > kMaxAttempts) {
        fail(id, &RequestCounts::failed_eio);
        continue;
      }
      ++events_.requests_retried;
      request.marks |= ImpactAttribution::kRetried;
      submit(id, static_cast<int>(queue.card), static_cast<int>(q));
    }
  };
  for (uint32_t q : changed) {
    if (std::find(seen.begin(), seen.end(), q) != seen.end())
      continue;
    seen.push_back(q);
    ApQueue& queue = queues_[q];
    const int v = guest.view_of_card[queue.card];
    const bool known = v >= 0 && std::binary_search(guest.cards[static_cast<std::size_t>(v)].queues.begin(),
                                                    guest.cards[static_cast<std::size_t>(v)].queues.end(), q);
    if (queue.owner != static_cast<int>(g)) {
      if (!known)
        continue;
      // The device goes away: its requests are flushed and retried elsewhere.
      found = true;
      forget_queue(guest, q);
      flush_hung(queue, q);
    } else if (!known) {
      // A new device: cex4queue binds it, zcrypt may pick it at once (ap_queue_usable: it is OPERATING), and
      // ap_queue_init_state() starts its bring-up.
      found = true;
      learn_queue(guest, q);
      set_selectable(queue, true);
      start_bringup(g, q, true);
    } else if (!queue.selectable) {
      // Unplugged and plugged again between two scans: the device is still there, but its NQAP/DQAP failed
      // meanwhile (AP_DEV_STATE_ERROR). ap_scan_domains "handle other error states": flush its messages with
      // -EAGAIN, then ap_queue_init_state (RAPQ, RESET_WAIT, AQIC).
      found = true;
      set_selectable(queue, true);
      flush_hung(queue, q);
      start_bringup(g, q, true);
    }
  }
  return found;
}

void DataPlane::start_bringup(uint32_t g, uint32_t q, bool rapq) {
  ApQueue& queue = queues_[q];
  queue.ready = false;
  queue.bringup = ApQueue::Bringup::reset_wait;
  const uint32_t generation = ++queue.bringup_generation;
  // ap_sm_reset(): RAPQ, state RESET_WAIT, AP_SM_WAIT_LOW_TIMEOUT; a reset already under way answers
  // RESET_IN_PROGRESS, which RESET_WAIT waits out the same way.
  if (rapq && !queue.resetting)
    hw_reset(q, scheduler_.now() + reset_time_->sample(guests_[g].reset_rng));
  scheduler_.after(kPollLowTimeout, [this, g, q, generation] { on_bringup_poll(g, q, generation); });
}

void DataPlane::on_bringup_poll(uint32_t g, uint32_t q, uint32_t generation) {
  ApQueue& queue = queues_[q];
  if (queue.bringup_generation != generation || queue.owner != static_cast<int>(g) ||
      queue.bringup != ApQueue::Bringup::reset_wait)
    return; // unplugged, failed or restarted meanwhile
  // ap_sm_reset_wait(): TAPQ; RESET_IN_PROGRESS -> poll again after poll_low_timeout.
  if (queue.resetting || !cards_[queue.card].online) {
    scheduler_.after(kPollLowTimeout, [this, g, q, generation] { on_bringup_poll(g, q, generation); });
    return;
  }
  // NORMAL: a guest using interrupts enables them with PQAP(AQIC), which the host intercepts and handles under its
  // locks (ap_queue_enable_irq -> SETIRQ_WAIT, then IDLE once TAPQ shows them on). A polling guest is done.
  if (aqic_handler_ && guests_[g].spec->completion.mode == CompletionSpec::Mode::interrupt) {
    queue.bringup = ApQueue::Bringup::aqic;
    aqic_handler_(g, q);
  } else {
    queue.bringup = ApQueue::Bringup::aqic;
    queue_ready(g, q);
  }
}

void DataPlane::queue_ready(uint32_t g, uint32_t q) {
  ApQueue& queue = queues_[q];
  if (queue.owner != static_cast<int>(g) || queue.bringup != ApQueue::Bringup::aqic)
    return; // unplugged, failed or restarted meanwhile
  queue.bringup = ApQueue::Bringup::none;
  queue.ready = true;
  series_.advance(scheduler_.now());
  std::erase_if(guests_[g].taken_by, [q](const auto& taken) { return taken.first == q; });
  send_waiting(q);
}

void DataPlane::learn_queue(Guest& guest, uint32_t q) {
  const uint32_t c = queues_[q].card;
  if (guest.view_of_card[c] < 0) {
    guest.view_of_card[c] = static_cast<int>(guest.cards.size());
    CardView view;
    view.card = c;
    guest.cards.push_back(std::move(view));
  }
  const auto v = static_cast<uint32_t>(guest.view_of_card[c]);
  // zcrypt_card_register() adds a card at the tail of zcrypt_card_list when its first queue comes.
  if (guest.cards[v].queues.empty())
    guest.card_order.push_back(v);
  std::vector<uint32_t>& list = guest.cards[v].queues;
  list.insert(std::lower_bound(list.begin(), list.end(), q), q); // zcrypt's list order: by APQN
  ++guest.known_queues;
  if (++queues_[q].listeners == 2)
    ++shared_listings_;
  ++epoch_;
}

void DataPlane::forget_queue(Guest& guest, uint32_t q) {
  const int v = guest.view_of_card[queues_[q].card];
  if (v < 0)
    return;
  std::vector<uint32_t>& list = guest.cards[static_cast<std::size_t>(v)].queues;
  if (std::erase(list, q) == 0)
    return;
  --guest.known_queues;
  if (queues_[q].listeners-- == 2)
    --shared_listings_;
  if (list.empty()) // the card device goes with its last queue
    std::erase(guest.card_order, static_cast<uint32_t>(v));
  ++epoch_;
}

void DataPlane::hw_reset(uint32_t q, double until) {
  ApQueue& queue = queues_[q];
  queue.resetting = true;
  queue.reset_until = std::max(queue.reset_until, until);
  scheduler_.at(until, [this, q] {
    ApQueue& queue = queues_[q];
    if (scheduler_.now() < queue.reset_until)
      return; // a later reset overlapped this one
    queue.resetting = false;
    send_waiting(q);
  });
}

void DataPlane::reset_begin(uint32_t q, double until) {
  ApQueue& queue = queues_[q];
  ++events_.resets;
  for (RequestId id : queue.requestq)
    touch(requests_[id]); // held back until the reset ends
  hw_reset(q, until);
  // ap_sm_recv finds the queue empty while requests are pending and moves them back to the request queue:
  // they are sent again, in their order, ahead of newer ones, once the guest has seen the reset through.
  const std::vector<RequestId> taken = discard_from_card(q);
  if (queue.owner < 0) {
    queue.hung.insert(queue.hung.end(), taken.begin(), taken.end());
    return;
  }
  for (auto it = taken.rbegin(); it != taken.rend(); ++it) {
    queue.requestq.push_front(*it);
    requests_[*it].marks |= ImpactAttribution::kRetried;
    ++events_.requests_retried;
    trace(TraceKind::retry, requests_[*it], queue.adapter, queue.domain);
  }
  // The reset also disabled the queue's interrupts: the guest's state machine needs RESET_WAIT and AQIC again,
  // which it starts at its next AP instruction on the queue (at once if it has work there).
  if (queue.ready) {
    queue.ready = false;
    queue.reset_unnoticed = true;
    send_waiting(q);
  }
}

void DataPlane::card_offline(int adapter) {
  for (uint32_t c = 0; c < cards_.size(); ++c) {
    if (cards_[c].adapter != adapter || !cards_[c].online)
      continue;
    series_.advance(scheduler_.now());
    cards_[c].online = false;
    for (uint32_t q = 0; q < queues_.size(); ++q) {
      if (queues_[q].card != c)
        continue;
      note_taken(queues_[q].owner, q);
      fail_queue(q); // the guest's requests on the card hang like an unplug's, until its scan removes the devices
    }
  }
}

void DataPlane::card_online(int adapter) {
  for (uint32_t c = 0; c < cards_.size(); ++c) {
    if (cards_[c].adapter != adapter || cards_[c].online)
      continue;
    cards_[c].online = true;
    // A guest whose APCB kept the card (vfio_ap does not push an APCB that lost its last adapter) still has its
    // queue devices, in the error state since their NQAP failed. Its next bus scan finds them answering again and
    // re-initializes them (ap_scan_domains, "handle other error states": ap_queue_init_state).
    for (uint32_t q = 0; q < queues_.size(); ++q)
      if (queues_[q].card == c && queues_[q].owner >= 0 && !queues_[q].selectable)
        note_change(static_cast<uint32_t>(queues_[q].owner), q);
  }
}

void DataPlane::set_guest_running(uint32_t g, bool running) {
  Guest& guest = guests_[g];
  series_.advance(scheduler_.now());
  guest.running = running;
  if (running)
    return;
  // The VM is gone: whatever it had in flight is lost with it, what its queues hold in the cards included (nobody
  // will collect those replies; the host resets the queues when QEMU closes the device).
  for (uint32_t q = 0; q < queues_.size(); ++q) {
    ApQueue& queue = queues_[q];
    if (queue.owner == static_cast<int>(g)) {
      const std::vector<RequestId> taken = discard_from_card(q);
      queue.hung.insert(queue.hung.end(), taken.begin(), taken.end());
    }
    auto drop = [&](RequestId id) {
      if (requests_[id].guest == g) {
        touch(requests_[id]);
        release_loads(requests_[id]);
        fail(id, &RequestCounts::failed_guest_stopped);
        return true;
      }
      return false;
    };
    queue.requestq.erase_if(drop);
    std::erase_if(queue.hung, drop);
  }
}

// --- results --------------------------------------------------------------------------------------------------

std::vector<GuestResult> DataPlane::guest_results() const {
  std::vector<GuestResult> out;
  for (const Guest& guest : guests_)
    out.push_back(guest.result);
  return out;
}

TimeSeries DataPlane::finish_series() {
  return series_.finish();
}

ReconfigImpact DataPlane::finish_impact() {
  requests_.for_each_in_flight(
      [this](const Request& request) { attribution_->finish(request, ImpactAttribution::Outcome::unfinished, 0); });
  return attribution_->result(horizon_);
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
