#pragma once
// Results for people and for programs: the JSON document (metric names are a contract, see README.md),
// the human summary, and writing files so that a reader never sees half of one.

#include "analysis/run_result.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace apq {

using Json = nlohmann::ordered_json;

/** {mean, p50, p90, p99, p999, p9999, max, min} in seconds; all 0 when nothing was recorded. */
Json latency_json(const LatencyHistogram& histogram);

/** Where a result came from: version, commit, SimGrid version, config file and hash, seed, the resolved config. */
Json manifest_json(const Manifest& manifest);

/** The control plane's final state: ap_perms, the driver of each queue, each mdev's assignment, what is plugged. */
Json final_state_json(const ControlFinalState& final_state);

/** The distribution's tail as people plot it, P(latency > x) on log axes: {"latency_s": [...], "exceeding": [...]}
 *  at the quantiles 0, 1 - 10^(-k/8) (k = 1, 2, ... while that is at least 1/n) and the maximum at 1/n. Empty
 *  arrays when nothing was recorded. */
Json ccdf_json(const LatencyHistogram& histogram);

/** The whole result; the same result gives the same bytes. */
Json to_json(const RunResult& result);

/** Reads back the figures a baseline run reports (from its to_json), for the reconfigured run's comparison. */
BaselineFigures baseline_from_json(const Json& baseline_result);

/** The completed-request deficit against the baseline, 1 - completed / baseline completed (overall): requests that
 * never completed (failed, or still in flight at the horizon). Below capacity it stays near 0 however late the
 * requests were; extra delay (ReconfigImpact) measures lateness. */
double throughput_loss(const RunResult& result);

/** A histogram as JSON (geometry, non-empty buckets, exact sum, min, max), and back. */
Json histogram_json(const LatencyHistogram& histogram);
/** @throw std::runtime_error (or nlohmann's exceptions) on a malformed document */
LatencyHistogram histogram_from_json(const Json& j);

/** result["series"]: {"window_s", "guests": {NAME: columns}, "all": columns}; empty windows have null latencies. */
Json series_json(const TimeSeries& series);
TimeSeries series_from_json(const Json& j);

/** A readable summary: per-guest and overall throughput and latency percentiles, failures by errno, card
 * utilization, and for a reconfigured run what the reconfiguration did (per guest and per event). */
std::string human_summary(const RunResult& result, double wall_seconds);

} // namespace apq
