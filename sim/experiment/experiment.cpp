#include "sim/experiment/experiment.hpp"

#include "analysis/figure_format.hpp"
#include "analysis/mser.hpp"
#include "analysis/sha256.hpp"
#include "analysis/tail_statistics.hpp"
#include "models/random.hpp"
#include "models/units.hpp"
#include "sim/data_plane/attribution.hpp"
#include "sim/experiment/design.hpp"
#include "sim/fork_runner.hpp"
#include "sim/scenario/topology.hpp"
#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>
#include <toml++/toml.h>

namespace apq {

namespace {

/** What the baseline of a scenario depends on: everything but the control plane. */
std::string baseline_key(const Scenario& scenario) {
  toml::table table = toml::parse(scenario.resolved_toml);
  table.erase("reconfig");
  table.erase("control");
  if (auto* run = table.get_as<toml::table>("run")) {
    run->erase("strategy");
    run->erase("expect");
    run->erase("seed");
  }
  std::ostringstream out;
  out << toml::toml_formatter{table};
  return out.str();
}

bool needs_baseline(const Scenario& scenario) {
  return scenario.control.reconfigures() && scenario.control.baseline;
}

} // namespace

Scenario with_seed(const Scenario& scenario, uint64_t seed) {
  Scenario copy = scenario;
  copy.run.seed = seed;
  return copy;
}

std::vector<std::vector<Replication>> run_replications(const std::vector<const Scenario*>& scenarios, std::size_t first,
                                                       std::size_t count, const ExperimentOptions& options,
                                                       const ScenarioDone& scenario_done) {
  // One pool of children for everything: each baseline (once per seed and workload, keyed by a hash of the
  // scenario without its control plane) just before the first run that pairs with it, each run as soon as its
  // baseline is there (the child reads the baseline's bytes, inherited from this process, which never simulates).
  std::vector<ScheduledJob> jobs;
  struct RunJob {
    std::size_t scenario, replication;
    std::optional<std::size_t> baseline; // index into baselines
  };
  std::vector<std::optional<RunJob>> run_of_job; // per job: the run it is, nothing for a baseline
  std::vector<std::size_t> baseline_of_job;      // per job: its index into baselines, for a baseline
  std::deque<std::string> baselines;      // the baselines' outputs while a run still needs them (stable addresses)
  std::vector<std::size_t> pending_pairs; // per baseline: runs that pair with it and did not complete
  std::map<std::pair<std::string, uint64_t>, std::size_t> known; // (baseline key, seed) -> job
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    const std::string key = needs_baseline(*scenarios[s]) ? sha256_hex(baseline_key(*scenarios[s])) : std::string();
    for (std::size_t r = 0; r < count; ++r) {
      const uint64_t seed = scenarios[s]->run.seed + first + r;
      RunJob run{s, r, std::nullopt};
      std::optional<std::size_t> after;
      if (!key.empty()) {
        auto [it, added] = known.emplace(std::make_pair(key, seed), jobs.size());
        if (added) {
          const Scenario* scenario = scenarios[s];
          jobs.push_back(ScheduledJob{
              [scenario, seed, &options] { return run_baseline(with_seed(*scenario, seed), options.simgrid_args); },
              std::nullopt});
          run_of_job.emplace_back();
          baseline_of_job.resize(jobs.size());
          baseline_of_job.back() = baselines.size();
          baselines.emplace_back();
          pending_pairs.push_back(0);
        }
        after = it->second;
        run.baseline = baseline_of_job[it->second];
        ++pending_pairs[*run.baseline];
      }
      const Scenario* scenario = scenarios[s];
      const std::string* baseline = run.baseline ? &baselines[*run.baseline] : nullptr;
      jobs.push_back(ScheduledJob{[scenario, seed, baseline, &options] {
                                    RunOptions run_options;
                                    run_options.simgrid_args = options.simgrid_args;
                                    BaselineRun paired;
                                    if (baseline != nullptr) {
                                      paired = BaselineRun::decode(*baseline);
                                      run_options.pair_with = &paired;
                                    }
                                    return to_json(simulate(with_seed(*scenario, seed), run_options)).dump();
                                  },
                                  after});
      run_of_job.push_back(run);
      baseline_of_job.resize(jobs.size());
    }
  }

