#pragma once
// What one simulation run measured, as plain data: the simulator fills it, report.hpp writes it out.

#include "analysis/latency_histogram.hpp"

#include <cstdint>
#include <string>
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

struct RunResult {
  Manifest manifest;
  double horizon = 0;
  double warmup = 0;
  uint64_t events = 0;
  std::size_t peak_requests_in_flight = 0;
  std::vector<GuestResult> guests;
  std::vector<CardResult> cards;
  DataPlaneEvents data;

  double window() const { return horizon - warmup; }
};

} // namespace apq
