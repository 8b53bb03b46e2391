#include "sim/data_plane/attribution.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace apq {

float BaselineLatencies::at(uint32_t guest, uint64_t index) const {
  if (guest >= guests.size() || index >= guests[guest].size())
    return std::numeric_limits<float>::quiet_NaN();
  return guests[guest][index];
}

void BaselineLatencies::record(uint32_t guest, uint64_t index, double latency) {
  if (guests.size() <= guest)
    guests.resize(guest + 1);
  std::vector<float>& column = guests[guest];
  if (column.size() <= index)
    column.resize(index + 1, std::numeric_limits<float>::quiet_NaN());
  column[index] = static_cast<float>(latency);
}

namespace {

// Layout: "APQB", u64 JSON length, JSON text, u64 guests, per guest u64 count then count floats (host byte order:
// both ends are the same binary on the same machine, a parent and its forked child).
constexpr char kMagic[4] = {'A', 'P', 'Q', 'B'};

template <class T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T take(std::string_view bytes, std::size_t& at) {
  if (at + sizeof(T) > bytes.size())
    throw std::runtime_error("baseline run: truncated data");
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  at += sizeof value;
  return value;
}

} // namespace

std::string BaselineRun::encode() const {
  std::string out(kMagic, sizeof kMagic);
  put<uint64_t>(out, result_json.size());
  out += result_json;
  put<uint64_t>(out, latencies.guests.size());
  for (const auto& column : latencies.guests) {
    put<uint64_t>(out, column.size());
    out.append(reinterpret_cast<const char*>(column.data()), column.size() * sizeof(float));
  }
  return out;
}

BaselineRun BaselineRun::decode(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw std::runtime_error("baseline run: unexpected output: " + std::string(bytes.substr(0, 200)));
  std::size_t at = sizeof kMagic;
  BaselineRun run;
  const auto json_size = take<uint64_t>(bytes, at);
  if (at + json_size > bytes.size())
    throw std::runtime_error("baseline run: truncated data");
  run.result_json = std::string(bytes.substr(at, json_size));
  at += json_size;
  const auto guests = take<uint64_t>(bytes, at);
  run.latencies.guests.resize(guests);
  for (auto& column : run.latencies.guests) {
    const auto count = take<uint64_t>(bytes, at);
    if (at + count * sizeof(float) > bytes.size())
      throw std::runtime_error("baseline run: truncated data");
    column.resize(count);
    std::memcpy(column.data(), bytes.data() + at, count * sizeof(float));
    at += count * sizeof(float);
  }
  return run;
}

ImpactAttribution::ImpactAttribution(std::size_t guests, double warmup, ReconfigWindows& windows)
    : guest_count_(guests), warmup_(warmup), windows_(windows), whole_run_(guests), latency_(guests),
      baseline_latency_(guests) {}

void ImpactAttribution::pair_with(const BaselineLatencies& baseline, std::vector<double> slow_threshold) {
  baseline_ = &baseline;
  slow_threshold_ = std::move(slow_threshold);
}

ImpactFigures& ImpactAttribution::figures(ReconfigWindows::SetId set, uint32_t guest) {
  if (by_set_.size() <= set)
    by_set_.resize(set + 1);
  std::vector<ImpactFigures>& row = by_set_[set];
  if (row.empty())
    row.resize(guest_count_);
  return row[guest];
}

void ImpactAttribution::finish(const Request& request, Outcome outcome, double latency) {
  if (request.arrival < warmup_)
    return;
  const uint32_t g = request.guest;
  // Paired with the same request in the baseline. Both latencies are compared as floats, the precision the
  // baseline keeps, so that a request that took the same time in both runs adds exactly 0.
  bool paired = false;
  double delta = 0;
  bool slow = false, baseline_slow = false;
  const float base = baseline_ != nullptr && outcome == Outcome::completed ? baseline_->at(g, request.index)
                                                                           : std::numeric_limits<float>::quiet_NaN();
  if (std::isfinite(base)) {
    paired = true;
    const auto mine = static_cast<float>(latency);
    delta = static_cast<double>(mine) - static_cast<double>(base);
    slow = static_cast<double>(mine) > slow_threshold_[g];
    baseline_slow = static_cast<double>(base) > slow_threshold_[g];
  }
  auto count = [&](ImpactFigures& f) {
    ++f.offered;
    switch (outcome) {
    case Outcome::completed:
      ++f.completed;
      break;
    case Outcome::failed_enodev:
      ++f.failed_enodev;
      break;
    case Outcome::failed_eio:
      ++f.failed_eio;
      break;
    case Outcome::failed_guest_stopped:
      ++f.failed_guest_stopped;
      break;
    case Outcome::unfinished:
      ++f.unfinished;
      break;
    }
    f.retried += (request.marks & kRetried) ? 1 : 0;
    f.lost_in_card += (request.marks & kLostInCard) ? 1 : 0;
    if (paired) {
      ++f.paired;
      f.extra_delay += delta;
      f.slow += slow;
      f.baseline_slow += baseline_slow;
    }
  };
  count(whole_run_[g]);
  if (request.windows == ReconfigWindows::kNone)
    return;
  count(figures(request.windows, g));
  if (outcome == Outcome::completed)
    latency_[g].record(latency);
  if (paired)
    baseline_latency_[g].record(base);
}

ReconfigImpact ImpactAttribution::result(double horizon) const {
  ReconfigImpact out;
  out.enabled = true;
  out.paired = baseline_ != nullptr;
  out.window_after = windows_.settle();
  out.slow_threshold = slow_threshold_;
  out.guests.resize(guest_count_);
  out.whole_run = whole_run_;
  out.latency = latency_;
  out.baseline_latency = baseline_latency_;
  const auto& events = windows_.events();
  for (std::size_t e = 0; e < events.size(); ++e) {
    EventImpact impact;
    impact.event = events[e];
    impact.window_end = windows_.window_end(static_cast<int>(e), horizon);
    impact.guests.resize(guest_count_);
    impact.time_to_recover.assign(guest_count_, std::numeric_limits<double>::quiet_NaN());
    out.events.push_back(std::move(impact));
  }
  for (std::size_t set = 1; set < by_set_.size(); ++set) {
    if (by_set_[set].empty())
      continue;
    for (std::size_t g = 0; g < guest_count_; ++g) {
      const ImpactFigures& f = by_set_[set][g];
      out.guests[g].add(f);
      for (int e : windows_.members(static_cast<ReconfigWindows::SetId>(set)))
        out.events[static_cast<std::size_t>(e)].guests[g].add(f);
    }
  }
  for (std::size_t g = 0; g < guest_count_; ++g)
    out.all.add(out.guests[g]);
  for (EventImpact& e : out.events)
    for (const ImpactFigures& f : e.guests)
      e.all.add(f);
  return out;
}

} // namespace apq
