#include "sim/simulation.hpp"

#include "sim/build_info.hpp"
#include "sim/data_plane/data_plane.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/platform.hpp"

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

RunResult simulate(const Scenario& scenario, const RunOptions& options) {
  // SimGrid's own chatter is noise for our users; critical messages (its deadlock report, assertion failures)
  // still show. A --log given by the user comes later and wins.
  xbt_log_control_set("root.thres:critical");
  std::vector<std::string> args{"apqsim"};
  args.insert(args.end(), options.simgrid_args.begin(), options.simgrid_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  simgrid::s4u::Engine engine(&argc, argv.data());
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
    if (options.trace)
      data_plane.set_trace(options.trace);
    ReconfigWindows windows =
        options.baseline ? ReconfigWindows(options.baseline_windows) : ReconfigWindows(scenario.control.window_after);
    if (scenario.control.reconfigures())
      data_plane.set_windows(&windows);
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
    result.windows = data_plane.window_figures();
    result.series = data_plane.series();
    result.windows.intervals = windows.intervals(scenario.run.horizon);
    if (control_plane)
      result.control = control_plane->result();
  }
  return result;
}

} // namespace apq
