#include "sim/experiment/experiment.hpp"

#include "analysis/mser.hpp"
#include "sim/experiment/design.hpp"
#include "sim/fork_runner.hpp"
#include "sim/simulation.hpp"

#include "models/units.hpp"

#include <cmath>
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

/** Adds the loss against the baseline to a reconfigured run's document, as `apqsim run` reports it. */
void add_loss(Json& result, const Json& baseline) {
  const double completed = result["summary"]["completed"].get<double>();
  const double base = baseline.at("summary").at("completed").get<double>();
  const double base_throughput = baseline.at("summary").at("throughput_per_s").get<double>();
  Json& summary = result["summary"];
  summary["throughput_loss"] = base > 0 ? 1.0 - completed / base : 0.0;
  summary["lost_requests"] = base - completed;
  summary["lost_request_seconds"] = base_throughput > 0 ? (base - completed) / base_throughput : 0.0;
  result["baseline"] = Json{{"completed", base},
                            {"throughput_per_s", base_throughput},
                            {"latency_s", baseline.at("summary").at("latency_s")}};
}

} // namespace

Scenario with_seed(const Scenario& scenario, uint64_t seed) {
  Scenario copy = scenario;
  copy.run.seed = seed;
  return copy;
}

std::vector<std::vector<Replication>> run_replications(const std::vector<const Scenario*>& scenarios, std::size_t first,
                                                       std::size_t count, const ExperimentOptions& options) {
  struct Job {
    const Scenario* scenario;
    uint64_t seed;
    bool baseline;
  };
  std::vector<Job> jobs;
  std::vector<std::vector<std::size_t>> main_job(scenarios.size(), std::vector<std::size_t>(count));
  std::vector<std::vector<long>> baseline_job(scenarios.size(), std::vector<long>(count, -1));
  std::map<std::pair<std::string, uint64_t>, std::size_t> baselines;
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    const Scenario& scenario = *scenarios[s];
    const std::string key = scenario.control.reconfigures() ? baseline_key(scenario) : std::string();
    for (std::size_t r = 0; r < count; ++r) {
      const uint64_t seed = scenario.run.seed + first + r;
      main_job[s][r] = jobs.size();
      jobs.push_back(Job{&scenario, seed, false});
      if (!scenario.control.reconfigures())
        continue;
      auto [it, added] = baselines.emplace(std::make_pair(key, seed), jobs.size());
      if (added)
        jobs.push_back(Job{&scenario, seed, true});
      baseline_job[s][r] = static_cast<long>(it->second);
    }
  }
  std::vector<ChildJob> children;
  for (const Job& job : jobs)
    children.push_back([&job, &options] {
      RunOptions run;
      run.simgrid_args = options.simgrid_args;
      run.baseline = job.baseline;
      return to_json(simulate(with_seed(*job.scenario, job.seed), run)).dump();
    });
  std::vector<std::optional<std::string>> outputs;
  std::string failure;
  int signal = 0;
  try {
    for (std::string& output : run_in_children(children, options.jobs, options.progress))
      outputs.emplace_back(std::move(output));
  } catch (const ChildRunError& e) { // keep what completed
    outputs = e.outputs();
    failure = e.what();
    signal = e.signal();
  }

  std::vector<std::vector<Replication>> out(scenarios.size());
  for (std::size_t s = 0; s < scenarios.size(); ++s)
    for (std::size_t r = 0; r < count; ++r) {
      const auto& main = outputs[main_job[s][r]];
      const bool paired = baseline_job[s][r] >= 0;
      if (!main || (paired && !outputs[static_cast<std::size_t>(baseline_job[s][r])]))
        continue;
      Replication replication;
      replication.seed = jobs[main_job[s][r]].seed;
      replication.result = Json::parse(*main);
      if (paired)
        add_loss(replication.result, Json::parse(*outputs[static_cast<std::size_t>(baseline_job[s][r])]));
      replication.figures = numeric_figures(replication.result);
      add_derived_figures(replication.figures);
      out[s].push_back(std::move(replication));
    }
  if (!failure.empty())
    throw IncompleteExperiment(failure, std::move(out), signal);
  return out;
}

