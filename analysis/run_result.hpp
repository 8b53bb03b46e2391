#pragma once
// What one simulation run measured, as plain data: the simulator fills it, report.hpp writes it out.

#include "analysis/latency_histogram.hpp"
#include "analysis/reconfig_windows.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace apq {

/** Where a result came from: enough to reproduce it. */
struct Manifest {
  std::string version;
  std::string git_commit;
  std::string simgrid_version;
  std::string config_file;
  std::string config_sha256;
  std::string resolved_config_json; ///< the merged configuration, as a JSON document
  uint64_t seed = 0;
};

struct RequestCounts {
  uint64_t offered = 0;              ///< issued inside the window
  uint64_t completed = 0;            ///< collected by the guest inside the window
  uint64_t failed = 0;               ///< given up inside the window: failed_enodev + failed_eio + failed_guest_stopped
  uint64_t failed_enodev = 0;        ///< no usable queue left (zcrypt -ENODEV)
  uint64_t failed_eio = 0;           ///< retried 10 times (zcrypt's TRACK_AGAIN_MAX), then -EIO
  uint64_t failed_guest_stopped = 0; ///< in flight when the guest stopped
};

struct GuestResult {
  std::string name;
  RequestCounts requests;
  LatencyHistogram latency; ///< arrival to reply collected, for requests collected inside the window
};

/** What reconfiguration did to the data path (all zero without a control plane). */
struct DataPlaneEvents {
  uint64_t unplugs = 0;          ///< queues that left a guest's APCB
  uint64_t plugs = 0;            ///< queues that entered a guest's APCB
  uint64_t resets = 0;           ///< queue resets (ZAPQ) while requests could be in flight
  uint64_t requests_lost = 0;    ///< requests whose work in the card was discarded (unplug, reset, card offline)
  uint64_t requests_retried = 0; ///< requests sent again: elsewhere after an unplug, on the same queue after a reset
};

struct CardResult {
  int adapter = 0;
  std::string type;
  int engines = 0;
  uint64_t served = 0;
  double utilization = 0; ///< busy engine time / (engines x window)
};

/** One kind of control-plane operation: every invocation, by an admin, the bus or a vCPU. */
struct OpFigures {
  uint64_t attempts = 0; ///< invocations
  uint64_t successes = 0;
  uint64_t ebusy = 0;                     ///< invocations that returned -EBUSY
  uint64_t ebusy_reserving = 0;           ///< mask stores: -EBUSY of a store that reserves new ids
  uint64_t ebusy_giving_back = 0;         ///< mask stores: -EBUSY of a store that only gives ids back
  uint64_t retries = 0;                   ///< invocations that were an admin's retry after a failure
  std::map<std::string, uint64_t> errors; ///< errno name -> invocations that returned it (EBUSY included)
  LatencyHistogram latency;               ///< duration of one invocation
  LatencyHistogram completion;            ///< admin operations: first attempt to final outcome, retries included
};

struct LockFigures {
  uint64_t acquisitions = 0;
  uint64_t contentions = 0;
  uint64_t trylock_failures = 0;
  LatencyHistogram wait;
  LatencyHistogram hold;
};

/** A scripted reconfiguration and what became of it. */
struct TimelineOutcome {
  std::string name;
  std::string op;
  std::string target;
  double start = 0;
  double end = 0; ///< when it returned; the horizon if it never did
  bool finished = false;
  std::string result; ///< "ok" or the errno name; "hung" if it never returned
  int attempts = 0;
};

struct DeadlockReport {
  struct Member {
    std::string actor, op, holds, wants;
  };
  double time = 0;
  std::vector<Member> cycle;
};

struct InversionReport {
  double time = 0;
  std::vector<std::string> cycle; ///< lock classes, e.g. matrix -> ap_perms -> matrix
  std::string established_by;
  std::string inverted_by;
};

/** The AP bus gave a queue to host drivers while it was assigned to an mdev (Halil Pasic's v12 review). */
struct StolenQueueReport {
  double time = 0;
  std::string queue; ///< "01.0005"
  std::string mdev;
  std::string guest;       ///< attached guest, or empty
  std::string assigned_by; ///< the operation that assigned it
  double assigned_at = 0;
  std::string taken_by; ///< the mask store that committed the new mask
};

/** A kernel bug the model reached (the 6.1/6.13 NULL kvm->lock dereference): the task died there, holding its
 *  locks. */
struct KernelBugReport {
  double time = 0;
  std::string actor;
  std::string op;
  std::string where; ///< the strategy step, "file:line:col"
  std::string what;
};

/** A run that followed a forced order ([replay], written by `apqsim explore --emit`) and whether it reproduced the
 *  outcome explore found. */
struct ReplayReport {
  bool present = false;
  std::string explored;     ///< the explore scenario the schedule comes from
  std::size_t points = 0;   ///< points in the schedule
  std::size_t followed = 0; ///< points the run went through in the schedule's order
  std::string divergence;   ///< "" or where the run went differently
  std::string expected;     ///< the outcome explore found (headline)
  std::string reached;      ///< the outcome the run ended in (headline)
  bool reproduced = false;  ///< every point followed and the same outcome class
};

/** The control plane's state when the run ended: what a kernel developer checks after a race. */
struct ControlFinalState {
  std::string apmask, aqmask;                  ///< ap_perms, compact ("0x01,0x05")
  std::map<std::string, std::string> drivers;  ///< APQN -> "vfio_ap", "cex4queue", "none" or "absent" (no device)
  std::map<std::string, std::string> assigned; ///< mdev -> its matrix, "adapters x domains" ("removed" if gone)
  std::map<std::string, std::string> plugged;  ///< guest -> what its CRYCB gives it, "adapters x domains"
};

