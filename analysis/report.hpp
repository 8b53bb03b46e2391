#pragma once
// Results for people and for programs: the JSON document (metric names are a contract, see ARCHITECTURE.md),
// the human summary, and writing files so that a reader never sees half of one.

#include "analysis/run_result.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace apq {

using Json = nlohmann::ordered_json;

/** {mean, p50, p90, p99, p999, p9999, max, min} in seconds; all 0 when nothing was recorded. */
Json latency_json(const LatencyHistogram& histogram);

/** The distribution's tail as people plot it, P(latency > x) on log axes: {"latency_s": [...], "exceeding": [...]}
 *  at the quantiles 0, 1 - 10^(-k/8) (k = 1, 2, ... while that is at least 1/n) and the maximum at 1/n. Empty
 *  arrays when nothing was recorded. */
Json ccdf_json(const LatencyHistogram& histogram);

/** The whole result; the same result gives the same bytes. */
Json to_json(const RunResult& result);

/** Reads back the figures a baseline run reports (from its to_json), for the reconfigured run's comparison. */
BaselineFigures baseline_from_json(const Json& baseline_result);

/** Loss against the baseline: 1 - completed / baseline completed (overall). */
double throughput_loss(const RunResult& result);

/** A readable summary: per-guest and overall throughput and latency percentiles, card utilization. */
std::string human_summary(const RunResult& result, double wall_seconds);

/** Writes through a temporary file in the same directory and renames it: the file is whole or absent. */
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

} // namespace apq
