#include "sim/experiment/sweep.hpp"

#include "analysis/output_file.hpp"
#include "analysis/sha256.hpp"
#include "models/suggest.hpp"
#include "sim/experiment/design.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace apq {

namespace fs = std::filesystem;

namespace {

std::string point_file_name(std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "point-%05zu.json", index);
  return name;
}

/** A point file; a file that is not whole JSON (a disk that filled, an editor) throws IoError naming it. */
Json read_json_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    throw IoError(file.string(), "cannot read the file");
  try {
    return Json::parse(text.str());
  } catch (const Json::exception& e) {
    throw IoError(file.string(), std::string("not a point file of a sweep (") + e.what() + ")");
  }
}

/** Whether `file` is a finished point of the sweep `id`; a damaged file is not (it is run again and replaced). */
bool is_done(const fs::path& file, const std::string& id) {
  if (!fs::exists(file))
    return false;
  try {
    return read_json_file(file).value("sweep_id", "") == id;
  } catch (const IoError& e) {
    std::fprintf(stderr, "apqsim: %s; the point runs again\n", e.what());
    return false;
  }
}

/** Identifies the sweep: its design and its scenario, so that shards and reruns can check they belong together. */
std::string sweep_id(const Scenario& base, const SweepSpec& spec) {
  std::ostringstream text;
  text << base.config_sha256 << '|' << spec.mode << '|' << spec.replications << '|' << spec.confidence;
  for (const SweepPoint& p : spec.points)
    for (const ConfigOverride& o : p.overrides)
      text << '|' << p.index << ':' << o.path << '=' << o.value;
  return sha256_hex(text.str());
}

} // namespace

SweepSpec read_sweep_spec(const fs::path& file) {
  const toml::table table = load_resolved_table(file);
  const ConfigNode root(table, "", file.string());
  if (!root.has("sweep"))
    root.fail("no [sweep] table: give factors, e.g. [[sweep.factors]] path = \"run.strategy\" values = [...]");
  const ConfigNode sweep = root.table("sweep");
  SweepSpec spec;
  spec.mode = sweep.string_or("mode", "grid");
  if (spec.mode != "grid" && spec.mode != "zip" && spec.mode != "list")
    sweep.fail("mode", unknown_name_message("mode", spec.mode, {"grid", "zip", "list"}));
  spec.replications = static_cast<int>(sweep.integer_or("replications", 1));
  if (spec.replications < 1)
    sweep.fail("replications", "at least 1");
  spec.confidence = sweep.number_or("confidence", spec.confidence);
  if (auto slo = sweep.table_opt("slo"))
    for (const std::string& path : slo->keys()) {
      const toml::node* value = slo->raw(path);
      spec.slo[path] = value != nullptr && value->is_string() ? slo->duration(path) : slo->number(path);
    }
  if (spec.mode == "list") {
    if (!sweep.has("points"))
      sweep.fail("mode = \"list\" needs [[sweep.points]] tables, each with set = { \"path\" = value, ... }");
    for (const ConfigNode& p : sweep.tables("points")) {
      spec.points.push_back(SweepPoint{spec.points.size(), read_overrides(p.table("set"))});
      p.reject_unknown_keys();
    }
    for (const SweepPoint& p : spec.points)
      for (const ConfigOverride& o : p.overrides)
        if (std::find(spec.factors.begin(), spec.factors.end(), o.path) == spec.factors.end())
          spec.factors.push_back(o.path);
  } else {
    if (!sweep.has("factors"))
      sweep.fail("mode = \"" + spec.mode + "\" needs [[sweep.factors]] tables with path and values");
    std::vector<std::vector<ConfigOverride>> values; // each factor's values, located where they are written
    for (const ConfigNode& f : sweep.tables("factors")) {
      spec.factors.push_back(f.string("path"));
      const toml::array* array = f.raw("values") ? f.raw("values")->as_array() : nullptr;
      if (array == nullptr || array->empty())
        f.fail("values", "expected a non-empty array of values");
      std::vector<ConfigOverride> texts;
      for (const toml::node& v : *array)
        texts.push_back(override_at(spec.factors.back(), v, f.raw("path")->source()));
      values.push_back(std::move(texts));
      f.reject_unknown_keys();
    }
    if (spec.mode == "zip") {
      for (const auto& v : values)
        if (v.size() != values[0].size())
          sweep.fail("factors", "zip needs factors with the same number of values");
      for (std::size_t i = 0; i < values[0].size(); ++i) {
        SweepPoint point{i, {}};
        for (std::size_t f = 0; f < values.size(); ++f)
          point.overrides.push_back(values[f][i]);
        spec.points.push_back(std::move(point));
      }
    } else {
      // Grid: odometer order, the last factor turning fastest.
      std::vector<std::size_t> digit(values.size(), 0);
      while (true) {
        SweepPoint point{spec.points.size(), {}};
        for (std::size_t f = 0; f < values.size(); ++f)
          point.overrides.push_back(values[f][digit[f]]);
        spec.points.push_back(std::move(point));
        std::size_t f = values.size();
        while (f > 0 && ++digit[f - 1] == values[f - 1].size())
          digit[--f] = 0;
        if (f == 0)
          break;
      }
    }
  }
  sweep.reject_unknown_keys();
  // Every point must be a valid scenario: check them all now, not after hours of running.
  for (const SweepPoint& p : spec.points)
    load_scenario(file, p.overrides);
  return spec;
}

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  std::size_t i = 0, n = 0;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> i >> slash >> n) || slash != '/' || !in.eof() || i < 1 || n < 1 || i > n)
    throw ConfigError("--shard " + text, "expected i/n with 1 <= i <= n, e.g. --shard 2/8");
  return {i, n};
}

