#include "bench/mmc_reference.hpp"

#include "bench/measure.hpp"

#include <chrono>
#include <cmath>
#include <deque>
#include <queue>
#include <random>
#include <stdexcept>
#include <vector>

namespace apq {

namespace {

enum class Kind : uint8_t { arrival, departure };

struct Event {
  double time;
  double arrival; // departure: when the request arrived, for its latency
  Kind kind;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const { return a.time > b.time; }
};

// Inversion on 53 random bits, the same transform as models/random.cpp, so both sides pay for one log per draw.
class Exponential {
public:
  Exponential(uint64_t seed, double mean) : engine_(seed), mean_(mean) {}
  double operator()() { return -mean_ * std::log((static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53); }

private:
  std::mt19937_64 engine_;
  double mean_;
};

} // namespace

MmcResult run_mmc_reference(const MmcParams& params) {
  if (params.servers < 1 || params.arrival_rate <= 0 || params.service_rate <= 0)
    throw std::invalid_argument("run_mmc_reference(): need servers >= 1 and positive rates");
  // Two streams, as apqsim draws gaps and service demands from separate streams.
  Exponential gap(params.seed, 1 / params.arrival_rate);
  Exponential service(params.seed ^ 0x9e3779b97f4a7c15ULL, 1 / params.service_rate);

  MmcResult result;
  std::priority_queue<Event, std::vector<Event>, Later> events;
  std::deque<double> waiting; // arrival dates of the requests waiting for a server, FIFO
  int busy = 0;
  double latency_sum = 0;

  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = bench::cpu_seconds();
  events.push(Event{gap(), 0, Kind::arrival});
  while (result.completed < params.requests) {
    const Event event = events.top();
    events.pop();
    ++result.events;
    const double now = event.time;
    if (event.kind == Kind::arrival) {
      events.push(Event{now + gap(), 0, Kind::arrival});
      if (busy < params.servers) {
        ++busy;
        events.push(Event{now + service(), now, Kind::departure});
      } else {
        waiting.push_back(now);
      }
      continue;
    }
    const double latency = now - event.arrival;
    latency_sum += latency;
    result.latency.record(latency);
    ++result.completed;
    if (waiting.empty()) {
      --busy;
    } else {
      events.push(Event{now + service(), waiting.front(), Kind::departure});
      waiting.pop_front();
    }
  }
  result.cpu_seconds = bench::cpu_seconds() - cpu_start;
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.mean_latency = result.completed == 0 ? 0 : latency_sum / static_cast<double>(result.completed);
  return result;
}

double mmc_mean_response(double arrival_rate, double service_rate, int servers) {
  const double a = arrival_rate / service_rate; // offered load, Erlang
  const double rho = a / servers;
  if (!(rho < 1))
    throw std::invalid_argument("mmc_mean_response(): unstable queue (lambda >= c mu)");
  // Erlang C by the stable recurrence on Erlang B: B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)).
  double erlang_b = 1;
  for (int k = 1; k <= servers; ++k)
    erlang_b = a * erlang_b / (k + a * erlang_b);
  const double erlang_c = erlang_b / (1 - rho * (1 - erlang_b));
  return 1 / service_rate + erlang_c / (servers * service_rate - arrival_rate);
}

} // namespace apq
