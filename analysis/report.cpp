#include "analysis/report.hpp"

#include "analysis/figure_format.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <cstdio>
#include <sstream>
#include <stdexcept>

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
                     {"ebusy_reserving", op.ebusy_reserving},
                     {"ebusy_giving_back", op.ebusy_giving_back},
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
  out["final_state"] = final_state_json(control.final_state);
  if (const ReplayReport& r = control.replay; r.present)
    out["replay"] = Json{{"explored", r.explored},     {"points", r.points},     {"followed", r.followed},
                         {"divergence", r.divergence}, {"expected", r.expected}, {"reached", r.reached},
                         {"reproduced", r.reproduced}};
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
  Json& bugs = out["kernel_bugs"];
  bugs = Json::array();
  for (const KernelBugReport& b : control.kernel_bugs)
    bugs.push_back(Json{{"time_s", b.time}, {"actor", b.actor}, {"op", b.op}, {"where", b.where}, {"what", b.what}});
  out["kernel_warnings"] = control.kernel_warnings;
  return out;
}

Json number_or_null(double x) {
  return std::isfinite(x) ? Json(x) : Json(nullptr);
}

Json impact_json(const ImpactFigures& f, bool paired) {
  Json out;
  out["offered"] = f.offered;
  out["completed"] = f.completed;
  out["failed"] = f.failed();
  out["failed_by_errno"] =
      Json{{"ENODEV", f.failed_enodev}, {"EIO", f.failed_eio}, {"guest_stopped", f.failed_guest_stopped}};
  out["unfinished"] = f.unfinished;
  out["retried"] = f.retried;
  out["lost_in_card"] = f.lost_in_card;
  out["paired"] = paired ? Json(f.paired) : Json(nullptr);
  out["extra_delay_request_s"] = paired ? Json(f.extra_delay) : Json(nullptr);
  out["mean_extra_delay_s"] =
      paired && f.paired > 0 ? Json(f.extra_delay / static_cast<double>(f.paired)) : Json(nullptr);
  out["slow"] = paired ? Json(f.slow) : Json(nullptr);
  out["baseline_slow"] = paired ? Json(f.baseline_slow) : Json(nullptr);
  out["excess_slow"] =
      paired ? Json(static_cast<double>(f.slow) - static_cast<double>(f.baseline_slow)) : Json(nullptr);
  return out;
}

Json reconfiguration_json(const RunResult& result) {
  const ReconfigImpact& impact = result.impact;
  const bool paired = impact.paired;
  Json out;
  out["window_after_s"] = impact.window_after;
  out["paired_with_baseline"] = paired;
  Json thresholds = Json::object();
  for (std::size_t g = 0; g < result.guests.size() && g < impact.slow_threshold.size(); ++g)
    thresholds[result.guests[g].name] = impact.slow_threshold[g];
  out["slow_threshold_s"] = thresholds;
  out["slow_threshold_source"] = paired ? Json(impact.slow_threshold_source) : Json(nullptr);
  out["event_count"] = impact.events.size();
  // Requests that belong to at least one event; and, against the baseline, every measured request.
  Json& union_ = out["impact"];
  union_["all"] = impact_json(impact.all, paired);
  Json& guests = union_["guests"];
  guests = Json::object();
  Json& whole = out["whole_run"];
  ImpactFigures whole_all;
  Json whole_guests = Json::object();
  LatencyHistogram all_latency, all_baseline; // what the report's CCDF draws for all guests
  for (std::size_t g = 0; g < result.guests.size() && g < impact.guests.size(); ++g) {
    const std::string& name = result.guests[g].name;
    all_latency.merge(impact.latency[g]);
    all_baseline.merge(impact.baseline_latency[g]);
    Json j = impact_json(impact.guests[g], paired);
    j["latency_s"] = latency_json(impact.latency[g]);
    j["baseline_latency_s"] = paired ? latency_json(impact.baseline_latency[g]) : Json(nullptr);
    j["latency_ccdf"] = ccdf_json(impact.latency[g]);
    j["baseline_latency_ccdf"] = paired ? ccdf_json(impact.baseline_latency[g]) : Json(nullptr);
    // Time to recover over the events, for figures across replications.
    double longest = 0, sum = 0;
    std::size_t known = 0, never = 0;
    for (const EventImpact& e : impact.events) {
      const double t = e.time_to_recover[g];
      if (std::isfinite(t)) {
        longest = std::max(longest, t);
        sum += t;
        ++known;
      } else {
        ++never;
      }
    }
    j["time_to_recover_s"] =
        paired
            ? Json{{"max", longest}, {"mean", known ? sum / static_cast<double>(known) : 0.0}, {"not_recovered", never}}
            : Json(nullptr);
    guests[name] = std::move(j);
    whole_guests[name] = impact_json(impact.whole_run[g], paired);
    whole_all.add(impact.whole_run[g]);
  }
  out["impact"]["all"]["latency_ccdf"] = ccdf_json(all_latency);
  out["impact"]["all"]["baseline_latency_ccdf"] = paired ? ccdf_json(all_baseline) : Json(nullptr);
  whole["all"] = impact_json(whole_all, paired);
  whole["guests"] = whole_guests;
  Json& events = out["events"];
  events = Json::array();
  for (const EventImpact& e : impact.events) {
    Json j;
    j["actor"] = e.event.actor;
    j["op"] = e.event.op;
    j["target"] = e.event.target;
    j["start_s"] = e.event.start;
    j["end_s"] = e.event.end;
    j["window_end_s"] = e.window_end;
    j["finished"] = e.event.finished;
    j["result"] = e.event.result;
    j["attempts"] = e.event.attempts;
    j["all"] = impact_json(e.all, paired);
    Json per_guest = Json::object();
    for (std::size_t g = 0; g < result.guests.size() && g < e.guests.size(); ++g) {
      Json f = impact_json(e.guests[g], paired);
      f["time_to_recover_s"] = paired ? number_or_null(e.time_to_recover[g]) : Json(nullptr);
      per_guest[result.guests[g].name] = std::move(f);
    }
    j["guests"] = std::move(per_guest);
    events.push_back(std::move(j));
  }
  return out;
}

