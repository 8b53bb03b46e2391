#pragma once
// A scenario as loaded and checked from its TOML file: what the simulation is built from. Immutable once loaded;
// stateful models (arrival processes) are kept as prototypes and cloned by each run.

#include "models/arrival.hpp"
#include "models/card_type.hpp"
#include "models/op_mix.hpp"
#include "models/retry_policy.hpp"
#include "models/strategy.hpp"
#include "sim/scenario/id_set.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {

struct RunSettings {
  double horizon = 0;              ///< simulated seconds; the run ends there
  double warmup = 0;               ///< statistics ignore what completes before it
  uint64_t seed = 1;               ///< every random stream derives from it and its own name
  bool detect_warmup = false;      ///< warmup = "mser5": detected on a pilot run (replications)
  std::vector<std::string> expect; ///< violations the scenario expects (monitors; see the control plane)
  // Replications (apqsim run): independent seeds seed, seed+1, ...
  int replications = 1;
  double confidence = 0.95;
  /** Sequential stopping: replications are added until `target_metric` is within this relative error gamma of the
   * truth, approximately (half-width <= gamma / (1 + gamma) x |mean|); 0 = a fixed number of replications. */
  double target_relative_error = 0;
  std::string target_metric = "summary.latency_s.mean";
  int min_replications = 10; ///< the stopping rule looks at no fewer
  int max_replications = 100;
  double series_window = 0; ///< seconds per time-series window; 0 = default_series_window(horizon)
};

struct CardSpec {
  int adapter = 0;
  std::shared_ptr<const CardType> type;
  IdSet domains;     ///< domains configured on this adapter: one AP queue each
  std::string where; ///< config location, for messages
};

/** The AP bus masks: a queue whose adapter is in apmask and domain in aqmask is reserved for host drivers. */
struct HostMasks {
  IdSet apmask;
  IdSet aqmask;
  bool reserves(int adapter, int domain) const { return apmask.contains(adapter) && aqmask.contains(domain); }
};

/** A vfio_ap mediated device: the matrix of assigned adapters x domains. */
struct MdevSpec {
  std::string name;
  IdSet adapters;
  IdSet domains;
  IdSet control_domains;
  std::string where;
};

struct CompletionSpec {
  enum class Mode { interrupt, polling };
  Mode mode = Mode::interrupt;
  double delay = 10e-6;          ///< interrupt: NQAP/DQAP and interrupt delivery (models/README.md)
  double poll_interval = 250e-6; ///< polling: the AP bus poll_timeout in an LPAR
};

struct GuestSpec {
  std::string name;
  int mdev = -1;                                 ///< index into Scenario::mdevs
  std::shared_ptr<const ArrivalProcess> arrival; ///< prototype; each run clones it
  OperationMix ops{{{Operation::rsa_crt_2k, 1.0}}};
  CompletionSpec completion;
  double scan_interval = 30.0;    ///< AP bus rescan (ap_config_time): when the guest notices (un)plugs
  bool cfg_change_notify = false; ///< kernel 6.15+: the guest rescans as soon as its APCB changes
  std::string where;
};

/** A sysfs apmask/aqmask write: "+0x05" reserves ids for host drivers, "-0x05" releases them, else the new mask. */
struct MaskChange {
  enum class Mode { add, remove, replace };
  Mode mode = Mode::replace;
  IdSet ids;
  IdSet apply(const IdSet& mask) const;
  std::string str() const;
};

/** One reconfiguration an admin (or the host) performs. Which fields matter depends on `op`. */
struct AdminAction {
  std::string op;     ///< apmask_store, assign_adapter, ..., set_kvm, unset_kvm, vfio_reset, card_offline, ...
  int mdev = -1;      ///< index into Scenario::mdevs
  int guest = -1;     ///< index into Scenario::guests (set_kvm, unset_kvm)
  int id = -1;        ///< the adapter, domain or control domain; the queue's adapter for queue_bind, queue_unbind
  int domain = -1;    ///< queue_bind, queue_unbind: the queue's domain
  std::string driver; ///< queue_bind: "vfio_ap" or "cex4queue"
  MaskChange mask;    ///< apmask_store, aqmask_store
  std::string where;
};

struct TimelineEntry {
  std::string name;
  double at = 0;
  AdminAction action;
  RetryPolicyPtr retry;
};

