#include "sim/simulation.hpp"

#include "analysis/recovery.hpp"
#include "analysis/report.hpp"
#include "sim/build_info.hpp"
#include "sim/data_plane/data_plane.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/fork_runner.hpp"
#include "sim/interrupt.hpp"
#include "sim/platform.hpp"

#include <cstdlib>
#include <memory>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/version.h>
#include <sstream>
#include <toml++/toml.h>
#include <xbt/log.h>

namespace apq {

Manifest make_manifest(const Scenario& scenario) {
  Manifest manifest;
  manifest.version = kApqsimVersion;
  manifest.git_commit = kApqsimGitCommit;
  manifest.simgrid_version = std::to_string(SIMGRID_VERSION_MAJOR) + "." + std::to_string(SIMGRID_VERSION_MINOR) + "." +
                             std::to_string(SIMGRID_VERSION_PATCH);
  manifest.config_file = scenario.file.string();
  manifest.config_sha256 = scenario.config_sha256;
  manifest.seed = scenario.run.seed;
  std::ostringstream json;
  json << toml::json_formatter{toml::parse(scenario.resolved_toml)};
  manifest.resolved_config_json = json.str();
  return manifest;
}

namespace {

std::vector<double> slow_thresholds(const Scenario& scenario, const BaselineFigures& baseline) {
  std::vector<double> out;
  for (std::size_t g = 0; g < scenario.guests.size(); ++g)
    out.push_back(scenario.control.slow_threshold > 0 ? scenario.control.slow_threshold
                                                      : baseline.guest_latency.at(g).p99);
  return out;
}

/** Each event's time to recover, per guest, from both runs' series. */
void add_recovery(RunResult& result) {
  const TimeSeries& run = result.series;
  const TimeSeries& base = result.baseline.series;
  if (base.window != run.window || base.per_guest.size() != run.per_guest.size())
    return; // not comparable: left unknown
  for (EventImpact& e : result.impact.events)
    for (std::size_t g = 0; g < run.per_guest.size(); ++g)
      e.time_to_recover[g] = time_to_recover(run.per_guest[g], base.per_guest[g], run.window, e.event.end);
}

/** SimGrid's engine with apqsim's defaults and the user's --cfg/--log items. A bad item is a ConfigError naming it
 *  (SimGrid throws, or leaves arguments it did not understand in argv). */
std::unique_ptr<simgrid::s4u::Engine> make_engine(const std::vector<std::string>& simgrid_args) {
  // SimGrid's own chatter is noise for our users; critical messages (its deadlock report, assertion failures)
  // still show. A --log given by the user comes later and wins.
  xbt_log_control_set("root.thres:critical");
  std::vector<std::string> args{"apqsim"};
  args.insert(args.end(), simgrid_args.begin(), simgrid_args.end());
  // Sanitizer builds run the test suite on thread contexts: SimGrid's stack switching confuses AddressSanitizer.
  if (const char* factory = std::getenv("APQSIM_CONTEXTS"); factory != nullptr && *factory != '\0')
    args.insert(args.begin() + 1, std::string("--cfg=contexts/factory:") + factory);
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  std::unique_ptr<simgrid::s4u::Engine> engine;
  try {
    engine = std::make_unique<simgrid::s4u::Engine>(&argc, argv.data());
  } catch (const std::exception& e) {
    std::string message = e.what();
    message = message.substr(0, message.find('\n')); // SimGrid appends every config key it knows
    throw ConfigError("--cfg/--log", "SimGrid refused a setting: " + message);
  }
  if (argc > 1)
    throw ConfigError(std::string(argv[1]), "SimGrid did not understand this setting");
  // SimGrid's SIGINT handler exits with 1, the code of a violation: ours stops cleanly with 130.
  interrupt::install();
  return engine;
}

} // namespace

void check_simgrid_args(const std::vector<std::string>& simgrid_args) {
  if (simgrid_args.empty())
    return;
  // One engine per process: try them in a child, which answers "" or "LOCATION\nMESSAGE".
  const std::string error = run_in_children({[&simgrid_args] {
                                              try {
                                                make_engine(simgrid_args);
                                              } catch (const ConfigError& e) {
                                                return e.location() + "\n" + e.message();
                                              }
                                              return std::string();
                                            }},
                                            1)
                                .front();
  if (const std::size_t newline = error.find('\n'); newline != std::string::npos)
    throw ConfigError(error.substr(0, newline), error.substr(newline + 1));
}

std::string run_baseline(const Scenario& scenario, const std::vector<std::string>& simgrid_args) {
  BaselineRun run;
  RunOptions options;
  options.simgrid_args = simgrid_args;
  options.baseline = true;
  options.latencies_out = &run.latencies;
  const RunResult result = simulate(scenario, options);
  run.result_json = to_json(result).dump();
  return run.encode();
}

RunResult simulate(const Scenario& scenario, const RunOptions& options) {
  const std::unique_ptr<simgrid::s4u::Engine> engine_owner = make_engine(options.simgrid_args);
  simgrid::s4u::Engine& engine = *engine_owner;
  simgrid::s4u::Host* host = build_platform();

  RunResult result;
  result.manifest = make_manifest(scenario);
  result.horizon = scenario.run.horizon;
  result.warmup = scenario.run.warmup;
  const bool reconfigures = scenario.control.reconfigures() && !options.baseline;
  {
    EventScheduler scheduler(scenario.run.horizon);
    scheduler.set_exclusive(!reconfigures); // without a control plane, no actor ever exists
    if (options.progress)
      scheduler.set_progress(options.progress);
    DataPlane data_plane(scenario, scheduler);
    data_plane.set_indexed_picks(!options.scan_picks);
    if (options.trace)
      data_plane.set_trace(options.trace);
    ReconfigWindows windows(scenario.control.window_after);
    if (reconfigures)
      data_plane.set_windows(&windows);
    if (options.baseline && options.latencies_out != nullptr)
      data_plane.record_latencies(options.latencies_out);
    if (reconfigures && options.pair_with != nullptr) {
      result.baseline = baseline_from_json(Json::parse(options.pair_with->result_json));
      data_plane.pair_with(options.pair_with->latencies, slow_thresholds(scenario, result.baseline));
    }
    std::unique_ptr<ControlPlane> control_plane;
    if (reconfigures) {
      control_plane = std::make_unique<ControlPlane>(scenario, scheduler, data_plane, host, windows);
      if (options.control_trace)
        control_plane->set_trace(options.control_trace);
      control_plane->start();
      // At the horizon the run ends: actors still running (or hung in a deadlock) are stopped, so that SimGrid
      // does not report the hung ones as its own whole-system deadlock.
      simgrid::kernel::timer::Timer::set(scenario.run.horizon, [] {
        for (const simgrid::s4u::ActorPtr& actor : simgrid::s4u::Engine::get_instance()->get_all_actors())
          actor->kill();
      });
    }
    data_plane.start();
    // Not run_until(horizon): it stops as soon as the clock is within 1e-5 s of the horizon (EngineImpl::run's
    // double_equals), which would cut microsecond-scale runs short. The scheduler drops events past the horizon,
    // so the run ends there by itself.
    engine.run();
    result.events = scheduler.events_run();
    result.guests = data_plane.guest_results();
    result.cards = data_plane.card_results();
    result.peak_requests_in_flight = data_plane.peak_in_flight();
    result.data = data_plane.events();
    result.series = data_plane.finish_series();
    if (control_plane && !control_plane->overload().empty())
      throw LimitError(control_plane->overload());
    if (control_plane) {
      result.control = control_plane->result();
      result.impact = data_plane.finish_impact();
      result.impact.slow_threshold_source =
          scenario.control.slow_threshold > 0 ? "[control] slow_threshold" : "each guest's p99 in the baseline";
      if (result.baseline.present)
        add_recovery(result);
    }
  }
  return result;
}

} // namespace apq
