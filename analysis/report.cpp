#include "analysis/report.hpp"

#include "models/units.hpp"

#include <cmath>
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
  out["latency_ccdf"] = ccdf_json(latency);
  return out;
}

Json ccdf_points_json(const LatencyCcdf& ccdf) {
  return Json{{"latency_s", ccdf.latency}, {"exceeding", ccdf.exceeding}};
}

LatencyCcdf ccdf_of(const Json& j) {
  if (!j.is_object())
    return {};
  return LatencyCcdf{j.at("latency_s").get<std::vector<double>>(), j.at("exceeding").get<std::vector<double>>()};
}

std::string hex_id(int id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", id);
  return buf;
}

Json summary_json(const LatencySummary& l) {
  return Json{{"mean", l.mean}, {"p50", l.p50},     {"p90", l.p90}, {"p99", l.p99},
              {"p999", l.p999}, {"p9999", l.p9999}, {"max", l.max}, {"min", l.min}};
}

LatencySummary summary_of(const Json& j) {
  return LatencySummary{j.at("mean").get<double>(), j.at("p50").get<double>(),  j.at("p90").get<double>(),
                        j.at("p99").get<double>(),  j.at("p999").get<double>(), j.at("p9999").get<double>(),
                        j.at("max").get<double>(),  j.at("min").get<double>()};
}

/** Short figures of a lock's or an operation's durations: mean, p99, max. */
Json brief_json(const LatencyHistogram& h) {
  return Json{{"mean", h.mean()}, {"p99", h.quantile(0.99)}, {"max", h.max()}};
}

Json control_json(const ControlResult& control) {
  Json out;
  out["enabled"] = control.enabled;
  out["strategy"] = control.strategy;
  out["strategy_file"] = control.strategy_file;
  Json& ops = out["ops"];
  ops = Json::object();
  for (const auto& [name, op] : control.ops) {
    Json errors = Json::object();
    for (const auto& [error, count] : op.errors)
      errors[error] = count;
    ops[name] = Json{{"attempts", op.attempts},
                     {"successes", op.successes},
                     {"ebusy", op.ebusy},
                     {"retries", op.retries},
                     {"errors", errors},
                     {"latency_s", brief_json(op.latency)},
                     {"completion_s", brief_json(op.completion)}};
  }
  Json& locks = out["locks"];
  locks = Json::object();
  for (const auto& [name, lock] : control.locks)
    locks[name] = Json{{"acquisitions", lock.acquisitions},         {"contentions", lock.contentions},
                       {"trylock_failures", lock.trylock_failures}, {"wait_s", brief_json(lock.wait)},
                       {"hold_s", brief_json(lock.hold)},           {"wait_ccdf", ccdf_json(lock.wait)},
                       {"hold_ccdf", ccdf_json(lock.hold)}};
  Json& timeline = out["timeline"];
  timeline = Json::array();
  for (const TimelineOutcome& t : control.timeline)
    timeline.push_back(Json{{"name", t.name},
                            {"op", t.op},
                            {"target", t.target},
                            {"start_s", t.start},
                            {"end_s", t.end},
                            {"finished", t.finished},
                            {"result", t.result},
                            {"attempts", t.attempts}});
  return out;
}

Json monitors_json(const ControlResult& control) {
  Json out;
  Json& deadlocks = out["deadlocks"];
  deadlocks = Json::array();
  for (const DeadlockReport& d : control.deadlocks) {
    Json cycle = Json::array();
    Json ops = Json::array();
    for (const auto& member : d.cycle) {
      cycle.push_back(
          Json{{"actor", member.actor}, {"op", member.op}, {"holds", member.holds}, {"wants", member.wants}});
      ops.push_back(member.op);
    }
    deadlocks.push_back(Json{{"time_s", d.time}, {"ops", ops}, {"cycle", cycle}});
  }
  Json& stolen = out["stolen_queues"];
  stolen = Json::array();
  for (const StolenQueueReport& q : control.stolen_queues)
    stolen.push_back(Json{{"time_s", q.time},
                          {"queue", q.queue},
                          {"mdev", q.mdev},
                          {"guest", q.guest},
                          {"assigned_by", q.assigned_by},
                          {"assigned_at_s", q.assigned_at},
                          {"taken_by", q.taken_by}});
  Json& inversions = out["lock_order_inversions"];
  inversions = Json::array();
  for (const InversionReport& i : control.inversions)
    inversions.push_back(Json{
        {"time_s", i.time}, {"locks", i.cycle}, {"established_by", i.established_by}, {"inverted_by", i.inverted_by}});
  out["hung"] = control.hung;
  return out;
}