  // Replications in seed order per scenario, whatever order the children end in (the result does not depend on
  // --jobs); a scenario is handed to scenario_done as soon as all its replications are in.
  std::vector<std::vector<std::optional<Replication>>> slots(scenarios.size(),
                                                             std::vector<std::optional<Replication>>(count));
  std::vector<std::size_t> missing(scenarios.size(), count);
  std::vector<std::vector<Replication>> out(scenarios.size());
  auto gather = [&](std::size_t s) {
    std::vector<Replication> runs;
    for (auto& slot : slots[s])
      if (slot)
        runs.push_back(std::move(*slot));
    slots[s].clear();
    return runs;
  };
  auto done = [&](std::size_t job, std::string&& output) {
    if (!run_of_job[job]) { // a baseline: kept until the runs that pair with it complete
      baselines[baseline_of_job[job]] = std::move(output);
      return;
    }
    const RunJob& run = *run_of_job[job];
    if (run.baseline && --pending_pairs[*run.baseline] == 0)
      std::string().swap(baselines[*run.baseline]);
    Replication replication;
    replication.seed = scenarios[run.scenario]->run.seed + first + run.replication;
    replication.result = Json::parse(output);
    replication.figures = numeric_figures(replication.result);
    add_derived_figures(replication.figures);
    slots[run.scenario][run.replication] = std::move(replication);
    if (--missing[run.scenario] == 0) {
      out[run.scenario] = gather(run.scenario);
      if (scenario_done)
        scenario_done(run.scenario, out[run.scenario]);
    }
  };
  try {
    run_scheduled(jobs, options.jobs, done, [&options](std::size_t finished, std::size_t total) {
      if (options.progress)
        options.progress(finished, total);
    });
  } catch (const ChildRunError& e) { // keep what completed: whole scenarios, and the runs of the others
    for (std::size_t s = 0; s < scenarios.size(); ++s)
      if (missing[s] != 0)
        out[s] = gather(s);
    throw IncompleteExperiment(e.what(), std::move(out), e.signal());
  }
  return out;
}

namespace {

/** MSER-5 on a run's whole series (warm-up included): where that run's start-up transient seems to end. */
WarmupDetection transient_end(const Json& result) {
  const Json& series = result.at("series");
  const Json& all = series.at("all");
  std::vector<double> mean;
  for (const Json& m : all.at("mean_latency_s"))
    mean.push_back(m.is_null() ? NAN : m.get<double>());
  return mser5_warmup(all.at("completed").get<std::vector<uint64_t>>(), mean, series.at("window_s").get<double>());
}

bool scripted(const Scenario& scenario) {
  return !scenario.control.timeline.empty();
}

/** The latency's integrated correlation time, from the replications: a run's mean over N windows of width W has
 * variance s_w^2 2 tau / (N W), s_w^2 the variance of the window means inside a run, so tau = Var(run means) N W /
 * (2 s_w^2), the variance between independent replications measuring it whatever the correlation inside a run.
 * Returns tau and the measured seconds; NaN when there is too little to tell. */
std::pair<double, double> correlation_time(const std::vector<Replication>& runs) {
  std::vector<double> run_means;
  double within = 0, windows = 0, width = 0;
  for (const Replication& r : runs) {
    const Json& series = r.result.at("series");
    width = series.at("window_s").get<double>();
    const double warmup = r.result.at("run").at("warmup_s").get<double>();
    const Json& mean = series.at("all").at("mean_latency_s");
    std::vector<double> xs;
    for (std::size_t k = static_cast<std::size_t>(std::ceil(warmup / width - 1e-9)); k < mean.size(); ++k)
      if (!mean[k].is_null())
        xs.push_back(mean[k].get<double>());
    if (xs.size() < 10)
      return {NAN, NAN};
    const ConfidenceInterval ci = mean_confidence_interval(xs, 0.95);
    double squares = 0;
    for (double x : xs)
      squares += (x - ci.mean) * (x - ci.mean);
    within += squares / static_cast<double>(xs.size() - 1);
    windows += static_cast<double>(xs.size());
    run_means.push_back(ci.mean);
  }
  within /= static_cast<double>(runs.size());
  windows /= static_cast<double>(runs.size());
  double between = 0;
  const double grand = std::accumulate(run_means.begin(), run_means.end(), 0.0) / static_cast<double>(run_means.size());
  for (double m : run_means)
    between += (m - grand) * (m - grand);
  between /= static_cast<double>(run_means.size() - 1);
  if (!(within > 0))
    return {NAN, NAN};
  return {between * windows * width / (2 * within), windows * width};
}

} // namespace

