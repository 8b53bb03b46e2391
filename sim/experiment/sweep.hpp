#pragma once
// apqsim sweep: factors over any config key by path, as a grid, a zip or an explicit list of points, each point
// replicated. Results go to an output directory, one JSON file per point written whole when the point is complete,
// so a rerun skips finished points and shards of a cluster job array only touch their own points; `apqsim merge`
// joins the shards' directories into one long CSV and one JSON.

#include "sim/experiment/experiment.hpp"

#include <filesystem>

namespace apq {

struct SweepPoint {
  std::size_t index = 0;
  std::vector<ConfigOverride> overrides; ///< the factor values of the point
};

struct SweepSpec {
  std::string mode = "grid";        ///< grid | zip | list
  std::vector<std::string> factors; ///< paths, in order (grid: the first varies slowest)
  std::vector<SweepPoint> points;
  int replications = 1;
  double confidence = 0.95;
  /** [sweep.slo]: figure path -> limit ("summary.latency_s.p99" = "2ms"), drawn as a line in the report. */
  std::map<std::string, double> slo;
};

SweepSpec read_sweep_spec(const std::filesystem::path& file);

/** "i/n": 1 <= i <= n. Throws ConfigError naming --shard otherwise. */
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

struct SweepRun {
  std::size_t points_run = 0;
  std::size_t points_skipped = 0; ///< already complete in the output directory
  std::size_t points_in_shard = 0;
  std::vector<StatWarning> warnings; ///< of the points run, for stderr
};

/** Runs the points of shard (i, n) not yet in `out_dir`; then, if every point of the sweep is there, writes the
 * merged results. `progress` is told (points done, points to do, seconds elapsed). */
SweepRun run_sweep(const std::filesystem::path& file, const SweepSpec& spec, const std::filesystem::path& out_dir,
                   std::pair<std::size_t, std::size_t> shard, const ExperimentOptions& options,
                   const std::function<void(std::size_t, std::size_t, double)>& progress);

/** Joins the point files of several directories (shards of one sweep) into `out_dir`/results.{csv,json}.
 * Throws std::runtime_error if they come from different sweeps or a point is missing. Returns the point count. */
std::size_t merge_sweep(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out_dir);

/** The results table `apqsim sweep` ends with: a row per point (its factor values), the key figures with their
 *  intervals. `results` is a merged results.json document. */
std::string sweep_table(const Json& results);

} // namespace apq
