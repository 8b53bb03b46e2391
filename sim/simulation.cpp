#include "sim/simulation.hpp"

#include "sim/build_info.hpp"
#include "sim/data_plane/data_plane.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/platform.hpp"

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
  build_platform();

  RunResult result;
  result.manifest = make_manifest(scenario);
  result.horizon = scenario.run.horizon;
  result.warmup = scenario.run.warmup;
  {
    EventScheduler scheduler(scenario.run.horizon);
    scheduler.set_exclusive(true); // the data plane alone creates no actor
    DataPlane data_plane(scenario, scheduler);
    if (options.trace) data_plane.set_trace(options.trace);
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
  }
  return result;
}

} // namespace apq
