#pragma once
// Which requests a reconfiguration hurt, and by how much against the same requests without it.
//
// A request belongs to an event when it was issued inside the event's window or the operation touched it: hung on
// a queue it unplugged or took offline, discarded in the card, reset, retried, stopped with its guest, or failed
// with -ENODEV because the operation took the queues its guest needed. It belongs wherever and whenever it ends.
// Its figures (offered, completed, failed by errno, retried, lost in the card, unfinished) add to every event it
// belongs to. Against the baseline (the same scenario without reconfiguration: by common random numbers the very
// same requests, named by (guest, request index)) each completed request is paired with its own baseline latency:
// the difference summed is the extra delay in request-seconds, and both latencies are compared with a threshold.
//
// Requests are counted by arrival: those issued after the warm-up, as the rest of the results.

#include "analysis/reconfig_windows.hpp"
#include "analysis/run_result.hpp"
#include "sim/data_plane/request.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apq {

/** Every request's latency in a baseline run, by guest and request index: NaN when it did not complete. Four bytes
 * per request issued (a 60 s run at 25k/s: 6 MB). */
struct BaselineLatencies {
  std::vector<std::vector<float>> guests;

  /** NaN when unknown (not issued, not completed). */
  float at(uint32_t guest, uint64_t index) const;
  void record(uint32_t guest, uint64_t index, double latency);
};

/** A baseline run as the reconfigured run needs it: its figures (for the loss, thresholds and recovery) and its
 * per-request latencies (for pairing). Crosses a process boundary as encode()'s bytes. */
struct BaselineRun {
  std::string result_json; ///< to_json() of the baseline run
  BaselineLatencies latencies;

  std::string encode() const;
  /** @throw std::runtime_error if the bytes are not an encoded BaselineRun */
  static BaselineRun decode(std::string_view bytes);
};

class ImpactAttribution {
public:
  ImpactAttribution(std::size_t guests, double warmup, ReconfigWindows& windows);

  /** Pairs requests with `baseline` and counts those slower than `slow_threshold` (per guest, seconds). */
  void pair_with(const BaselineLatencies& baseline, std::vector<double> slow_threshold);

  /** Request marks, set by the data plane. */
  static constexpr uint8_t kLostInCard = 1;
  static constexpr uint8_t kRetried = 2;

  enum class Outcome { completed, failed_enodev, failed_eio, failed_guest_stopped, unfinished };
  /** The request ended (or the run did): its figures go to the events it belongs to. */
  void finish(const Request& request, Outcome outcome, double latency);

  /** Per-event and overall figures; time_to_recover is left for the caller (it needs both series). */
  ReconfigImpact result(double horizon) const;

private:
  ImpactFigures& figures(ReconfigWindows::SetId set, uint32_t guest);

  std::size_t guest_count_;
  double warmup_;
  ReconfigWindows& windows_;
  const BaselineLatencies* baseline_ = nullptr;
  std::vector<double> slow_threshold_;
  std::vector<std::vector<ImpactFigures>> by_set_; ///< [set][guest]
  std::vector<ImpactFigures> whole_run_;
  std::vector<LatencyHistogram> latency_, baseline_latency_;
};

} // namespace apq
