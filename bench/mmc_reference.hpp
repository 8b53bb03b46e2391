#pragma once
// The "bare" yardstick for the data plane: an M/M/c FCFS queue on a plain binary heap, no SimGrid, no callbacks.
// It does the same work per request as apqsim (an arrival event, a departure event, one histogram record), so the
// ratio of the two wall times is the price of the simulator's machinery.

#include "analysis/latency_histogram.hpp"

#include <cstdint>

namespace apq {

struct MmcParams {
  double arrival_rate = 3200;    ///< lambda, requests per second (Poisson)
  double service_rate = 1000;    ///< mu, per server (exponential service)
  int servers = 4;               ///< c
  uint64_t requests = 1'000'000; ///< the run ends when this many have completed
  uint64_t seed = 1;
};

struct MmcResult {
  uint64_t completed = 0;
  double mean_latency = 0; ///< seconds, from arrival to departure
  double wall_seconds = 0; ///< the event loop only (steady clock)
  double cpu_seconds = 0;  ///< the event loop only (process CPU time)
  uint64_t events = 0;
  LatencyHistogram latency;
};

/** Runs the M/M/c queue from empty until `params.requests` requests have completed. */
MmcResult run_mmc_reference(const MmcParams& params);

/** Erlang C mean response time of an M/M/c queue (seconds); needs lambda < c * mu. */
double mmc_mean_response(double arrival_rate, double service_rate, int servers);

} // namespace apq
