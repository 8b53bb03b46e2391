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
  uint64_t offered = 0;   ///< issued inside the window
  uint64_t completed = 0; ///< collected by the guest inside the window
  uint64_t failed = 0;    ///< given up inside the window (no usable queue: -ENODEV)
};

struct GuestResult {
  std::string name;
  RequestCounts requests;
  LatencyHistogram latency; ///< arrival to reply collected, for requests collected inside the window
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

  double window() const { return horizon - warmup; }
};

} // namespace apq
