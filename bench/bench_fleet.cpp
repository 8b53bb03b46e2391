// bench_fleet [--mode test|perf]: what a guest pays per request as the host grows, and what each guest costs in
// memory. CEX8A cards (64 at most, 85 domains each: a z16-size host), Poisson guests doing RSA-CRT 2k.
//  - cards per guest: one guest on N cards x 1 domain, N = 1, 8, 64;
//  - queues per card: one guest on 1 card x D domains, D = 1, 16, 85;
//  - one guest on all 64 x 85 queues: target (issue 11) within 1.5x of one guest on one queue, per request;
//  - number of guests: G one-queue guests on the 64 x 85 queues (100k/s in all), G = 64, 640, 5440: target 5440 in
//    less than 60 MiB peak RSS. The time series is kept in one window there (56 bytes per window and guest: the
//    default 500 windows cost 5440 guests 150 MB, printed on its own line).
//
// Each run is a forked child (one SimGrid engine per process); CPU time is the child's own, around simulate(), and
// peak RSS the child's, SimGrid's own memory included.

#include "bench/measure.hpp"
#include "sim/fork_runner.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {
namespace {

constexpr double kPerRequestTarget = 1.5; // 64 x 85 queues vs one queue, per request
constexpr double kMemoryTargetMib = 60;   // 5440 one-queue guests
constexpr double kOneGuestRate = 5000;    // requests/s of a lone guest: a quarter of a CEX8A
constexpr double kFleetRate = 100000;     // requests/s of all one-queue guests together

struct Case {
  std::string group; ///< which scaling the case belongs to
  int cards = 1;     ///< cards per guest
  int domains = 1;   ///< queues per card
  int guests = 1;
  bool default_series = false;
};

struct Measurement {
  double cpu_seconds = 0;
  uint64_t requests = 0;
  double peak_rss_mib = 0;
  double ns_per_request() const { return cpu_seconds * 1e9 / static_cast<double>(std::max<uint64_t>(requests, 1)); }
};

std::string hex(int id) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", id);
  return text;
}

/** The scenario of a case, sized to about `requests` requests. */
std::string scenario_text(const Case& c, uint64_t requests) {
  const double rate = c.guests == 1 ? kOneGuestRate : kFleetRate;
  std::ostringstream out;
  out.precision(17);
  const double horizon = static_cast<double>(requests) / rate;
  out << "[run]\nhorizon = \"" << horizon << "s\"\nseed = 1\n";
  if (!c.default_series)
    out << "series_window = \"" << horizon << "s\"\n";
  out << "[[cards]]\nids = \"0x00-" << hex(c.cards - 1) << "\"\ntype = \"CEX8A\"\ndomains = \"0x00-"
      << hex(c.domains - 1) << "\"\n";
  if (c.guests == 1) {
    out << "[[guests]]\nname = \"g\"\nadapters = \"0x00-" << hex(c.cards - 1) << "\"\ndomains = \"0x00-"
        << hex(c.domains - 1) << "\"\narrival = { process = \"poisson\", rate = \"" << rate << "/s\" }\n";
    return out.str();
  }
  // One guest per queue, card after card for each domain: G = 64 x (domains used).
  for (int d = 0; d < c.guests / c.cards; ++d)
    out << "[[guests]]\nname = \"d" << d << "-{i}\"\ncount = " << c.cards << "\nadapters = \"{i}\"\ndomains = \"" << d
        << "\"\narrival = { process = \"poisson\", rate = \"" << rate / c.guests << "/s\" }\n";
  return out.str();
}

std::string measure(const Case& c, uint64_t requests) {
  const Scenario scenario = load_scenario_text(scenario_text(c, requests), "bench_fleet.toml");
  const double start = bench::cpu_seconds();
  const RunResult result = simulate(scenario);
  Measurement m;
  m.cpu_seconds = bench::cpu_seconds() - start;
  for (const GuestResult& guest : result.guests)
    m.requests += guest.requests.completed;
  m.peak_rss_mib = bench::peak_rss_mib();
  std::ostringstream out;
  out.precision(17);
  out << m.cpu_seconds << ' ' << m.requests << ' ' << m.peak_rss_mib;
  return out.str();
}

Measurement decode(const std::string& text) {
  std::istringstream in(text);
  Measurement m;
  in >> m.cpu_seconds >> m.requests >> m.peak_rss_mib;
  if (!in || m.requests == 0)
    throw std::runtime_error("a run completed no request: '" + text + "'");
  return m;
}

int run(bool perf) {
  const uint64_t requests = perf ? 1'000'000 : 20'000;
  const int runs = perf ? 3 : 1;
  std::printf("bench_fleet: CEX8A cards, RSA-CRT 2k, about %llu requests per run; mode %s: %s\n",
              static_cast<unsigned long long>(requests), perf ? "perf" : "test",
              perf ? "the run of median CPU time among 3, all figures from that run"
                   : "one run each, figures are not meaningful timings");
  std::fflush(stdout); // before forking, or the children would print the parent's buffer again

  const std::vector<Case> cases{
      {"cards_per_guest", 1, 1, 1},  {"cards_per_guest", 8, 1, 1},
      {"cards_per_guest", 64, 1, 1}, {"queues_per_card", 1, 16, 1},
      {"queues_per_card", 1, 85, 1}, {"one_guest_all_queues", 64, 85, 1},
      {"guests", 64, 1, 64},         {"guests", 64, 10, 640},
      {"guests", 64, 85, 5440},      {"guests_default_series", 64, 85, 5440, true},
  };
  std::vector<Measurement> results;
  for (const Case& c : cases) {
    std::vector<ChildJob> jobs;
    for (int r = 0; r < runs; ++r)
      jobs.emplace_back([c, requests] { return measure(c, requests); });
    std::vector<Measurement> measured;
    for (const std::string& output : run_in_children(jobs, 1))
      measured.push_back(decode(output));
    std::sort(measured.begin(), measured.end(),
              [](const Measurement& a, const Measurement& b) { return a.cpu_seconds < b.cpu_seconds; });
    const Measurement& m = measured[measured.size() / 2];
    std::printf("%s cards_per_guest=%d queues_per_card=%d guests=%d requests=%llu ns_per_request=%.0f "
                "peak_rss_mib=%.1f\n",
                c.group.c_str(), c.guests == 1 ? c.cards : 1, c.guests == 1 ? c.domains : 1, c.guests,
                static_cast<unsigned long long>(m.requests), m.ns_per_request(), m.peak_rss_mib);
    std::fflush(stdout);
    results.push_back(m);
  }
  const Measurement& single = results[0];
  const Measurement& all_queues = results[5];
  const Measurement& fleet = results[8];
  std::printf("ratio 64x85/1x1 ns_per_request = %.2f (target <= %.1f)\n",
              all_queues.ns_per_request() / single.ns_per_request(), kPerRequestTarget);
  std::printf("fleet 5440 guests peak_rss_mib = %.1f (target < %.0f), %.0f ns_per_request, %.2f KiB per guest "
              "above one guest\n",
              fleet.peak_rss_mib, kMemoryTargetMib, fleet.ns_per_request(),
              (fleet.peak_rss_mib - single.peak_rss_mib) * 1024 / 5439);
  return 0;
}

} // namespace
} // namespace apq

int main(int argc, char** argv) {
  return apq::bench::bench_main("bench_fleet", [&] {
    bool perf = true;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--mode" && i + 1 < argc)
        perf = apq::bench::perf_mode(argv[++i]);
      else
        throw std::invalid_argument("unknown argument '" + arg + "'; usage: bench_fleet [--mode test|perf]");
    }
    return apq::run(perf);
  });
}