ReplicatedFigures summarize(const Scenario& scenario, const std::vector<Replication>& runs, double confidence) {
  std::vector<const Json*> results;
  std::vector<std::map<std::string, double>> figures;
  for (const Replication& r : runs) {
    results.push_back(&r.result);
    figures.push_back(r.figures);
  }
  ReplicatedFigures out = summarize_replications(results, figures, confidence);
  // Runs short against the latency's correlation time hold a few congestion episodes each: figures then swing from
  // one replication to the next and intervals built on a handful of them do not hold (the coverage study: M/M/4 at
  // rho 0.95 over 1.8 s, about 4.6 times twice its correlation time, gave 0.90 for the mean and 0.64 for p99). The
  // estimate of tau is itself noisy, and runs that happen to agree are the ones whose intervals are too narrow, so
  // the threshold keeps a wide margin: 40.
  if (runs.size() >= 2) {
    const auto [tau, measured] = correlation_time(runs);
    if (std::isfinite(tau) && tau > 0 && measured / (2 * tau) < kMinIndependentStretches) {
      char text[400];
      std::snprintf(text, sizeof text,
                    "each run measures %s, only about %.2g times twice the latency's correlation time (%s, from the "
                    "spread between replications; fewer than %.0f): a few congestion episodes make each run's "
                    "figures, and the intervals may not hold; lengthen the runs",
                    units::format_duration(measured).c_str(), measured / (2 * tau), units::format_duration(tau).c_str(),
                    kMinIndependentStretches);
      out.warnings.push_back(StatWarning{"", text});
    }
  }
  // Initialization bias: MSER-5 on each replication's series, warm-up included (the diagnostic use of White's
  // rule). When most replications place the end of the start-up transient after the configured warm-up, the
  // figures mix in the transient from an empty system. Not for scripted reconfiguration, which is a transient by
  // design (the replications then estimate the scripted run, as they should).
  if (runs.size() >= 2 && !scripted(scenario) && !scenario.run.detect_warmup) {
    std::vector<double> cuts;
    double batch = 0;
    for (const Replication& r : runs) {
      cuts.push_back(transient_end(r.result).warmup);
      batch = 5 * r.result.at("series").at("window_s").get<double>();
    }
    std::sort(cuts.begin(), cuts.end());
    const double median = cuts[cuts.size() / 2];
    if (median > scenario.run.warmup + batch) {
      char text[400];
      std::snprintf(text, sizeof text,
                    "MSER-5 on the replications places the end of the start-up transient at %s (median of %zu), "
                    "after the warm-up (%s): the figures include the transient from an empty system and describe "
                    "these runs, not a steady state; lengthen [run] warmup (or warmup = \"mser5\") and horizon",
                    units::format_duration(median).c_str(), cuts.size(),
                    units::format_duration(scenario.run.warmup).c_str());
      out.warnings.push_back(StatWarning{"", text});
    }
  }
  return out;
}

namespace {

/** The interval the stopping rule judges, over the first n replications. */
ConfidenceInterval target_interval(const Scenario& scenario, const std::vector<Replication>& runs, std::size_t n,
                                   const std::string& metric, double confidence) {
  const std::vector<Replication> first(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(n));
  const ReplicatedFigures f = summarize(scenario, first, confidence);
  const auto it = f.intervals.find(metric);
  return it == f.intervals.end() ? ConfidenceInterval{NAN, NAN, NAN, NAN, 0} : it->second;
}

/** A seed for the MSER-5 pilot that no replication uses (they use seed .. seed + max - 1). */
uint64_t pilot_seed(uint64_t seed, std::size_t max_replications) {
  uint64_t pilot = stream_key(seed, "mser5-pilot") & 0x7fffffffffffffffULL; // a TOML integer
  while (pilot >= seed && pilot - seed < max_replications)
    pilot = (pilot + max_replications) & 0x7fffffffffffffffULL;
  return pilot;
}

} // namespace

