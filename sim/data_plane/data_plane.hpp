#pragma once
// Guests issue requests, zcrypt picks a queue, cards serve them, guests collect the replies: all as events on the
// EventScheduler. The control plane changes the picture while requests are in flight: queues are unplugged from
// and plugged into guests, reset, and cards go offline. The guest side follows zcrypt and the AP bus as the kernel
// runs them (models/README.md, "Guest side").

#include "analysis/reconfig_windows.hpp"
#include "analysis/run_result.hpp"
#include "analysis/time_series.hpp"
#include "models/random.hpp"
#include "sim/data_plane/attribution.hpp"
#include "sim/data_plane/hardware.hpp"
#include "sim/data_plane/request.hpp"
#include "sim/data_plane/trace.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/scenario/scenario.hpp"

#include <array>
#include <functional>
#include <limits>
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
  /** Requests are attributed to the reconfiguration events of `windows` (sim/data_plane/attribution.hpp). */
  void set_windows(ReconfigWindows* windows);
  /** Tells which event is acting when the control plane changes the data path (-1: none): the requests it touches
   * belong to that event. */
  void set_acting_event(std::function<int()> acting_event) { acting_event_ = std::move(acting_event); }
  /** Pairs every request with its latency in the baseline (same requests), counting those over `slow_threshold`. */
  void pair_with(const BaselineLatencies& baseline, std::vector<double> slow_threshold);
  /** The baseline run: records every request's latency for a reconfigured run to pair with. */
  void record_latencies(BaselineLatencies* out) { latencies_out_ = out; }

  // --- what the control plane does to the data path -----------------------------------------------------------

  /** The index of queue (adapter, domain), or -1 when no such queue exists. */
  int queue_index(int adapter, int domain) const;
  const ApQueue& queue(uint32_t index) const { return queues_[index]; }
  /** The guest boots: it scans its AP bus at once. */
  void notice_now(uint32_t guest);

  /** Hot unplug: the queue leaves its guest's APCB. The card discards what it holds for the queue (ZAPQ follows);
   * the guest's requests on it hang until the guest notices (its next AP bus scan, or at once with
   * cfg_change_notify), then zcrypt retries them elsewhere with its penalties. */
  void unplug(uint32_t queue);
  /** Hot plug: the queue enters `guest`'s APCB. The guest picks it once it noticed it (its next AP bus scan), and
   * sends on it once its bring-up is done: RAPQ, RESET_WAIT polled every 40 ms, then PQAP(AQIC) through the host
   * (the AQIC handler, see below; a polling guest issues no AQIC). */
  void plug(uint32_t guest, uint32_t queue);
  /** Called when a guest's bring-up of a queue reaches PQAP(AQIC): the host handles the intercept, then calls
   *  queue_ready. */
  void set_aqic_handler(std::function<void(uint32_t guest, uint32_t queue)> handler) {
    aqic_handler_ = std::move(handler);
  }
  void queue_ready(uint32_t guest, uint32_t queue);
  /** ZAPQ while the queue may stay plugged, the hardware done at `until`: what is in the card is discarded and sent
   *  again once the guest has seen the reset through (RESET_WAIT, AQIC). */
  void reset_begin(uint32_t queue, double until);
  /** Linux 6.15+ signalled the guest's config-change eventfd: with QEMU forwarding it (cfg_change_notify) the
   *  guest rescans its AP bus at once (ap_bus_cfg_chg). */
  void cfg_change_signalled(uint32_t guest);
  /** The card stops: everything in it is discarded, its queues fail in the guests until the guests notice. */
  void card_offline(int adapter);
  void card_online(int adapter);
  /** A stopped guest issues nothing; what it had in flight dies with it. */
  void set_guest_running(uint32_t guest, bool running);

  // --- results ------------------------------------------------------------------------------------------------

  std::vector<GuestResult> guest_results() const;
  /** The time series up to the horizon; call once, at the end. */
  TimeSeries finish_series();
  /** Requests attributed to each reconfiguration event (requests still in flight count as unfinished); call once,
   * at the end, and only after set_windows. */
  ReconfigImpact finish_impact();
  std::vector<CardResult> card_results() const;
  const DataPlaneEvents& events() const { return events_; }
  std::size_t peak_in_flight() const { return peak_in_flight_; }
  /** Tests: every pick by the kernel's full pass (the selection index must give the same answers). */
  void set_indexed_picks(bool on) { indexed_picks_ = on; }