std::string control_summary(const RunResult& result) {
  std::ostringstream out;
  char line[320];
  auto d = [](double seconds) { return units::format_duration(seconds); };
  const ControlResult& control = result.control;
  out << "\nreconfiguration: strategy " << control.strategy << " (" << control.strategy_file << ")\n";
  if (result.baseline.present) {
    const double lost =
        static_cast<double>(result.baseline.requests.completed) - static_cast<double>(overall_counts(result).completed);
    std::snprintf(
        line, sizeof line, "  throughput loss %.3f%% against the baseline: %.0f requests, %s of baseline throughput\n",
        100.0 * throughput_loss(result), lost,
        d(result.baseline.throughput_per_s > 0 ? std::max(0.0, lost) / result.baseline.throughput_per_s : 0).c_str());
    out << line;
  }
  const LatencyHistogram& w = result.windows.latency;
  std::snprintf(line, sizeof line, "  inside %zu reconfiguration windows (%s): %llu completed, p99 %s, p999 %s, max %s",
                result.windows.intervals.size(), d(result.windows.seconds()).c_str(),
                static_cast<unsigned long long>(result.windows.completed), d(w.quantile(0.99)).c_str(),
                d(w.quantile(0.999)).c_str(), d(w.max()).c_str());
  out << line;
  if (result.baseline.present) {
    const LatencySummary& b = result.baseline.window_latency;
    std::snprintf(line, sizeof line, "; baseline p99 %s, p999 %s, max %s", d(b.p99).c_str(), d(b.p999).c_str(),
                  d(b.max).c_str());
    out << line;
  }
  out << "\n";
  const DataPlaneEvents& data = result.data;
  std::snprintf(line, sizeof line,
                "  data path: %llu unplugs, %llu plugs, %llu queue resets, %llu requests lost in the card, %llu "
                "retried\n\n",
                static_cast<unsigned long long>(data.unplugs), static_cast<unsigned long long>(data.plugs),
                static_cast<unsigned long long>(data.resets), static_cast<unsigned long long>(data.requests_lost),
                static_cast<unsigned long long>(data.requests_retried));
  out << line;

  std::snprintf(line, sizeof line, "  %-24s %8s %8s %8s %8s  %-22s %9s %9s\n", "operation", "attempts", "ok", "EBUSY",
                "retries", "errors", "mean", "p99");
  out << line;
  for (const auto& [name, op] : control.ops) {
    std::string errors;
    for (const auto& [error, count] : op.errors)
      errors += (errors.empty() ? "" : " ") + error + ":" + std::to_string(count);
    std::snprintf(line, sizeof line, "  %-24s %8llu %8llu %8llu %8llu  %-22s %9s %9s\n", name.c_str(),
                  static_cast<unsigned long long>(op.attempts), static_cast<unsigned long long>(op.successes),
                  static_cast<unsigned long long>(op.ebusy), static_cast<unsigned long long>(op.retries),
                  errors.empty() ? "-" : errors.c_str(), d(op.latency.mean()).c_str(),
                  d(op.latency.quantile(0.99)).c_str());
    out << line;
  }
  out << "\n";
  std::snprintf(line, sizeof line, "  %-10s %12s %12s %9s %10s %10s %10s %10s\n", "lock", "acquisitions", "contentions",
                "try-busy", "wait mean", "wait p99", "wait max", "hold p99");
  out << line;
  for (const auto& [name, lock] : control.locks) {
    std::snprintf(line, sizeof line, "  %-10s %12llu %12llu %9llu %10s %10s %10s %10s\n", name.c_str(),
                  static_cast<unsigned long long>(lock.acquisitions), static_cast<unsigned long long>(lock.contentions),
                  static_cast<unsigned long long>(lock.trylock_failures), d(lock.wait.mean()).c_str(),
                  d(lock.wait.quantile(0.99)).c_str(), d(lock.wait.max()).c_str(), d(lock.hold.quantile(0.99)).c_str());
    out << line;
  }
  if (!control.timeline.empty()) {
    out << "\n  timeline:\n";
    for (const TimelineOutcome& t : control.timeline) {
      std::snprintf(line, sizeof line, "  %12.6fs  %-12s %-24s %-22s -> %s", t.start, t.name.c_str(), t.op.c_str(),
                    t.target.c_str(), t.result.c_str());
      out << line;
      if (t.finished)
        out << " after " << d(t.end - t.start) << " (" << t.attempts << (t.attempts == 1 ? " attempt)" : " attempts)");
      out << "\n";
    }
  }

  if (control.deadlocks.empty() && control.stolen_queues.empty() && control.inversions.empty())
    return out.str();
  out << "\nVIOLATIONS\n";
  for (const DeadlockReport& dl : control.deadlocks) {
    std::snprintf(line, sizeof line, "  DEADLOCK at %.6fs:", dl.time);
    out << line;
    for (std::size_t i = 0; i < dl.cycle.size(); ++i)
      out << (i ? ";" : "") << " " << dl.cycle[i].actor << " running " << dl.cycle[i].op << " holds "
          << dl.cycle[i].holds << " and waits for " << dl.cycle[i].wants;
    out << ". These operations never return.\n";
  }
  for (const StolenQueueReport& q : control.stolen_queues) {
    std::snprintf(line, sizeof line, "  STOLEN QUEUE at %.6fs: queue %s of mdev %s", q.time, q.queue.c_str(),
                  q.mdev.c_str());
    out << line << (q.guest.empty() ? "" : " (guest " + q.guest + ")") << ", assigned by " << q.assigned_by;
    std::snprintf(line, sizeof line, " at %.6fs", q.assigned_at);
    out << line << ", was given to host drivers by " << q.taken_by
        << ": the reprobe takes it from vfio_ap while the mdev holds it.\n";
  }
  for (const InversionReport& i : control.inversions) {
    std::string cycle;
    for (const std::string& c : i.cycle)
      cycle += (cycle.empty() ? "" : " -> ") + c;
    std::snprintf(line, sizeof line, "  LOCK ORDER INVERSION at %.6fs: %s: ", i.time, cycle.c_str());
    out << line << "the order taken by " << i.established_by << " is inverted by " << i.inverted_by
        << " (a possible deadlock, as lockdep reports it).\n";
  }
  return out.str();
}

} // namespace

