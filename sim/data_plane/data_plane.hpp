#pragma once
// Guests issue requests, zcrypt picks a queue, cards serve them, guests collect the replies: all as events on the
// EventScheduler. Queues can gain or lose an owner while requests are in flight (the control plane's hot plug).

#include "analysis/run_result.hpp"
#include "models/random.hpp"
#include "sim/data_plane/hardware.hpp"
#include "sim/data_plane/request.hpp"
#include "sim/data_plane/trace.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/scenario/scenario.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace apq {

class DataPlane {
public:
  DataPlane(const Scenario& scenario, EventScheduler& scheduler);

  /** Schedules every guest's first arrival. */
  void start();
  /** Reports every request event to `sink` (tests, --trace). */
  void set_trace(TraceSink sink) { trace_ = std::move(sink); }

  /** The guest's measured figures so far (counts and latencies inside the window). */
  std::vector<GuestResult> guest_results() const;
  std::vector<CardResult> card_results() const;
  std::size_t peak_in_flight() const { return peak_in_flight_; }

private:
  /** A card as one guest sees it: zcrypt balances on this guest's own load only. */
  struct CardView {
    uint32_t card = 0;
    double load = 0;
    uint64_t total_requests = 0;
    std::vector<uint32_t> queues;
  };

  struct Guest {
    Guest(const GuestSpec& guest_spec, uint64_t seed);
    const GuestSpec* spec;
    std::unique_ptr<ArrivalProcess> arrivals;
    NamedStream arrival_rng;
    NamedStream op_rng;
    uint64_t request_key = 0; ///< with the request index, names the request's own stream
    uint64_t next_index = 0;
    std::optional<Arrival> next_arrival;
    std::vector<CardView> cards;
    double poll_phase = 0;
    bool poll_armed = false;
    std::vector<RequestId> replies_ready; ///< polling: replies the next tick will collect
    GuestResult result;
  };

  void on_arrival(uint32_t guest);
  void schedule_next_arrival(uint32_t guest);
  /** zcrypt_pick_queue: lowest weight + load, card first then queue, ties to the lower request count. */
  std::optional<std::pair<uint32_t, uint32_t>> pick_queue(const Guest& guest, Operation op) const;
  void send_waiting(uint32_t queue);
  void dispatch(uint32_t card);
  void on_service_done(uint32_t card, RequestId id);
  void notice_reply(RequestId id);
  void on_poll_tick(uint32_t guest);
  void collect(RequestId id);
  bool in_window(double t) const { return t >= warmup_; }
  void trace(TraceKind kind, const Request& request, int adapter, int domain) const {
    if (trace_) trace_(TraceEvent{scheduler_.now(), kind, request.guest, request.index, adapter, domain});
  }
  void trace(TraceKind kind, const Request& request) const {
    const ApQueue& queue = queues_[request.queue];
    trace(kind, request, queue.adapter, queue.domain);
  }

  EventScheduler& scheduler_;
  double warmup_;
  double horizon_;
  std::vector<Card> cards_;
  std::vector<ApQueue> queues_;
  std::vector<Guest> guests_;
  RequestPool requests_;
  std::size_t peak_in_flight_ = 0;
  TraceSink trace_;
};

} // namespace apq