struct ControlResult {
  bool enabled = false;
  std::string strategy;
  std::string strategy_file;
  std::map<std::string, OpFigures> ops;
  std::map<std::string, LockFigures> locks;
  std::vector<TimelineOutcome> timeline;
  std::vector<DeadlockReport> deadlocks;
  std::vector<InversionReport> inversions;
  std::vector<StolenQueueReport> stolen_queues;
  std::vector<std::string> hung; ///< actors still blocked at the end, by label
  std::vector<KernelBugReport> kernel_bugs;
  uint64_t kernel_warnings = 0; ///< WARN conditions the kernel code reached (e.g. a reset it could not verify)
  ControlFinalState final_state;
  ReplayReport replay;
};

/** The figures of a latency distribution, for what crosses a process boundary as numbers. */
struct LatencySummary {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0, min = 0;
  static LatencySummary of(const LatencyHistogram& histogram);
};

/** Points (latency, fraction of requests slower) of a latency distribution's tail: what a CCDF plot draws. */
struct LatencyCcdf {
  std::vector<double> latency;
  std::vector<double> exceeding;
};

/** Columns of a time series in fixed windows of the run (warm-up included), for one guest or all of them. */
struct SeriesColumns {
  std::vector<uint64_t> completed;     ///< requests collected in the window
  std::vector<uint64_t> failed;        ///< requests given up in the window
  std::vector<double> mean_latency;    ///< of the requests collected in the window; NaN when there is none
  std::vector<double> p50_latency;     ///< NaN when none
  std::vector<double> p99_latency;     ///< NaN when none
  std::vector<uint32_t> usable_queues; ///< queues the guest's zcrypt may send on, at the window's end
  std::vector<uint64_t> in_flight;     ///< requests issued and not yet collected or failed, at the window's end
};

struct TimeSeries {
  double window = 0;               ///< seconds per window; 0: no series
  std::vector<std::string> guests; ///< names, in scenario order
  std::vector<SeriesColumns> per_guest;
  SeriesColumns all;
};

/** Requests that belong to reconfiguration: to one event (issued inside its window, or touched by the operation:
 * hung, discarded in the card, reset, retried, failed for want of the queues it took), or to any event. */
struct ImpactFigures {
  uint64_t offered = 0;   ///< requests that belong (issued after the warm-up)
  uint64_t completed = 0; ///< ... and were collected, whenever
  uint64_t failed_enodev = 0;
  uint64_t failed_eio = 0;
  uint64_t failed_guest_stopped = 0;
  uint64_t unfinished = 0;    ///< still in flight at the horizon
  uint64_t retried = 0;       ///< requests sent again at least once (after an unplug, a reset, a card going offline)
  uint64_t lost_in_card = 0;  ///< requests whose work in the card was discarded at least once
  uint64_t paired = 0;        ///< completed here and in the baseline: what extra delay compares
  double extra_delay = 0;     ///< sum over paired requests of latency - baseline latency, in request-seconds
  uint64_t slow = 0;          ///< paired requests slower than their guest's threshold
  uint64_t baseline_slow = 0; ///< the same requests, in the baseline, slower than it

  uint64_t failed() const { return failed_enodev + failed_eio + failed_guest_stopped; }
  void add(const ImpactFigures& other);
};

/** One reconfiguration operation and what it did to the guests. */
struct EventImpact {
  WindowEvent event;
  double window_end = 0;             ///< end of its window: the operation's end plus window_after, at most the horizon
  std::vector<ImpactFigures> guests; ///< in scenario order
  ImpactFigures all;
  /** Per guest: seconds from the operation's end until the guest's time series is back to the baseline's
   * (analysis/recovery.hpp); 0 if it never left it; NaN if not back by the horizon or there is no baseline. */
  std::vector<double> time_to_recover;
};

struct ReconfigImpact {
  bool enabled = false;
  bool paired = false; ///< a baseline was run: extra delay, slow requests and recovery are known
  double window_after = 0;
  std::vector<double> slow_threshold; ///< per guest, seconds
  std::string slow_threshold_source;  ///< where the thresholds come from
  std::vector<EventImpact> events;
  std::vector<ImpactFigures> guests; ///< requests that belong to at least one event
  ImpactFigures all;
  std::vector<ImpactFigures> whole_run;           ///< per guest, every measured request, paired with the baseline
  std::vector<LatencyHistogram> latency;          ///< per guest, requests that belong and completed
  std::vector<LatencyHistogram> baseline_latency; ///< per guest, the same requests (paired) in the baseline
};

/** The same scenario without reconfiguration (same seeds: the same requests), to measure against. */
struct BaselineFigures {
  bool present = false;
  RequestCounts requests;
  double throughput_per_s = 0;
  LatencySummary latency;
  std::vector<RequestCounts> guests;         ///< per guest, scenario order
  std::vector<LatencySummary> guest_latency; ///< per guest
  TimeSeries series;
  LatencyCcdf latency_ccdf;
};

struct RunResult {
  Manifest manifest;
  double horizon = 0;
  double warmup = 0;
  uint64_t events = 0;
  std::size_t peak_requests_in_flight = 0;
  std::vector<GuestResult> guests;
  std::vector<CardResult> cards;
  DataPlaneEvents data;
  ControlResult control;
  ReconfigImpact impact;
  BaselineFigures baseline;
  TimeSeries series;

  double window() const { return horizon - warmup; }
  /** The violations monitors found, by name (deadlock, lock_order_inversion, stolen_queue, kernel_bug), each
   *  once. */
  std::vector<std::string> violations() const;
};

} // namespace apq
