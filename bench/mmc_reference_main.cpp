// mmc_reference [REQUESTS [SEED]]: runs the bare M/M/c yardstick at the validation point (lambda 3.2k/s, mu 1k/s,
// c = 4) and prints its figures, for a quick look without the SimGrid side.

#include "bench/mmc_reference.hpp"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  try {
    apq::MmcParams params;
    if (argc > 1)
      params.requests = std::stoull(argv[1]);
    if (argc > 2)
      params.seed = std::stoull(argv[2]);
    const apq::MmcResult result = apq::run_mmc_reference(params);
    const double theory = apq::mmc_mean_response(params.arrival_rate, params.service_rate, params.servers);
    std::printf("impl=reference requests=%llu wall_s=%.3f requests_per_s=%.0f events=%llu mean_latency_ms=%.4f "
                "p99_ms=%.4f (theory mean %.4f ms)\n",
                static_cast<unsigned long long>(result.completed), result.wall_seconds,
                static_cast<double>(result.completed) / result.wall_seconds,
                static_cast<unsigned long long>(result.events), result.mean_latency * 1e3,
                result.latency.quantile(0.99) * 1e3, theory * 1e3);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mmc_reference: %s\n", e.what());
    return 1;
  }
}