std::string count_text(uint64_t n) {
  return std::to_string(n);
}

/** Per guest and per event: what the reconfiguration did to the requests. */
std::string impact_summary(const RunResult& result) {
  std::ostringstream out;
  char line[512];
  const ReconfigImpact& impact = result.impact;
  const bool paired = impact.paired;
  auto d = [](double seconds) { return units::format_duration(seconds); };
  out << "  " << impact.events.size() << (impact.events.size() == 1 ? " operation" : " operations")
      << "; a request belongs to an operation if it was issued in its window (start to end + " << d(impact.window_after)
      << ")\n  or the operation touched it (hung, discarded, reset, retried, failed for want of the queues it took), "
         "wherever it completed\n";
  if (result.baseline.present) {
    const double lost =
        static_cast<double>(result.baseline.requests.completed) - static_cast<double>(overall_counts(result).completed);
    std::snprintf(
        line, sizeof line,
        "  completed-request deficit against the baseline (throughput_loss): %.3f%% (%.0f requests, %s of "
        "baseline throughput):\n  requests that never completed; below capacity it stays near 0 however "
        "late they were (see extra delay)\n",
        100.0 * throughput_loss(result) + 0.0, lost,
        d(result.baseline.throughput_per_s > 0 ? std::max(0.0, lost) / result.baseline.throughput_per_s : 0).c_str());
    out << line;
  } else {
    out << "  no baseline ([control] baseline = false): extra delay, slow requests and recovery are not known\n";
  }
  out << "\n";
  std::snprintf(line, sizeof line, "  %-12s %9s %9s %8s %7s %6s %7s %8s %8s %8s %12s %13s %9s %9s %10s\n", "guest",
                "offered", "completed", "ENODEV", "EIO", "stop", "unfin", "retried", "lost", "paired", "extra delay",
                "slow/baseline", "p99", "base p99", "recover");
  out << line;
  auto row = [&](const std::string& name, const ImpactFigures& f, const LatencyHistogram* h,
                 const LatencyHistogram* base, const std::string& recover) {
    std::snprintf(line, sizeof line,
                  "  %-12s %9llu %9llu %8llu %7llu %6llu %7llu %8llu %8llu %8s %12s %13s %9s %9s %10s\n", name.c_str(),
                  static_cast<unsigned long long>(f.offered), static_cast<unsigned long long>(f.completed),
                  static_cast<unsigned long long>(f.failed_enodev), static_cast<unsigned long long>(f.failed_eio),
                  static_cast<unsigned long long>(f.failed_guest_stopped),
                  static_cast<unsigned long long>(f.unfinished), static_cast<unsigned long long>(f.retried),
                  static_cast<unsigned long long>(f.lost_in_card), paired ? count_text(f.paired).c_str() : "-",
                  paired && f.paired ? (format_value(f.extra_delay, FigureKind::duration) + "*r").c_str() : "-",
                  paired && f.paired ? (count_text(f.slow) + "/" + count_text(f.baseline_slow)).c_str() : "-",
                  h != nullptr && h->count() ? d(h->quantile(0.99)).c_str() : "-",
                  paired && base != nullptr && base->count() ? d(base->quantile(0.99)).c_str() : "-", recover.c_str());
    out << line;
  };
  auto recover_text = [&](double t) {
    return !paired ? std::string("-") : std::isfinite(t) ? d(t) : std::string("never");
  };
  LatencyHistogram all_latency, all_baseline;
  for (std::size_t g = 0; g < result.guests.size() && g < impact.guests.size(); ++g) {
    double longest = 0;
    bool never = false;
    for (const EventImpact& e : impact.events) {
      if (std::isfinite(e.time_to_recover[g]))
        longest = std::max(longest, e.time_to_recover[g]);
      else
        never = true;
    }
    row(result.guests[g].name, impact.guests[g], &impact.latency[g], &impact.baseline_latency[g],
        recover_text(never ? NAN : longest));
    all_latency.merge(impact.latency[g]);
    all_baseline.merge(impact.baseline_latency[g]);
  }
  if (result.guests.size() > 1)
    row("all", impact.all, &all_latency, &all_baseline, "");
  if (paired) {
    ImpactFigures whole;
    for (const ImpactFigures& f : impact.whole_run)
      whole.add(f);
    std::snprintf(line, sizeof line,
                  "  every measured request against the baseline: extra delay %s*r over %llu paired requests, %llu "
                  "slow against %llu in the baseline\n",
                  format_value(whole.extra_delay, FigureKind::duration).c_str(),
                  static_cast<unsigned long long>(whole.paired), static_cast<unsigned long long>(whole.slow),
                  static_cast<unsigned long long>(whole.baseline_slow));
    out << line;
    std::string thresholds;
    for (std::size_t g = 0; g < result.guests.size() && g < impact.slow_threshold.size(); ++g)
      thresholds += (thresholds.empty() ? "" : ", ") + result.guests[g].name + " " + d(impact.slow_threshold[g]);
    out << "  (extra delay in request-seconds, s*r: sum over the requests completed in both runs of latency - "
           "baseline latency;\n  slow: over "
        << thresholds << " (" << impact.slow_threshold_source
        << ");\n  recover: the longest time from an operation's end until the guest's time series is back to the "
           "baseline's)\n";
  }
  if (impact.events.empty())
    return out.str();

  // Operations: all of them when few, else those that cost the most.
  std::vector<std::size_t> order(impact.events.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  constexpr std::size_t kShown = 12;
  const bool all_shown = order.size() <= kShown;
  if (!all_shown) {
    auto cost = [&](std::size_t i) {
      const ImpactFigures& f = impact.events[i].all;
      return paired ? f.extra_delay + static_cast<double>(f.failed())
                    : static_cast<double>(f.failed() + f.lost_in_card);
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
    order.resize(kShown);
    std::sort(order.begin(), order.end());
  }
  out << "\n  per operation"
      << (all_shown ? ""
                    : " (the " + std::to_string(kShown) + " of " + std::to_string(impact.events.size()) +
                          " that cost the most; all in --json)")
      << ":\n";
  std::snprintf(line, sizeof line, "  %10s %-16s %-18s %-22s %-8s %-10s %9s %8s %7s %7s %8s %12s %13s %10s\n", "start",
                "actor", "operation", "target", "result", "guest", "offered", "failed", "retried", "lost", "unfin",
                "extra delay", "slow/baseline", "recover");
  out << line;
  for (std::size_t i : order) {
    const EventImpact& e = impact.events[i];
    for (std::size_t g = 0; g < e.guests.size(); ++g) {
      const ImpactFigures& f = e.guests[g];
      if (f.offered == 0 && g > 0)
        continue;
      const bool first = g == 0;
      std::snprintf(line, sizeof line,
                    "  %10s %-16.16s %-18.18s %-22.22s %-8.8s %-10.10s %9llu %8llu %7llu %7llu %8llu %12s %13s %10s\n",
                    first ? (units::format_duration(e.event.start)).c_str() : "", first ? e.event.actor.c_str() : "",
                    first ? e.event.op.c_str() : "", first ? e.event.target.c_str() : "",
                    first ? e.event.result.c_str() : "", result.guests[g].name.c_str(),
                    static_cast<unsigned long long>(f.offered), static_cast<unsigned long long>(f.failed()),
                    static_cast<unsigned long long>(f.retried), static_cast<unsigned long long>(f.lost_in_card),
                    static_cast<unsigned long long>(f.unfinished),
                    paired && f.paired ? (format_value(f.extra_delay, FigureKind::duration) + "*r").c_str() : "-",
                    paired && f.paired ? (count_text(f.slow) + "/" + count_text(f.baseline_slow)).c_str() : "-",
                    recover_text(e.time_to_recover[g]).c_str());
      out << line;
    }
  }
  return out.str();
}

std::string control_summary(const RunResult& result) {
  std::ostringstream out;
  char line[512];
  auto d = [](double seconds) { return units::format_duration(seconds); };
  const ControlResult& control = result.control;
  out << "\nreconfiguration: strategy " << control.strategy << " (" << control.strategy_file << ")\n";
  out << impact_summary(result);
  const DataPlaneEvents& data = result.data;
  std::snprintf(line, sizeof line,
                "  data path: %llu unplugs, %llu plugs, %llu queue resets, %llu requests lost in the card, %llu "
                "retries\n\n",
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

  if (const ReplayReport& r = control.replay; r.present) {
    out << "\nreplay of a schedule explore found (" << r.explored
        << "): " << (r.reproduced ? "REPRODUCED" : "NOT REPRODUCED") << ", " << r.followed << " of " << r.points
        << " points followed\n  explore found: " << r.expected << "\n  this run:      " << r.reached << "\n";
    if (!r.divergence.empty())
      out << "  " << r.divergence << "\n";
  }
  if (control.deadlocks.empty() && control.stolen_queues.empty() && control.inversions.empty() &&
      control.kernel_bugs.empty())
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
  for (const KernelBugReport& b : control.kernel_bugs) {
    std::snprintf(line, sizeof line, "  KERNEL BUG at %.6fs: ", b.time);
    out << line << b.actor << " running " << b.op << " at " << b.where << ": " << b.what
        << "; the task dies holding its locks.\n";
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

Json histogram_json(const LatencyHistogram& h) {
  Json buckets = Json::array();
  const std::vector<uint64_t>& counts = h.bucket_counts();
  for (std::size_t b = 0; b < counts.size(); ++b)
    if (counts[b] > 0)
      buckets.push_back(Json::array({b, counts[b]}));
  return Json{{"lowest_s", h.lowest()},
              {"highest_s", h.highest()},
              {"relative_error", h.relative_error()},
              {"buckets", buckets},
              {"sum_s", h.sum()},
              {"min_s", h.min()},
              {"max_s", h.max()},
              {"underflow_max_s", h.underflow_max()}};
}

LatencyHistogram histogram_from_json(const Json& j) {
  std::vector<std::pair<std::size_t, uint64_t>> buckets;
  for (const Json& b : j.at("buckets"))
    buckets.emplace_back(b.at(0).get<std::size_t>(), b.at(1).get<uint64_t>());
  return LatencyHistogram::restore(j.at("lowest_s").get<double>(), j.at("highest_s").get<double>(),
                                   j.at("relative_error").get<double>(), buckets, j.at("sum_s").get<double>(),
                                   j.at("min_s").get<double>(), j.at("max_s").get<double>(),
                                   j.at("underflow_max_s").get<double>());
}

namespace {

Json columns_json(const SeriesColumns& c) {
  auto numbers = [](const std::vector<double>& v) {
    Json out = Json::array();
    for (double x : v)
      out.push_back(number_or_null(x));
    return out;
  };
  return Json{{"completed", c.completed},
              {"failed", c.failed},
              {"mean_latency_s", numbers(c.mean_latency)},
              {"p50_latency_s", numbers(c.p50_latency)},
              {"p99_latency_s", numbers(c.p99_latency)},
              {"usable_queues", c.usable_queues},
              {"in_flight", c.in_flight}};
}

SeriesColumns columns_from_json(const Json& j) {
  auto numbers = [](const Json& v) {
    std::vector<double> out;
    for (const Json& x : v)
      out.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
    return out;
  };
  SeriesColumns c;
  c.completed = j.at("completed").get<std::vector<uint64_t>>();
  c.failed = j.at("failed").get<std::vector<uint64_t>>();
  c.mean_latency = numbers(j.at("mean_latency_s"));
  c.p50_latency = numbers(j.at("p50_latency_s"));
  c.p99_latency = numbers(j.at("p99_latency_s"));
  c.usable_queues = j.at("usable_queues").get<std::vector<uint32_t>>();
  c.in_flight = j.at("in_flight").get<std::vector<uint64_t>>();
  return c;
}

} // namespace

Json series_json(const TimeSeries& series) {
  Json out;
  out["window_s"] = series.window;
  Json& guests = out["guests"];
  guests = Json::object();
  for (std::size_t g = 0; g < series.per_guest.size(); ++g)
    guests[series.guests[g]] = columns_json(series.per_guest[g]);
  out["all"] = columns_json(series.all);
  return out;
}

TimeSeries series_from_json(const Json& j) {
  TimeSeries series;
  series.window = j.at("window_s").get<double>();
  for (const auto& [name, columns] : j.at("guests").items()) {
    series.guests.push_back(name);
    series.per_guest.push_back(columns_from_json(columns));
  }
  series.all = columns_from_json(j.at("all"));
  return series;
}

BaselineFigures baseline_from_json(const Json& j) {
  BaselineFigures b;
  b.present = true;
  auto counts = [](const Json& c) {
    RequestCounts r;
    r.offered = c.at("offered").get<uint64_t>();
    r.completed = c.at("completed").get<uint64_t>();
    r.failed = c.at("failed").get<uint64_t>();
    return r;
  };
  const Json& summary = j.at("summary");
  b.requests = counts(summary);
  b.throughput_per_s = summary.at("throughput_per_s").get<double>();
  b.latency = summary_of(summary.at("latency_s"));
  for (const auto& [name, guest] : j.at("guests").items()) {
    b.guests.push_back(counts(guest));
    b.guest_latency.push_back(summary_of(guest.at("latency_s")));
  }
  b.series = series_from_json(j.at("series"));
  b.latency_ccdf = ccdf_of(summary.value("latency_ccdf", Json()));
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

Json final_state_json(const ControlFinalState& f) {
  return Json{{"apmask", f.apmask},
              {"aqmask", f.aqmask},
              {"drivers", f.drivers},
              {"assigned", f.assigned},
              {"plugged", f.plugged}};
}

Json manifest_json(const Manifest& m) {
  Json manifest;
  manifest["version"] = m.version;
  manifest["git_commit"] = m.git_commit;
  manifest["simgrid_version"] = m.simgrid_version;
  manifest["config_file"] = m.config_file;
  manifest["config_sha256"] = m.config_sha256;
  manifest["seed"] = m.seed;
  manifest["config"] = m.resolved_config_json.empty() ? Json::object() : Json::parse(m.resolved_config_json);
  return manifest;
}

Json to_json(const RunResult& result) {
  Json out;
  out["manifest"] = manifest_json(result.manifest);

  Json& run = out["run"];
  run["horizon_s"] = result.horizon;
  run["warmup_s"] = result.warmup;
  run["window_s"] = result.window();
  run["events"] = result.events;
  run["peak_requests_in_flight"] = result.peak_requests_in_flight;

  const bool compared = result.baseline.present;
  out["summary"] = counts_json(overall_counts(result), overall_latency(result), result.window());
  const uint64_t completed = overall_counts(result).completed;
  const double lost = compared ? static_cast<double>(result.baseline.requests.completed) - completed : 0;
  // throughput_loss is the completed-request deficit: see its declaration.
  out["summary"]["throughput_loss"] = compared ? Json(throughput_loss(result)) : Json(nullptr);
  out["summary"]["lost_requests"] = compared ? Json(lost) : Json(nullptr);
  // Lost work as seconds of the baseline's throughput: what an operator would have to make up for.
  out["summary"]["lost_request_seconds"] =
      compared && result.baseline.throughput_per_s > 0 ? Json(lost / result.baseline.throughput_per_s) : Json(nullptr);

  Json& guests = out["guests"];
  guests = Json::object();
  for (std::size_t g = 0; g < result.guests.size(); ++g) {
    const GuestResult& guest = result.guests[g];
    Json j = counts_json(guest.requests, guest.latency, result.window());
    if (compared && g < result.baseline.guests.size()) {
      const auto base = static_cast<double>(result.baseline.guests[g].completed);
      j["throughput_loss"] = base > 0 ? 1.0 - static_cast<double>(guest.requests.completed) / base : 0.0;
    }
    guests[guest.name] = std::move(j);
  }
  if (compared) {
    Json base_guests = Json::object();
    for (std::size_t g = 0; g < result.baseline.guests.size() && g < result.guests.size(); ++g)
      base_guests[result.guests[g].name] = Json{{"offered", result.baseline.guests[g].offered},
                                                {"completed", result.baseline.guests[g].completed},
                                                {"failed", result.baseline.guests[g].failed},
                                                {"latency_s", summary_json(result.baseline.guest_latency[g])}};
    out["baseline"] = Json{{"offered", result.baseline.requests.offered},
                           {"completed", result.baseline.requests.completed},
                           {"failed", result.baseline.requests.failed},
                           {"throughput_per_s", result.baseline.throughput_per_s},
                           {"latency_s", summary_json(result.baseline.latency)},
                           {"latency_ccdf", ccdf_points_json(result.baseline.latency_ccdf)},
                           {"guests", base_guests},
                           {"series", series_json(result.baseline.series)}};
  }
  if (result.impact.enabled)
    out["reconfiguration"] = reconfiguration_json(result);
  out["data"] = Json{{"unplugs", result.data.unplugs},
                     {"plugs", result.data.plugs},
                     {"resets", result.data.resets},
                     {"requests_lost", result.data.requests_lost},
                     {"requests_retried", result.data.requests_retried}};
  out["series"] = series_json(result.series);
  out["control"] = control_json(result.control);
  out["monitors"] = monitors_json(result.control);
  Json& cards = out["cards"];
  cards = Json::object();
  for (const CardResult& card : result.cards)
    cards[hex_id(card.adapter)] = Json{
        {"type", card.type}, {"engines", card.engines}, {"served", card.served}, {"utilization", card.utilization}};
  // The histograms themselves: replications pool them for quantiles with valid intervals (tail_statistics.hpp).
  Json& histograms = out["histograms"];
  histograms["all"] = histogram_json(overall_latency(result));
  Json& per_guest = histograms["guests"];
  per_guest = Json::object();
  for (const GuestResult& guest : result.guests)
    per_guest[guest.name] = histogram_json(guest.latency);
  if (result.impact.enabled) {
    Json reconfiguration = Json::object();
    for (std::size_t g = 0; g < result.guests.size() && g < result.impact.latency.size(); ++g)
      reconfiguration[result.guests[g].name] = histogram_json(result.impact.latency[g]);
    histograms["reconfiguration"] = reconfiguration;
    if (result.impact.paired) {
      Json baseline = Json::object();
      for (std::size_t g = 0; g < result.guests.size() && g < result.impact.baseline_latency.size(); ++g)
        baseline[result.guests[g].name] = histogram_json(result.impact.baseline_latency[g]);
      histograms["reconfiguration_baseline"] = baseline;
    }
  }
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
  if (overall_counts(result).failed > 0) {
    // Why requests failed, as zcrypt tells the guest.
    std::snprintf(line, sizeof line, "\n%-14s %10s %10s %14s\n", "failed", "ENODEV", "EIO", "guest stopped");
    out << line;
    for (const GuestResult& guest : result.guests) {
      const RequestCounts& c = guest.requests;
      if (c.failed == 0)
        continue;
      std::snprintf(line, sizeof line, "%-14s %10llu %10llu %14llu\n", guest.name.c_str(),
                    static_cast<unsigned long long>(c.failed_enodev), static_cast<unsigned long long>(c.failed_eio),
                    static_cast<unsigned long long>(c.failed_guest_stopped));
      out << line;
    }
    std::snprintf(line, sizeof line, "%-14s\n",
                  "  (ENODEV: no usable queue left; EIO: 10 attempts; guest stopped: in "
                  "flight when its VM went away)");
    out << line;
  }

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

} // namespace apq
