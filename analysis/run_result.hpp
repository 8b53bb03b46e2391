#pragma once
// What one simulation run measured, as plain data: the simulator fills it, report.hpp writes it out.

#include "analysis/latency_histogram.hpp"

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
};

/** Requests collected during reconfiguration: from an admin operation's start to its end plus a settling time. */
struct WindowFigures {
  std::vector<std::pair<double, double>> intervals; ///< merged, in time order
  uint64_t completed = 0;
  LatencyHistogram latency;
  double seconds() const;
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

/** The same scenario without reconfiguration (same seeds: the same requests), to measure the loss against. */
struct BaselineFigures {
  bool present = false;
  RequestCounts requests;
  double throughput_per_s = 0;
  LatencySummary latency;
  uint64_t window_completed = 0; ///< in the reconfigured run's windows
  LatencySummary window_latency;
  LatencyCcdf latency_ccdf, window_latency_ccdf;
};

/** Completions and their mean latency in fixed windows of the run, warm-up included: what MSER-5 reads. */
struct TimeSeries {
  double window = 0;
  std::vector<uint64_t> completed;
  std::vector<double> latency_sum;
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
  WindowFigures windows;
  BaselineFigures baseline;
  TimeSeries series;

  double window() const { return horizon - warmup; }
  /** The violations monitors found, by name (deadlock, lock_order_inversion, stolen_queue), each once. */
  std::vector<std::string> violations() const;
};

} // namespace apq