private:
  /** What zcrypt compares, lexicographically: a load, then the total_requests count that breaks ties. */
  struct LoadKey {
    double load;
    uint64_t total;
    bool operator<(const LoadKey& other) const {
      return load < other.load || (load == other.load && total < other.total);
    }
  };
  static constexpr LoadKey kNoKey{std::numeric_limits<double>::infinity(), std::numeric_limits<uint64_t>::max()};
  /** A node of a card view's queue tournament: the position in the view's queue list (kNoQueue: none) and its key. */
  struct QueueNode {
    LoadKey key = kNoKey;
    uint32_t position = std::numeric_limits<uint32_t>::max();
  };

  /** A card as one guest sees it: zcrypt balances on this guest's own load only. */
  struct CardView {
    uint32_t card = 0;
    double load = 0;
    uint64_t total_requests = 0;
    std::vector<uint32_t> queues; ///< queues the guest knows on this card
    /** The selection index (see pick_indexed): a tournament over `queues` whose nodes hold their range's first
     *  selectable queue of least (load, total_requests), with that key; leaves from index `size/2`. */
    std::vector<QueueNode> best;
    uint32_t order = 0; ///< position in the guest's card_order
  };

  /** A node of a guest's card tournament: over its range of card_order, the least key of a card (its load) and the
   *  least key of a card's best queue, taken separately; a card without a selectable queue counts as infinite. */
  struct CardNode {
    LoadKey card;
    LoadKey queue;
  };

  /** What zcrypt's pick leaves: the card (as the guest sees it), the queue, and the weight charged to both loads. */
  struct Pick {
    uint32_t view = 0;
    uint32_t queue = 0;
    double weight = 0;
  };

  struct Guest {
    Guest(const GuestSpec& guest_spec, uint64_t seed, uint32_t card_count);
    const GuestSpec* spec;
    std::unique_ptr<ArrivalProcess> arrivals;
    NamedStream arrival_rng;
    LazyStream op_rng;        ///< drawn only by a mix of several operations
    uint64_t request_key = 0; ///< with the request index, names the request's own stream
    uint64_t next_index = 0;
    std::optional<Arrival> next_arrival;
    bool running = true;
    LazyStream reset_rng; ///< how long its RAPQs take
    std::vector<CardView> cards;
    std::vector<int> view_of_card;    ///< card index -> index in `cards`, -1 none
    std::vector<uint32_t> card_order; ///< zcrypt_card_list: cards with a known queue, in registration order
    double poll_phase = 0;
    bool poll_armed = false;
    std::vector<std::pair<RequestId, uint32_t>> replies_ready; ///< polling: (request, generation) for the tick
    double scan_phase = 0;
    bool scan_armed = false;
    std::vector<uint32_t> changed_queues; ///< plugged or unplugged since the guest last looked
    uint64_t in_flight = 0;               ///< issued, not yet collected or failed
    /** Queues an event made unusable for this guest, until they are usable again: an -ENODEV belongs to those. */
    std::vector<std::pair<uint32_t, int>> taken_by;
    std::vector<CardNode> card_tree;     ///< the card tournament over card_order, leaves from index `size/2`
    uint64_t index_epoch = ~uint64_t{0}; ///< the selection index is current while this equals epoch_
    uint32_t known_queues = 0;           ///< in all its card views
    std::array<double, kOperationCount> uniform_weight{}; ///< the rating every card gives op, 0 if they differ
    GuestResult result;
  };

  void on_arrival(uint32_t guest);
  void schedule_next_arrival(uint32_t guest);
  /** zcrypt_rsa_modexpo() and friends: the queue zcrypt's pass over the cards and their queues picks. */
  std::optional<Pick> pick_queue(Guest& guest, Operation op, int avoid_card, int avoid_queue);
  /** The pass itself, as the kernel runs it: each card and queue compared (weight, penalties and load) against the
   *  best so far; a retry penalizes the card (+1000) and the queue (+10000) it failed on. */
  std::optional<Pick> pick_by_scan(const Guest& guest, Operation op, int avoid_card, int avoid_queue) const;
  /** The same answer from the guest's selection index, without looking at every card and queue: for a first attempt
   *  (no penalties) on cards that all give the operation the same rating (sim/data_plane/queue_pick.cpp). */
  std::optional<Pick> pick_indexed(Guest& guest, Operation op);
  void rebuild_index(Guest& guest);
  /** Queue q of the guest's view v changed load or count: its leaves and their ancestors follow. */
  void update_index(uint32_t guest, uint32_t view, uint32_t queue);
  void note_load_change(uint32_t guest, uint32_t view, uint32_t queue) {
    if (index_current(guests_[guest]))
      update_index(guest, view, queue);
  }
  void update_card_leaf(Guest& guest, uint32_t view);
  /** The view's tournament leaf for its queue at `position`. */
  QueueNode queue_leaf(const CardView& view, uint32_t position) const;
  /** Recomputes the view's tournament node from its two children; returns whether it changed. */
  bool update_view_node(CardView& view, std::size_t node) const;
  /** Whether the guest's selection index may be used (and must be kept). */
  bool index_current(const Guest& guest) const { return guest.index_epoch == epoch_ && shared_listings_ == 0; }
  /** Which queues a guest may pick, or which it knows, changed: every selection index is rebuilt before use. */
  void set_selectable(ApQueue& queue, bool selectable) {
    queue.selectable = selectable;
    ++epoch_;
  }
  /** Gives a request to zcrypt: picks a queue and queues it there, or fails it. */
  void submit(RequestId id, int avoid_card, int avoid_queue);
  void fail(RequestId id, uint64_t RequestCounts::*reason);
  void send_waiting(uint32_t queue);
  void dispatch(uint32_t card);
  void on_service_done(uint32_t card, RequestId id, uint32_t generation);
  void notice_reply(RequestId id);
  void on_poll_tick(uint32_t guest);
  void collect(RequestId id);
  /** Takes back from the card every request of the queue (ZAPQ): engines freed, replies dropped, in order. */
  std::vector<RequestId> discard_from_card(uint32_t queue);
  void remove_from_ring(uint32_t queue);
  /** The queue fails in its guest: what the card held is discarded, and with the guest-side backlog hangs. */
  void fail_queue(uint32_t queue);
  void note_change(uint32_t guest, uint32_t queue);
  void on_scan(uint32_t guest) { scan(guest); }
  /** The guest's AP bus scan; returns whether it found queues gone or new. */
  bool scan(uint32_t guest);
  /** The guest (re)initializes the queue: RAPQ (`rapq`) or a reset already under way, RESET_WAIT, then AQIC. */
  void start_bringup(uint32_t guest, uint32_t queue, bool rapq);
  void on_bringup_poll(uint32_t guest, uint32_t queue, uint32_t generation);
  /** A reset of the queue starts now and completes at `until` (the later of two that overlap). */
  void hw_reset(uint32_t queue, double until);
  void forget_queue(Guest& guest, uint32_t queue);
  void learn_queue(Guest& guest, uint32_t queue);
  void release_loads(const Request& request);
  /** The acting event (if any) touched the request: it now belongs to it. */
  void touch(Request& request);
  /** The acting event (if any) made queue q unusable for guest g. */
  void note_taken(int guest, uint32_t queue);
  SeriesRecorder::Levels levels(std::size_t guest) const;
  /** What saturated when the requests in flight passed [limits] in_flight: the longest backlog, its card, its guest. */
  std::string overload_report() const;
  bool in_window(double t) const { return t >= warmup_; }
  void trace(TraceKind kind, const Request& request, int adapter, int domain) const {
    if (trace_)
      trace_(TraceEvent{scheduler_.now(), kind, request.guest, request.index, adapter, domain});
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
  std::vector<std::vector<int>> queue_index_; ///< [adapter][domain] -> queue, -1 none
  std::vector<Guest> guests_;
  uint64_t epoch_ = 0;           ///< bumped when selectable queues or the queues guests know change
  uint32_t shared_listings_ = 0; ///< queues known to more than one guest (mid-reconfiguration): scans only
  bool integral_weights_ = true; ///< every rating is a whole number, so loads add up exactly (pick_indexed)
  bool indexed_picks_ = true;
  RequestPool requests_;
  std::size_t peak_in_flight_ = 0;
  std::size_t in_flight_limit_; ///< [limits] in_flight: an overloaded run stops there instead of eating the memory
  DataPlaneEvents events_;
  TraceSink trace_;
  std::function<void(uint32_t, uint32_t)> aqic_handler_;
  DistributionPtr reset_time_; ///< how long the hardware takes to reset a queue
  ReconfigWindows* windows_ = nullptr;
  std::function<int()> acting_event_;
  std::unique_ptr<ImpactAttribution> attribution_;
  BaselineLatencies* latencies_out_ = nullptr;
  SeriesRecorder series_;
};

} // namespace apq