ReplicatedResult replicate(const Scenario& scenario, const StoppingRule& rule, const ExperimentOptions& options) {
  ReplicatedResult result;
  Scenario effective = scenario;
  std::vector<StatWarning> warnings;
  const std::size_t max_replications = std::max(rule.max_replications, rule.replications);
  if (scenario.run.detect_warmup) {
    // A pilot run without warm-up shows the transient; MSER-5 on its windows of mean latency says where it ends.
    result.pilot_seed = pilot_seed(scenario.run.seed, max_replications);
    const Scenario pilot_scenario = with_seed(scenario, result.pilot_seed);
    const auto pilot = run_replications({&pilot_scenario}, 0, 1, options);
    const Json& series = pilot[0][0].result.at("series");
    const Json& all = series.at("all");
    std::vector<double> mean;
    for (const Json& m : all.at("mean_latency_s"))
      mean.push_back(m.is_null() ? NAN : m.get<double>());
    const WarmupDetection detected =
        mser5_warmup(all.at("completed").get<std::vector<uint64_t>>(), mean, series.at("window_s").get<double>());
    effective.run.warmup = std::min(detected.warmup, scenario.run.horizon / 2);
    result.warmup_detected = true;
    result.warmup_reliable = detected.reliable;
    if (!detected.reliable)
      warnings.push_back(
          StatWarning{"", "MSER-5 cannot place the warm-up: its statistic keeps falling until " +
                              units::format_duration(detected.minimum_at) + ", beyond the first half of the " +
                              units::format_duration(scenario.run.horizon) +
                              " run, so the run is too short to tell where the "
                              "transient ends; the best cut in the first half (" +
                              units::format_duration(detected.warmup) + ") is used; lengthen the horizon"});
  }
  result.warmup = effective.run.warmup;

  const bool sequential = rule.target_relative_error > 0;
  const std::size_t start =
      sequential ? std::max(rule.replications, rule.min_replications) : std::max<std::size_t>(rule.replications, 1);
  const double precision = rule.target_relative_error / (1 + rule.target_relative_error);
  std::size_t checked = 0; // the rule has judged the first `checked` replications
  std::size_t batch = std::min(start, max_replications);
  while (true) {
    std::vector<std::vector<Replication>> runs;
    try {
      runs = run_replications({&effective}, result.runs.size(), batch, options);
    } catch (const IncompleteExperiment& e) { // report what completed, marked incomplete
      runs = e.complete();
      result.incomplete = e.what();
      result.signal = e.signal();
      if (result.runs.empty() && runs[0].empty())
        throw;
    }
    for (Replication& r : runs[0])
      result.runs.push_back(std::move(r));
    if (!sequential || !result.incomplete.empty())
      break;
    // Judged one replication count at a time, in order, from the smallest: the decision (and so the result) is
    // the same whatever the batches were, that is whatever --jobs is; runs past the stopping point are dropped.
    bool stop = false;
    for (std::size_t n = std::max(checked + 1, start); n <= result.runs.size() && !stop; ++n) {
      const ConfidenceInterval ci = target_interval(effective, result.runs, n, rule.target_metric, options.confidence);
      checked = n;
      if (ci.n >= 2 && std::isfinite(ci.half_width) && ci.half_width <= precision * std::abs(ci.mean)) {
        result.runs.resize(n);
        stop = true;
      }
    }
    result.target_reached = stop;
    if (stop || result.runs.size() >= max_replications)
      break;
    batch = std::min<std::size_t>(std::max(options.jobs, 1), max_replications - result.runs.size());
  }
  result.figures = summarize(effective, result.runs, options.confidence);
  result.figures.warnings.insert(result.figures.warnings.begin(), warnings.begin(), warnings.end());
  if (sequential && !result.target_reached) {
    char text[200];
    std::snprintf(text, sizeof text, "did not reach the relative error %g within %zu replications",
                  rule.target_relative_error, max_replications);
    result.figures.warnings.push_back(StatWarning{rule.target_metric, text});
  }
  return result;
}