SweepRun run_sweep(const fs::path& file, const SweepSpec& spec, const fs::path& out_dir,
                   std::pair<std::size_t, std::size_t> shard, const ExperimentOptions& options,
                   const std::function<void(std::size_t, std::size_t, double)>& progress) {
  prepare_output_directory(out_dir, "--out");
  const Scenario base = load_scenario(file);
  const std::string id = sweep_id(base, spec);
  SweepRun run;
  std::vector<const SweepPoint*> todo;
  for (const SweepPoint& point : spec.points) {
    if (point.index % shard.second != shard.first - 1)
      continue;
    ++run.points_in_shard;
    if (is_done(out_dir / point_file_name(point.index), id)) {
      ++run.points_skipped;
      continue;
    }
    todo.push_back(&point);
  }
  const auto start = std::chrono::steady_clock::now();
  // Every point of the shard in one pool of --jobs children, so that all of them stay busy, and baselines shared by
  // the points whose workload is the same (a swept strategy or reconfiguration rate); a point's file appears as
  // soon as its replications are in.
  std::vector<Scenario> scenarios;
  scenarios.reserve(todo.size());
  for (const SweepPoint* point : todo)
    scenarios.push_back(load_scenario(file, point->overrides));
  std::vector<const Scenario*> pointers;
  for (const Scenario& s : scenarios)
    pointers.push_back(&s);
  auto write_point = [&](std::size_t k, std::vector<Replication>& runs) {
    const SweepPoint& point = *todo[k];
    Json doc;
    doc["sweep_id"] = id;
    doc["point"] = point.index;
    doc["points_in_sweep"] = spec.points.size();
    Json factors = Json::object();
    for (const ConfigOverride& o : point.overrides)
      factors[o.path] = display_value(o.value);
    doc["factors"] = factors;
    doc["manifest"] = runs[0].result.at("manifest");
    Json seeds = Json::array();
    for (const Replication& r : runs)
      seeds.push_back(r.seed);
    doc["manifest"]["seeds"] = seeds;
    doc["replications"] = spec.replications;
    doc["confidence"] = spec.confidence;
    if (!spec.slo.empty())
      doc["slo"] = spec.slo;
    const ReplicatedFigures summary = summarize(scenarios[k], runs, spec.confidence);
    doc["warnings"] = warnings_json(summary.warnings);
    for (const StatWarning& w : summary.warnings)
      run.warnings.push_back(StatWarning{w.figure, "point " + std::to_string(point.index) + ": " + w.message});
    Json& out = doc["figures"];
    out = Json::object();
    for (const auto& [path, ci] : summary.intervals) {
      Json j = interval_json(ci);
      if (auto it = summary.methods.find(path); it != summary.methods.end())
        j["method"] = it->second;
      out[path] = std::move(j);
    }
    write_output_file(out_dir / point_file_name(point.index), doc.dump(1) + "\n", "--out");
    runs.clear(); // written: a long sweep keeps no results in memory
    ++run.points_run;
    if (progress)
      progress(run.points_run, todo.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  try {
    run_replications(pointers, 0, static_cast<std::size_t>(spec.replications), options, write_point);
  } catch (const IncompleteExperiment& e) { // the points that completed are written
    throw IncompleteExperiment(std::string(e.what()) + "; " + std::to_string(run.points_run) + " points written to " +
                                   out_dir.string() + " by this run; run the same command again to resume",
                               {}, e.signal());
  }
  // The whole sweep is there (this run was unsharded, or the last shard into a shared directory): merge.
  bool complete = true;
  for (const SweepPoint& point : spec.points)
    complete = complete && fs::exists(out_dir / point_file_name(point.index));
  if (complete)
    merge_sweep({out_dir}, out_dir);
  return run;
}

std::size_t merge_sweep(const std::vector<fs::path>& dirs, const fs::path& out_dir) {
  std::map<std::size_t, Json> points;
  std::string id;
  for (const fs::path& dir : dirs) {
    if (!fs::is_directory(dir))
      throw std::runtime_error(dir.string() + ": not a directory");
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with("point-") || !name.ends_with(".json"))
        continue;
      Json doc = read_json_file(entry.path());
      if (!doc.is_object() || !doc.contains("sweep_id") || !doc.contains("point") || !doc.contains("factors") ||
          !doc.contains("figures"))
        throw IoError(entry.path().string(), "not a point file of a sweep (sweep_id, point, factors, figures)");
      const std::string point_id = doc.at("sweep_id").get<std::string>();
      if (id.empty())
        id = point_id;
      if (point_id != id)
        throw std::runtime_error(entry.path().string() + " belongs to another sweep (its sweep_id differs)");
      const auto index = doc.at("point").get<std::size_t>(); // before the move: `a[f(d)] = move(d)` moves first
      points[index] = std::move(doc);
    }
  }
  if (points.empty())
    throw std::runtime_error("no point files (point-NNNNN.json) in the given directories");
  // Point files tell how many points their sweep has (files of older versions do not: then up to the last one).
  std::size_t expected = points.rbegin()->first + 1;
  for (const auto& [index, doc] : points)
    if (doc.contains("points_in_sweep"))
      expected = std::max(expected, doc.at("points_in_sweep").get<std::size_t>());
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < expected; ++i)
    if (!points.contains(i))
      missing.push_back(i);
  if (!missing.empty()) {
    std::string list;
    for (std::size_t k = 0; k < std::min<std::size_t>(missing.size(), 8); ++k)
      list += (k == 0 ? "" : ", ") + std::to_string(missing[k]);
    if (missing.size() > 8)
      list += ", ...";
    throw std::runtime_error(std::to_string(missing.size()) + " of the sweep's " + std::to_string(expected) +
                             " points are missing (point " + list + "): run their shards first");
  }
  prepare_output_directory(out_dir, "--out");
  std::ostringstream csv;
  csv.precision(17);
  // Every factor any point sets (list mode: points may set different keys), in order of first appearance.
  std::vector<std::string> factors;
  for (const auto& [index, doc] : points)
    for (const auto& [path, value] : doc.at("factors").items())
      if (std::find(factors.begin(), factors.end(), path) == factors.end())
        factors.push_back(path);
  csv << "point";
  for (const std::string& f : factors)
    csv << ",\"" << f << '"';
  csv << ",metric,mean,half_width,lower,upper,n\n";
  Json merged;
  merged["sweep_id"] = id;
  if (points.begin()->second.contains("slo"))
    merged["slo"] = points.begin()->second["slo"];
  merged["points"] = Json::array();
  for (const auto& [index, doc] : points) {
    for (const auto& [metric, ci] : doc.at("figures").items()) {
      csv << index;
      for (const std::string& f : factors) {
        const Json& set = doc.at("factors");
        std::string value = set.contains(f) ? set.at(f).get<std::string>() : std::string(); // not set here
        std::string quoted;
        for (char c : value)
          quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        csv << ",\"" << quoted << '"';
      }
      auto num = [](const Json& j) {
        return j.is_null() ? std::string() : [&] {
          std::ostringstream o;
          o.precision(17);
          o << j.get<double>();
          return o.str();
        }();
      };
      csv << ',' << metric << ',' << num(ci.at("mean")) << ',' << num(ci.at("half_width")) << ',' << num(ci.at("lower"))
          << ',' << num(ci.at("upper")) << ',' << ci.at("n").get<int>() << '\n';
    }
    merged["points"].push_back(doc);
  }
  write_output_file(out_dir / "results.csv", csv.str(), "--out");
  write_output_file(out_dir / "results.json", merged.dump(1) + "\n", "--out");
  return points.size();
}

