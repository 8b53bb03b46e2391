#pragma once
// What the benchmarks measure in their forked children: CPU time (steadier than wall time on a machine shared with
// other work) and resident memory.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace apq::bench {

/** CPU seconds this process has used so far. */
inline double cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/** The peak resident set size of this process, MiB. */
inline double peak_rss_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
}

/** The resident set size of this process now, MiB. */
inline double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

/** The value of --mode: true for perf, false for test; anything else is a bad argument. */
inline bool perf_mode(const std::string& value) {
  if (value != "test" && value != "perf")
    throw std::invalid_argument("--mode: expected test or perf, got '" + value + "'");
  return value == "perf";
}

/** A benchmark's main around `body`: a failure is printed after the benchmark's name, exit 2 for bad arguments
 *  (std::invalid_argument), 1 for anything else. */
template <class Body>
int bench_main(const char* name, Body body) {
  try {
    return body();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

} // namespace apq::bench