Json replicated_json(const ReplicatedResult& result, const StoppingRule& rule, double confidence) {
  Json out;
  out["manifest"] = result.runs.front().result.at("manifest");
  Json seeds = Json::array();
  for (const Replication& r : result.runs)
    seeds.push_back(r.seed);
  out["manifest"]["seeds"] = seeds;
  Json& rep = out["replications"];
  rep["count"] = result.runs.size();
  rep["confidence"] = confidence;
  rep["warmup_s"] = result.warmup;
  rep["warmup_detected"] =
      result.warmup_detected ? Json(result.warmup_reliable ? "mser5" : "mser5 (unreliable)") : Json(false);
  if (result.warmup_detected)
    rep["pilot_seed"] = result.pilot_seed;
  if (!result.incomplete.empty())
    rep["incomplete"] = result.incomplete;
  if (rule.target_relative_error > 0)
    rep["target"] = Json{{"metric", rule.target_metric},
                         {"relative_error", rule.target_relative_error},
                         {"relative_half_width", rule.target_relative_error / (1 + rule.target_relative_error)},
                         {"min_replications", rule.min_replications},
                         {"reached", result.target_reached}};
  out["warnings"] = warnings_json(result.figures.warnings);
  Json& figures = out["figures"];
  figures = Json::object();
  for (const auto& [path, ci] : result.intervals()) {
    Json j = interval_json(ci);
    if (auto it = result.figures.methods.find(path); it != result.figures.methods.end())
      j["method"] = it->second;
    figures[path] = std::move(j);
  }
  return out;
}

std::string replicated_summary(const Scenario& scenario, const ReplicatedResult& result, double confidence) {
  std::ostringstream out;
  char line[320];
  out << "apqsim · " << scenario.file.string() << " · " << result.runs.size() << " replications (seeds "
      << result.runs.front().seed << ".." << result.runs.back().seed << ") · " << confidence * 100
      << "% confidence intervals\n";
  if (!result.incomplete.empty())
    out << "INCOMPLETE: " << result.runs.size() << " replications completed (" << result.incomplete << ")\n";
  out << "measured " << units::format_duration(result.warmup) << ".." << units::format_duration(scenario.run.horizon)
      << " of each run";
  if (result.warmup_detected)
    out << " (warm-up detected by MSER-5 on a pilot run, seed " << result.pilot_seed
        << (result.warmup_reliable ? ")" : "; unreliable: see the warning)");
  out << "; mean +- half-width (Student t over replications); latency quantiles: pooled estimate [interval] (from "
         "the replications' exceedance fractions)\n\n";
  const auto& intervals = result.intervals();
  auto row = [&](const std::string& label, const std::string& path, FigureKind kind) {
    const auto it = intervals.find(path);
    if (it == intervals.end())
      return;
    const ConfidenceInterval& ci = it->second;
    const auto method = result.figures.methods.find(path);
    std::string text;
    if (method != result.figures.methods.end() && method->second == "exceedance")
      text = format_bounds(ci.mean, ci.lower, ci.upper, kind);
    else if (method != result.figures.methods.end() && method->second == "largest")
      text = format_value(ci.mean, kind) + " (largest of all replications)";
    else
      text = format_interval(ci.mean, ci.half_width, kind);
    std::snprintf(line, sizeof line, "  %-44s %s\n", label.c_str(), text.c_str());
    out << line;
  };
  row("throughput", "summary.throughput_per_s", FigureKind::rate);
  row("completed", "summary.completed", FigureKind::count);
  row("failed", "summary.failed", FigureKind::count);
  for (const char* q : {"mean", "p50", "p90", "p99", "p999", "max"})
    row(std::string("latency ") + q, std::string("summary.latency_s.") + q, FigureKind::duration);
  for (const GuestSpec& guest : scenario.guests) {
    const std::string prefix = "guests." + guest.name;
    row("guest " + guest.name + " throughput", prefix + ".throughput_per_s", FigureKind::rate);
    if (auto it = intervals.find(prefix + ".failed"); it != intervals.end() && it->second.mean > 0)
      row("guest " + guest.name + " failed", prefix + ".failed", FigureKind::count);
    row("guest " + guest.name + " latency p99", prefix + ".latency_s.p99", FigureKind::duration);
  }
  if (scenario.control.reconfigures()) {
    out << "\n  reconfiguration (requests that belong to an operation: issued in its window or touched by it)\n";
    row("completed-request deficit (throughput_loss)", "summary.throughput_loss", FigureKind::fraction);
    for (const GuestSpec& guest : scenario.guests) {
      const std::string prefix = "reconfiguration.impact.guests." + guest.name;
      row(guest.name + " requests that belong", prefix + ".offered", FigureKind::count);
      row(guest.name + " failed", prefix + ".failed", FigureKind::count);
      row(guest.name + " extra delay (request-s)", prefix + ".extra_delay_request_s", FigureKind::duration);
      row(guest.name + " slow requests (baseline: below)", prefix + ".slow", FigureKind::count);
      row(guest.name + "   baseline slow", prefix + ".baseline_slow", FigureKind::count);
      row(guest.name + " p99 of those requests", prefix + ".latency_s.p99", FigureKind::duration);
      row(guest.name + " longest time to recover", prefix + ".time_to_recover_s.max", FigureKind::duration);
    }
    for (const auto& [path, ci] : intervals)
      if (path.starts_with("control.ops.") && (path.ends_with(".ebusy") || path.ends_with(".retries")) && ci.mean > 0)
        row(path.substr(12), path, FigureKind::count);
    row("deadlocks per run", "monitors.deadlocks", FigureKind::count);
    row("stolen queues per run", "monitors.stolen_queues", FigureKind::count);
    row("lock-order inversions per run", "monitors.lock_order_inversions", FigureKind::count);
  }
  if (!result.figures.warnings.empty())
    out << "\n  " << result.figures.warnings.size() << (result.figures.warnings.size() == 1 ? " warning" : " warnings")
        << " on stderr\n";
  return out.str();
}