double throughput_loss(const RunResult& result) {
  const uint64_t base = result.baseline.requests.completed;
  if (!result.baseline.present || base == 0)
    return 0;
  return 1.0 - static_cast<double>(overall_counts(result).completed) / static_cast<double>(base);
}

BaselineFigures baseline_from_json(const Json& j) {
  BaselineFigures b;
  b.present = true;
  const Json& summary = j.at("summary");
  b.requests.offered = summary.at("offered").get<uint64_t>();
  b.requests.completed = summary.at("completed").get<uint64_t>();
  b.requests.failed = summary.at("failed").get<uint64_t>();
  b.throughput_per_s = summary.at("throughput_per_s").get<double>();
  b.latency = summary_of(summary.at("latency_s"));
  b.window_completed = j.at("reconfig_windows").at("completed").get<uint64_t>();
  b.window_latency = summary_of(j.at("reconfig_windows").at("latency_s"));
  b.latency_ccdf = ccdf_of(summary.value("latency_ccdf", Json()));
  b.window_latency_ccdf = ccdf_of(j.at("reconfig_windows").value("latency_ccdf", Json()));
  return b;
}

Json ccdf_json(const LatencyHistogram& h) {
  LatencyCcdf ccdf;
  const uint64_t n = h.count();
  if (n > 0) {
    ccdf.latency.push_back(h.min());
    ccdf.exceeding.push_back(1.0);
    for (int k = 1;; ++k) {
      const double exceeding = std::pow(10.0, -k / 8.0);
      if (exceeding * static_cast<double>(n) < 1)
        break;
      ccdf.latency.push_back(h.quantile(1 - exceeding));
      ccdf.exceeding.push_back(exceeding);
    }
    ccdf.latency.push_back(h.max());
    ccdf.exceeding.push_back(1.0 / static_cast<double>(n));
  }
  return ccdf_points_json(ccdf);
}

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
  const bool compared = result.baseline.present;
  const uint64_t completed = overall_counts(result).completed;
  const double lost = compared ? static_cast<double>(result.baseline.requests.completed) - completed : 0;
  out["summary"]["throughput_loss"] = compared ? Json(throughput_loss(result)) : Json(nullptr);
  out["summary"]["lost_requests"] = compared ? Json(lost) : Json(nullptr);
  // Lost work as seconds of the baseline's throughput: what an operator would have to make up for.
  out["summary"]["lost_request_seconds"] =
      compared && result.baseline.throughput_per_s > 0 ? Json(lost / result.baseline.throughput_per_s) : Json(nullptr);

  Json& windows = out["reconfig_windows"];
  windows["count"] = result.windows.intervals.size();
  windows["seconds"] = result.windows.seconds();
  windows["completed"] = result.windows.completed;
  windows["latency_s"] = latency_json(result.windows.latency);
  windows["latency_ccdf"] = ccdf_json(result.windows.latency);
  if (compared) {
    windows["baseline_completed"] = result.baseline.window_completed;
    windows["baseline_latency_s"] = summary_json(result.baseline.window_latency);
    windows["baseline_latency_ccdf"] = ccdf_points_json(result.baseline.window_latency_ccdf);
    out["baseline"] = Json{{"offered", result.baseline.requests.offered},
                           {"completed", result.baseline.requests.completed},
                           {"failed", result.baseline.requests.failed},
                           {"throughput_per_s", result.baseline.throughput_per_s},
                           {"latency_s", summary_json(result.baseline.latency)},
                           {"latency_ccdf", ccdf_points_json(result.baseline.latency_ccdf)}};
  }
  Json& guests = out["guests"];
  guests = Json::object();
  for (const GuestResult& guest : result.guests)
    guests[guest.name] = counts_json(guest.requests, guest.latency, result.window());
  out["data"] = Json{{"unplugs", result.data.unplugs},
                     {"plugs", result.data.plugs},
                     {"resets", result.data.resets},
                     {"requests_lost", result.data.requests_lost},
                     {"requests_retried", result.data.requests_retried}};
  Json& series = out["series"];
  series["window_s"] = result.series.window;
  series["completed"] = result.series.completed;
  Json mean = Json::array();
  for (std::size_t i = 0; i < result.series.completed.size(); ++i)
    mean.push_back(result.series.completed[i] ? result.series.latency_sum[i] / result.series.completed[i] : 0.0);
  series["mean_latency_s"] = mean;
  out["control"] = control_json(result.control);
  out["monitors"] = monitors_json(result.control);
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
  if (result.guests.size() > 1)
    row("all", overall_counts(result), overall_latency(result));

  out << "\n";
  std::snprintf(line, sizeof line, "%-6s %-8s %8s %12s %12s\n", "card", "type", "engines", "utilization", "served");
  out << line;
  for (const CardResult& card : result.cards) {
    std::snprintf(line, sizeof line, "%-6s %-8s %8d %11.1f%% %12llu\n", hex_id(card.adapter).c_str(), card.type.c_str(),
                  card.engines, 100.0 * card.utilization, static_cast<unsigned long long>(card.served));
    out << line;
  }
  if (result.control.enabled)
    out << control_summary(result);
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