/** An admin process: operations at Poisson times on random targets. */
struct RandomAdmin {
  std::string name;
  double rate = 0;
  double start = 0;
  double stop = 0;
  std::vector<std::pair<std::string, double>> ops; ///< op -> weight
  std::vector<int> mdevs;
  std::vector<int> guests;
  IdSet adapters;
  IdSet domains;
  RetryPolicyPtr retry;
  std::string where;
};

struct ReplaySpec; // sim/scenario/replay.hpp

struct ControlSpec {
  std::shared_ptr<const Strategy> strategy;
  DistributionPtr reset_time;      ///< how long the hardware takes to complete a queue reset
  double reset_poll = 0.020;       ///< vfio_ap polls TAPQ every AP_RESET_INTERVAL (20 ms) until the reset is done
  double bus_scan_interval = 30.0; ///< the host's AP bus scans every config_time (AP_CONFIG_TIME, 30 s)
  double window_after = 1.0;       ///< a reconfiguration window: an op's start to its end plus this
  bool baseline = true;            ///< also run without reconfiguration to measure the loss
  double slow_threshold = 0;       ///< a request slower than this is "slow"; 0 = each guest's p99 in the baseline
  std::vector<TimelineEntry> timeline;
  std::vector<RandomAdmin> random;
  std::shared_ptr<const ReplaySpec> replay; ///< [replay]: a forced order of the timeline's steps (explore --emit)

  bool reconfigures() const { return !timeline.empty() || !random.empty(); }
};

/** The reconfiguration operations a timeline or an admin process may name. */
const std::vector<std::string>& admin_operations();

/** Caps that keep a mistaken scenario from taking the machine down ([limits], configs/README.md "Limits"). The
 *  defaults let a laptop survive; each cap that is hit says what saturated and which key raises it. */
struct Limits {
  uint64_t in_flight = 2'000'000; ///< requests issued and not completed, all guests together
  double offered_events = 1e9;    ///< arrivals, poll ticks, scans, admin ops over the horizon
  double admin_rate = 1000;       ///< per second, all [[reconfig.random]] admins together
  uint64_t admin_actors = 10000;  ///< admin operations and intercepts in progress at once
  int replications = 1000;        ///< per scenario or variant: the parent holds their results
  std::uintmax_t include_bytes = kDefaultMaxConfigFileBytes; ///< scenario and include files
  int template_count = 10000;                                ///< instances of one guest or mdev template
};

/** A limit of [limits] was reached while running (e.g. the queues outgrew `in_flight`): the message says what
 *  saturated and which key raises the limit. Not a config error: the scenario is valid, the machine is not enough. */
class LimitError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Scenario {
  std::filesystem::path file;
  std::string resolved_toml; ///< the merged configuration (includes applied), canonical form
  std::string config_sha256; ///< of resolved_toml
  RunSettings run;
  Limits limits;
  HostMasks host;
  std::vector<CardSpec> cards;
  std::vector<MdevSpec> mdevs;
  std::vector<GuestSpec> guests;
  ControlSpec control;

  const CardSpec* find_card(int adapter) const;
  int find_mdev(std::string_view name) const;
  int find_guest(std::string_view name) const;
  /** The guest attached to the mdev at the start, or -1. */
  int guest_of_mdev(int mdev) const;
};

/** A key set from outside the scenario (command line, sweep factor, compare variant): `path` is dotted, array
 * elements by index or by name ("guests.0.arrival.rate", "guests.web.arrival.rate"); `value` is TOML ("\"5k/s\"",
 * 3, true), and a bare word counts as a string. Errors about it are located where it is written: `path_origin` and
 * `value_origin` are the places of the path and the value in an experiment file; without them (the command line)
 * errors name "--set PATH=VALUE". */
struct ConfigOverride {
  std::string path;
  std::string value;
  toml::source_region path_origin{};
  toml::source_region value_origin{};
};

/** Loads, merges includes, applies overrides, and checks a scenario; throws ConfigError
 * ("file:line:col: error: ..."). */
Scenario load_scenario(const std::filesystem::path& file, const std::vector<ConfigOverride>& overrides = {});
/** The file with its includes applied, experiment sections included ([compare], [sweep], [plan]); its nodes keep
 * their file:line:column. */
toml::table load_resolved_table(const std::filesystem::path& file);
/** Same, from text (tests); `name` plays the file name in messages and anchors relative paths. */
Scenario load_scenario_text(std::string_view text, const std::filesystem::path& name,
                            const std::vector<ConfigOverride>& overrides = {});

} // namespace apq