std::string warnings_text(const std::vector<StatWarning>& warnings) {
  std::string out;
  for (const StatWarning& w : warnings)
    out += "apqsim: warning: " + (w.figure.empty() ? std::string() : w.figure + ": ") + w.message + "\n";
  return out;
}

std::map<int, double> capacity_utilization(const Scenario& scenario) {
  const HostConfig host(scenario);
  std::map<int, double> work; // card -> offered seconds of card occupancy per second
  for (const GuestSpec& guest : scenario.guests) {
    const Apcb apcb = filter_matrix(scenario.mdevs[static_cast<std::size_t>(guest.mdev)], host);
    // Card occupancy of one request (engine time / engines) per card, averaged over the guest's mix.
    std::map<int, double> occupancy;
    double capacity = 0;
    for (int a : apcb.adapters.ids()) {
      const CardType& type = *scenario.find_card(a)->type;
      double mean = 0;
      for (const auto& [op, weight] : guest.ops.weights())
        if (type.supports(op))
          mean += weight * type.service[index_of(op)]->mean() / type.engines;
      occupancy[a] = mean;
      if (mean > 0)
        capacity += 1 / mean;
    }
    for (const auto& [a, mean] : occupancy)
      if (mean > 0) // this card's share of the guest's requests is its share of the capacity
        work[a] += guest.arrival->mean_rate() * ((1 / mean) / capacity) * mean;
  }
  return work;
}

std::vector<StatWarning> overload_warnings(const Scenario& scenario) {
  std::vector<StatWarning> out;
  for (const auto& [adapter, utilization] : capacity_utilization(scenario))
    if (utilization >= 1) {
      const CardSpec& card = *scenario.find_card(adapter);
      char percent[32];
      std::snprintf(percent, sizeof percent, "%.0f%%", 100 * utilization);
      out.push_back(StatWarning{
          "", card.where + ": card " + hex_id(adapter) + " (" + card.type->name + ") is offered " + percent +
                  " of what it can serve: its queues grow without bound, the figures describe a transient that "
                  "depends on the horizon, not a steady state, and a run stops with an error once " +
                  std::to_string(scenario.limits.in_flight) + " requests are in flight ([limits] in_flight)"});
    }
  return out;
}

} // namespace apq
