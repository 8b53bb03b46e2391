#include "analysis/report.hpp"

#include "models/units.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace apq {

namespace {

double throughput(uint64_t completed, double window) {
  return window > 0 ? static_cast<double>(completed) / window : 0;
}

LatencyHistogram overall_latency(const RunResult& result) {
  LatencyHistogram all;
  for (const GuestResult& guest : result.guests)
    all.merge(guest.latency);
  return all;
}

RequestCounts overall_counts(const RunResult& result) {
  RequestCounts all;
  for (const GuestResult& guest : result.guests) {
    all.offered += guest.requests.offered;
    all.completed += guest.requests.completed;
    all.failed += guest.requests.failed;
    all.failed_enodev += guest.requests.failed_enodev;
    all.failed_eio += guest.requests.failed_eio;
    all.failed_guest_stopped += guest.requests.failed_guest_stopped;
  }
  return all;
}

Json counts_json(const RequestCounts& counts, const LatencyHistogram& latency, double window) {
  Json out;
  out["offered"] = counts.offered;
  out["completed"] = counts.completed;
  out["failed"] = counts.failed;
  out["failed_by_errno"] = Json{
      {"ENODEV", counts.failed_enodev}, {"EIO", counts.failed_eio}, {"guest_stopped", counts.failed_guest_stopped}};
  out["throughput_per_s"] = throughput(counts.completed, window);
  out["latency_s"] = latency_json(latency);
  return out;
}

std::string hex_id(int id) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", id);
  return buf;
}

} // namespace

Json latency_json(const LatencyHistogram& h) {
  Json out;
  out["mean"] = h.mean();
  out["p50"] = h.quantile(0.50);
  out["p90"] = h.quantile(0.90);
  out["p99"] = h.quantile(0.99);
  out["p999"] = h.quantile(0.999);
  out["p9999"] = h.quantile(0.9999);
  out["max"] = h.max();
  out["min"] = h.min();
  return out;
}

Json to_json(const RunResult& result) {
  Json out;
  const Manifest& m = result.manifest;
  Json& manifest = out["manifest"];
  manifest["version"] = m.version;
  manifest["git_commit"] = m.git_commit;
  manifest["simgrid_version"] = m.simgrid_version;
  manifest["config_file"] = m.config_file;
  manifest["config_sha256"] = m.config_sha256;
  manifest["seed"] = m.seed;
  manifest["config"] = m.resolved_config_json.empty() ? Json::object() : Json::parse(m.resolved_config_json);

  Json& run = out["run"];
  run["horizon_s"] = result.horizon;
  run["warmup_s"] = result.warmup;
  run["window_s"] = result.window();
  run["events"] = result.events;
  run["peak_requests_in_flight"] = result.peak_requests_in_flight;

  out["summary"] = counts_json(overall_counts(result), overall_latency(result), result.window());
  Json& guests = out["guests"];
  guests = Json::object();
  for (const GuestResult& guest : result.guests)
    guests[guest.name] = counts_json(guest.requests, guest.latency, result.window());
  out["data"] = Json{{"unplugs", result.data.unplugs},
                     {"plugs", result.data.plugs},
                     {"resets", result.data.resets},
                     {"requests_lost", result.data.requests_lost},
                     {"requests_retried", result.data.requests_retried}};
  Json& cards = out["cards"];
  cards = Json::object();
  for (const CardResult& card : result.cards)
    cards[hex_id(card.adapter)] = Json{
        {"type", card.type}, {"engines", card.engines}, {"served", card.served}, {"utilization", card.utilization}};
  return out;
}

std::string human_summary(const RunResult& result, double wall_seconds) {
  std::ostringstream out;
  char line[256];
  const Manifest& m = result.manifest;
  out << "apqsim " << m.version << " · " << m.config_file << " · seed " << m.seed << " · config "
      << m.config_sha256.substr(0, 12) << "\n";
  std::snprintf(line, sizeof line, "measured %s..%s (warm-up %s) · %llu events in %.2f s wall\n\n",
                units::format_duration(result.warmup).c_str(), units::format_duration(result.horizon).c_str(),
                units::format_duration(result.warmup).c_str(), static_cast<unsigned long long>(result.events),
                wall_seconds);
  out << line;

  std::snprintf(line, sizeof line, "%-14s %10s %10s %8s %11s %9s %9s %9s %9s %9s %9s\n", "guest", "offered",
                "completed", "failed", "throughput", "mean", "p50", "p90", "p99", "p999", "max");
  out << line;
  auto row = [&](const std::string& name, const RequestCounts& c, const LatencyHistogram& h) {
    auto d = [](double s) { return units::format_duration(s); };
    std::snprintf(line, sizeof line, "%-14s %10llu %10llu %8llu %11s %9s %9s %9s %9s %9s %9s\n", name.c_str(),
                  static_cast<unsigned long long>(c.offered), static_cast<unsigned long long>(c.completed),
                  static_cast<unsigned long long>(c.failed),
                  units::format_rate(throughput(c.completed, result.window())).c_str(), d(h.mean()).c_str(),
                  d(h.quantile(0.5)).c_str(), d(h.quantile(0.9)).c_str(), d(h.quantile(0.99)).c_str(),
                  d(h.quantile(0.999)).c_str(), d(h.max()).c_str());
    out << line;
  };
  for (const GuestResult& guest : result.guests)
    row(guest.name, guest.requests, guest.latency);
  if (result.guests.size() > 1) row("all", overall_counts(result), overall_latency(result));

  out << "\n";
  std::snprintf(line, sizeof line, "%-6s %-8s %8s %12s %12s\n", "card", "type", "engines", "utilization", "served");
  out << line;
  for (const CardResult& card : result.cards) {
    std::snprintf(line, sizeof line, "%-6s %-8s %8d %11.1f%% %12llu\n", hex_id(card.adapter).c_str(), card.type.c_str(),
                  card.engines, 100.0 * card.utilization, static_cast<unsigned long long>(card.served));
    out << line;
  }
  return out.str();
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error("cannot write " + path.string() + ": cannot create a file in " +
                               (path.parent_path().empty() ? std::string(".") : path.parent_path().string()));
    out << content;
    out.close();
    if (!out) {
      std::filesystem::remove(temporary);
      throw std::runtime_error("cannot write " + path.string());
    }
  }
  std::filesystem::rename(temporary, path);
}

} // namespace apq