std::string sweep_table(const Json& results) {
  const Json& points = results.at("points");
  if (points.empty())
    return "";
  std::vector<std::string> factors; // every factor some point sets (list mode: points may set different keys)
  for (const Json& point : points)
    for (const auto& [path, value] : point.at("factors").items())
      if (std::find(factors.begin(), factors.end(), path) == factors.end())
        factors.push_back(path);
  // Columns as wide as their widest cell.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"point"};
  header.insert(header.end(), factors.begin(), factors.end());
  for (const KeyFigure& f : key_figures())
    header.emplace_back(f.label);
  rows.push_back(header);
  for (const Json& point : points) {
    std::vector<std::string> row{std::to_string(point.at("point").get<std::size_t>())};
    for (const std::string& f : factors)
      row.push_back(point.at("factors").value(f, std::string("-")));
    const Json& figures = point.at("figures");
    for (const KeyFigure& f : key_figures()) {
      if (!figures.contains(f.path)) {
        row.emplace_back("-");
        continue;
      }
      const Json& ci = figures.at(f.path);
      auto number = [](const Json& j) { return j.is_number() ? j.get<double>() : std::nan(""); };
      row.push_back(
          format_figure(ConfidenceInterval{number(ci.at("mean")), number(ci.at("half_width")), number(ci.at("lower")),
                                           number(ci.at("upper")), ci.at("n").get<int>()},
                        ci.value("method", ""), f.kind));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  std::ostringstream out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::size_t pad = width[c] - row[c].size();
      // Text columns (point, factors) to the left, figures to the right.
      if (c <= factors.size())
        out << row[c] << std::string(pad, ' ');
      else
        out << std::string(pad, ' ') << row[c];
      out << (c + 1 < row.size() ? "  " : "\n");
    }
  }
  return out.str();
}

} // namespace apq