ReplicatedResult replicate(const Scenario& scenario, const StoppingRule& rule, const ExperimentOptions& options) {
  ReplicatedResult result;
  Scenario effective = scenario;
  if (scenario.run.detect_warmup) {
    // A pilot run without warm-up shows the transient; MSER-5 on its windows of mean latency says where it ends.
    const auto pilot = run_replications({&scenario}, 0, 1, options);
    const Json& series = pilot[0][0].result.at("series");
    std::vector<uint64_t> completed = series.at("completed").get<std::vector<uint64_t>>();
    std::vector<double> mean = series.at("mean_latency_s").get<std::vector<double>>();
    std::vector<double> sums(mean.size());
    for (std::size_t i = 0; i < mean.size(); ++i)
      sums[i] = mean[i] * static_cast<double>(completed[i]);
    effective.run.warmup = mser5_warmup(completed, sums, series.at("window_s").get<double>(), &result.warmup_reliable);
    result.warmup_detected = true;
  }
  result.warmup = effective.run.warmup;
  std::size_t done = 0;
  std::size_t batch = std::max<std::size_t>(rule.replications, 1);
  while (true) {
    std::vector<std::vector<Replication>> runs;
    try {
      runs = run_replications({&effective}, done, batch, options);
    } catch (const IncompleteExperiment& e) { // report what completed, marked incomplete
      runs = e.complete();
      result.incomplete = e.what();
      result.signal = e.signal();
      if (result.runs.empty() && runs[0].empty())
        throw;
    }
    for (Replication& r : runs[0])
      result.runs.push_back(std::move(r));
    done += batch;
    std::vector<std::map<std::string, double>> figures;
    for (const Replication& r : result.runs)
      figures.push_back(r.figures);
    result.intervals = figure_intervals(figures, options.confidence);
    if (rule.target_half_width <= 0 || !result.incomplete.empty())
      break;
    const auto it = result.intervals.find(rule.target_metric);
    result.target_reached = it != result.intervals.end() && it->second.n >= 2 &&
                            it->second.half_width <= rule.target_half_width * std::abs(it->second.mean);
    if (result.target_reached || done >= rule.max_replications)
      break;
    batch = std::min<std::size_t>(std::max(options.jobs, 1), rule.max_replications - done);
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
  if (!result.incomplete.empty())
    rep["incomplete"] = result.incomplete;
  if (rule.target_half_width > 0)
    rep["target"] = Json{{"metric", rule.target_metric},
                         {"relative_half_width", rule.target_half_width},
                         {"reached", result.target_reached}};
  Json& figures = out["figures"];
  figures = Json::object();
  for (const auto& [path, ci] : result.intervals)
    figures[path] = interval_json(ci);
  return out;
}

std::string replicated_summary(const Scenario& scenario, const ReplicatedResult& result, double confidence) {
  std::ostringstream out;
  char line[256];
  out << "apqsim · " << scenario.file.string() << " · " << result.runs.size() << " replications (seeds "
      << result.runs.front().seed << ".." << result.runs.back().seed << ") · " << confidence * 100
      << "% confidence intervals (Student t)\n";
  if (!result.incomplete.empty())
    out << "INCOMPLETE: " << result.runs.size() << " replications completed (" << result.incomplete << ")\n";
  if (result.warmup_detected)
    out << "warm-up detected by MSER-5: " << units::format_duration(result.warmup)
        << (result.warmup_reliable ? "" : " (unreliable: the minimum is in the second half; run longer)") << "\n";
  out << "\n";
  auto row = [&](const std::string& label, const std::string& path, bool duration) {
    const auto it = result.intervals.find(path);
    if (it == result.intervals.end())
      return;
    const ConfidenceInterval& ci = it->second;
    const std::string mean = duration ? units::format_duration(ci.mean) : units::format_number(ci.mean);
    const std::string hw = std::isfinite(ci.half_width) ? (duration ? units::format_duration(ci.half_width)
                                                                    : units::format_number(ci.half_width))
                                                        : "n/a";
    std::snprintf(line, sizeof line, "  %-40s %12s  +- %-10s\n", label.c_str(), mean.c_str(), hw.c_str());
    out << line;
  };
  row("throughput (req/s)", "summary.throughput_per_s", false);
  row("completed", "summary.completed", false);
  row("failed", "summary.failed", false);
  row("throughput loss (fraction)", "summary.throughput_loss", false);
  for (const char* q : {"mean", "p50", "p90", "p99", "p999", "max"})
    row(std::string("latency ") + q, std::string("summary.latency_s.") + q, true);
  for (const GuestSpec& guest : scenario.guests) {
    row("guest " + guest.name + " throughput (req/s)", "guests." + guest.name + ".throughput_per_s", false);
    row("guest " + guest.name + " latency p99", "guests." + guest.name + ".latency_s.p99", true);
  }
  row("p99 inside reconfiguration windows", "reconfig_windows.latency_s.p99", true);
  for (const auto& [path, ci] : result.intervals)
    if (path.starts_with("control.ops.") && (path.ends_with(".ebusy") || path.ends_with(".retries")) && ci.mean > 0)
      row(path.substr(12), path, false);
  row("deadlocks per run", "monitors.deadlocks", false);
  row("stolen queues per run", "monitors.stolen_queues", false);
  row("lock-order inversions per run", "monitors.lock_order_inversions", false);
  return out.str();
}

} // namespace apq
