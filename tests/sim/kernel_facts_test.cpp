// One scripted scenario per kernel fact (models/README.md, configs/strategies/README.md), run under every built-in
// strategy the fact concerns, each asserting the kernel's verdict: operation results with their errno, which driver
// each queue ends bound to, what each guest has plugged, reset and lock-hold durations. Each test names the kernel
// function it follows. Times are derived by hand from the strategy files' steps (the common work steps: 2 us sysfs
// parse, 1 us ap_device_probe, 5 us revise walk, 10 us bookkeeping, 20 us AQIC intercept, 50 us scan QCI, U in
// [100 us, 1 ms] per set_masks) and the reset mechanisms: hardware resets take 15 ms unless a test says otherwise;
// a sequential reset of a queue with interrupts on takes one 20 ms round, of an idle queue without interrupts none;
// an overlapped batch one 20 ms poll per 20 ms of hardware reset.
//
// Each strategy runs in its own forked child (one SimGrid engine per process); the child reports facts as text.

#include "control_test_support.hpp"
#include "sim/fork_runner.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace apq {
namespace {

using namespace ctest;

const std::vector<std::string> kAll = {"naive-mutex", "v12-trylock", "ordered", "linux-6.1", "linux-6.13"};
const std::vector<std::string> kLinux = {"linux-6.1", "linux-6.13"};

/** What one run showed, as text that crosses the fork. */
using Facts = std::map<std::string, std::string>;

/** A control event whose first time (t.KEY) and count (n.KEY) a test wants. */
struct Probe {
  std::string key;
  Match match;
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

Facts collect(const FullRun& run, const std::vector<Probe>& probes) {
  Facts f;
  auto put = [&](const std::string& key, const auto& value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    f[key] = out.str();
  };
  const ControlResult& c = run.result.control;
  put("strategy", c.strategy);
  for (const TimelineOutcome& t : c.timeline) {
    put("timeline." + t.name + ".result", t.result);
    put("timeline." + t.name + ".end", t.end);
    put("timeline." + t.name + ".attempts", t.attempts);
  }
  for (const auto& [op, o] : c.ops) {
    put("ops." + op + ".attempts", o.attempts);
    put("ops." + op + ".ebusy", o.ebusy);
    put("ops." + op + ".ebusy_reserving", o.ebusy_reserving);
    put("ops." + op + ".ebusy_giving_back", o.ebusy_giving_back);
  }
  for (const auto& [queue, driver] : c.final_state.drivers)
    put("driver." + queue, driver);
  for (const auto& [mdev, matrix] : c.final_state.assigned)
    put("assigned." + mdev, matrix);
  for (const auto& [guest, apcb] : c.final_state.plugged)
    put("plugged." + guest, apcb);
  put("apmask", c.final_state.apmask);
  put("aqmask", c.final_state.aqmask);
  put("stolen", c.stolen_queues.size());
  put("deadlocks", c.deadlocks.size());
  put("bugs", c.kernel_bugs.size());
  if (!c.kernel_bugs.empty()) {
    put("bug.op", c.kernel_bugs[0].op);
    put("bug.actor", c.kernel_bugs[0].actor);
    put("bug.where", c.kernel_bugs[0].where);
    put("bug.what", c.kernel_bugs[0].what);
    put("bug.time", c.kernel_bugs[0].time);
  }
  std::string hung;
  for (const std::string& h : c.hung)
    hung += (hung.empty() ? "" : ",") + h;
  put("hung", hung);
  put("warnings", c.kernel_warnings);
  put("resets", run.result.data.resets);
  put("plugs", run.result.data.plugs);
  put("unplugs", run.result.data.unplugs);
  for (const auto& [lock, figures] : c.locks)
    put("hold." + lock, figures.hold.max());
  std::string violations;
  for (const std::string& v : run.result.violations())
    violations += (violations.empty() ? "" : ",") + v;
  put("violations", violations);
  const RequestCounts& r = run.result.guests[0].requests;
  put("failed", r.failed);
  put("failed_enodev", r.failed_enodev);
  for (const Probe& probe : probes) {
    const auto matches = all_of(run.control, probe.match);
    put("n." + probe.key, matches.size());
    if (!matches.empty())
      put("t." + probe.key, matches.front().time);
  }
  return f;
}

std::string serialize(const Facts& facts) {
  std::string out;
  for (const auto& [key, value] : facts)
    out += key + "\t" + value + "\n";
  return out;
}

Facts deserialize(const std::string& text) {
  Facts facts;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos)
      facts[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return facts;
}

/** Runs `toml` (its "STRATEGY" replaced by each name) under each strategy in its own child. */
std::map<std::string, Facts> run_under(const std::string& toml, const std::vector<std::string>& strategies,
                                       const std::vector<Probe>& probes = {}) {
  std::vector<ChildJob> jobs;
  for (const std::string& strategy : strategies)
    jobs.push_back([toml, strategy, probes] {
      return serialize(collect(run_full(test::scenario_from(replace_all(toml, "STRATEGY", strategy))), probes));
    });
  const std::vector<std::string> out = run_in_children(jobs, 2);
  std::map<std::string, Facts> facts;
  for (std::size_t i = 0; i < strategies.size(); ++i)
    facts[strategies[i]] = deserialize(out[i]);
  return facts;
}

std::string at(const Facts& f, const std::string& key) {
  auto it = f.find(key);
  EXPECT_NE(it, f.end()) << "no fact " << key;
  return it == f.end() ? "" : it->second;
}

double num(const Facts& f, const std::string& key) {
  const std::string value = at(f, key);
  return value.empty() ? std::nan("") : std::stod(value);
}

bool is_linux(const std::string& strategy) {
  return strategy.starts_with("linux-");
}

// Two CEX8A cards (adapters 0x00-0x01, domains 0x00-0x03) and a guest web on adapter 0x00 (interrupts on), ap_perms
// reserving nothing (aqmask covers every domain, so apmask alone decides), low load. Tests add their own lines.
const std::string kPlatform = R"(
[run]
horizon = "2s"
strategy = "STRATEGY"
[host]
apmask = ""
aqmask = "0x00-0xff"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x03"
[[guests]]
name = "web"
adapters = "0x00"
domains = "0x00-0x03"
arrival = { process = "poisson", rate = "1k/s" }
)";

// --- mask stores ----------------------------------------------------------------------------------------------

// apmask_commit()/aqmask_commit() (ap_bus.c, v12 06/17 and Linux 6.1/6.13): in_use is called only when the new mask
// reserves ids the old one did not (bitmap_andnot), so a store that gives ids back never calls it and cannot fail
// with -EBUSY. vfio_reset at 1.0 holds matrix_dev->lock / mdevs_lock while it resets web's 4 queues (interrupts on:
// 4 x 20 ms = 80 ms sequentially in 2020 and 6.1, one 20 ms batch in 6.13).
//   giveback (1.010): aqmask -0x09 (reserved at the start, no queue has it): ap_perms, 2 us, no in_use, commit;
//     revise_bindings finds nothing to move: ok at 1.010007 in every strategy.
//   reserve (1.011): aqmask +0x08: ap_perms, 2 us, in_use: v12 trylocks matrix -> -EBUSY at 1.011002 (counted as
//     a reserving store's EBUSY); the others block until the reset ends (2020, 6.1: 1.080; 6.13: 1.020), 10 us, no
//     conflict, commit, 5 us: ok at 1.080015 (1.020015).
TEST(KernelFacts, InUseOnlyForReservingStoresSoGivingBackNeverFails) {
  // ap_perms reserves domain 0x09 (no queue has it) on every adapter: apmask all, aqmask 0x09.
  const std::string toml =
      replace_all(kPlatform, "apmask = \"\"\naqmask = \"0x00-0xff\"", "apmask = \"0x00-0xff\"\naqmask = \"0x09\"") +
      R"(
[[reconfig.timeline]]
name = "reset"
at = "1s"
op = "vfio_reset"
mdev = "web"
[[reconfig.timeline]]
name = "giveback"
at = "1.010s"
op = "aqmask_store"
mask = "-0x09"
[[reconfig.timeline]]
name = "reserve"
at = "1.011s"
op = "aqmask_store"
mask = "+0x08"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.giveback.result"), "ok");
    EXPECT_NEAR(num(f, "timeline.giveback.end"), 1.010007, kEps);
    EXPECT_EQ(num(f, "ops.in_use.attempts"), 1) << "only the reserving store calls in_use";
    EXPECT_EQ(num(f, "ops.aqmask_store.ebusy_giving_back"), 0);
    const double reset_end = strategy == "linux-6.13" ? 1.020 : 1.080;
    EXPECT_NEAR(num(f, "timeline.reset.end"), reset_end, kEps);
    if (strategy == "v12-trylock") {
      EXPECT_EQ(at(f, "timeline.reserve.result"), "EBUSY");
      EXPECT_NEAR(num(f, "timeline.reserve.end"), 1.011002, kEps);
      EXPECT_EQ(num(f, "ops.aqmask_store.ebusy_reserving"), 1);
      EXPECT_EQ(at(f, "aqmask"), "");
    } else {
      EXPECT_EQ(at(f, "timeline.reserve.result"), "ok");
      EXPECT_NEAR(num(f, "timeline.reserve.end"), reset_end + 15 * kUs, kEps);
      EXPECT_EQ(at(f, "aqmask"), "0x08");
    }
    // WARN_ONCE(retry2 <= 0) of the sequential reset fires for each queue whose check succeeds on the last round.
    EXPECT_EQ(num(f, "warnings"), strategy == "linux-6.13" ? 0 : 4);
  }
}

// vfio_ap_mdev_resource_in_use() -> vfio_ap_mdev_verify_no_sharing(NULL, apm, aqm) (6.1, 6.13; 07/17 alike): the
// reserved ids are compared with every mdev's ASSIGNMENT, not with queue devices. The idle mdev spare has adapter 0x05
// assigned, a card the host does not have: reserving 0x05 fails with -EBUSY all the same (1.0 + 2 + 10 us), while
// reserving 0x06, assigned to nobody, succeeds.
TEST(KernelFacts, InUseComparesAssignmentsNotDevices) {
  const std::string toml = kPlatform + R"(
[[mdevs]]
name = "spare"
adapters = "0x05"
domains = "0x00-0x03"
[[reconfig.timeline]]
name = "taken"
at = "1s"
op = "apmask_store"
mask = "+0x05"
[[reconfig.timeline]]
name = "free"
at = "1.5s"
op = "apmask_store"
mask = "+0x06"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.taken.result"), "EBUSY");
    EXPECT_NEAR(num(f, "timeline.taken.end"), 1.000012, kEps);
    EXPECT_EQ(at(f, "timeline.free.result"), "ok");
    EXPECT_EQ(at(f, "apmask"), "0x06");
  }
}

// __ap_revise_reserved() (ap_bus.c): the reprobe tests ap_perms under ap_perms_mutex for each device as it walks,
// so after two overlapping stores the last mask wins, whatever the interleaving.
//   reserve (1.0): apmask +0x01 (adapter 0x01 free): ap_perms, 2 us, in_use 10 us (no conflict), commit at
//     1.000012, unlock, 5 us: its reprobe starts walking at 1.000017.
//   giveback (1.000016): apmask -0x01: ap_perms at 1.000016, 2 us, no in_use, commit (apmask empty) at 1.000018.
//   The reserving store's walk asks for ap_perms for 00.0000 at 1.000017 and gets it at 1.000018, AFTER the give
//   back: it reads an empty apmask and moves nothing; the give-back's walk moves nothing either. Every queue stays
//   with vfio_ap, as the final mask says (a snapshot taken at commit time would have moved 0x01 to cex4queue).
TEST(KernelFacts, TheLastMaskWrittenDecidesTheReprobe) {
  const std::string toml = kPlatform + R"(
[[reconfig.timeline]]
name = "reserve"
at = "1s"
op = "apmask_store"
mask = "+0x01"
[[reconfig.timeline]]
name = "giveback"
at = "1000016us"
op = "apmask_store"
mask = "-0x01"
)";
  const std::vector<Probe> probes = {{"walk_wait", {"reserve", "revise_bindings", "acquired", "ap_perms"}},
                                     {"release", {.op = "device_release"}}};
  for (const auto& [strategy, f] : run_under(toml, kAll, probes)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.reserve.result"), "ok");
    EXPECT_EQ(at(f, "timeline.giveback.result"), "ok");
    EXPECT_NEAR(num(f, "t.walk_wait"), 1.000018, kEps) << "the walk waited for the give-back's commit";
    EXPECT_EQ(num(f, "n.release"), 0) << "no device was reprobed";
    EXPECT_EQ(at(f, "apmask"), "");
    for (const char* queue : {"00.0000", "01.0000", "01.0003"})
      EXPECT_EQ(at(f, std::string("driver.") + queue), "vfio_ap") << queue;
  }
}

// --- the AP bus: cards leaving and returning --------------------------------------------------------------------

// ap_scan_bus() -> ap_scan_rm_card_dev_and_queue_devs() when an adapter leaves the configuration; when it returns its
// new queue devices are probed (ap_device_probe) against the ap_perms of THAT moment; vfio_ap_on_scan_complete()
// hot-plugs in one go what the mdevs have assigned, vfio_ap_mdev_probe_queue() having left it while the add was
// pending. Three cards; web has adapters 0x00-0x01, adapter 0x02 is free.
//   off1 (1.0): 0x01 leaves: web loses it (4 unplugs).          off2 (1.05): 0x02 leaves.
//   mask (1.1): apmask +0x02: no mdev has 0x02, no device to move: ok.
//   on2 (1.2): 0x02 returns: its queues are reserved now: they bind to cex4queue, not vfio_ap.
//   on1 (1.3): 0x01 returns: probe_queue links each queue without plugging (an add is pending); scan_complete plugs
//     the adapter with one set_masks (4 plugs).
//   assign (1.4): 0x02 to web: reserved for the host: -EADDRNOTAVAIL (v12 07/17: its queues are not bound to
//     vfio_ap: -EADDRNOTAVAIL as well). Nothing of 0x02 is ever plugged into web.
TEST(KernelFacts, ReturningCardsAreProbedAgainstApPermsOfThatMoment) {
  const std::string toml = replace_all(kPlatform, "ids = \"0x00-0x01\"", "ids = \"0x00-0x02\"") + R"(
[[reconfig.timeline]]
name = "off1"
at = "1s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "off2"
at = "1.05s"
op = "card_offline"
adapter = "0x02"
[[reconfig.timeline]]
name = "mask"
at = "1.1s"
op = "apmask_store"
mask = "+0x02"
[[reconfig.timeline]]
name = "on2"
at = "1.2s"
op = "card_online"
adapter = "0x02"
[[reconfig.timeline]]
name = "on1"
at = "1.3s"
op = "card_online"
adapter = "0x01"
[[reconfig.timeline]]
name = "assign"
at = "1.4s"
op = "assign_adapter"
mdev = "web"
adapter = "0x02"
)";
  const std::string web_two = replace_all(toml, "adapters = \"0x00\"\ndomains = \"0x00-0x03\"\narrival",
                                          "adapters = \"0x00-0x01\"\ndomains = \"0x00-0x03\"\narrival");
  const std::vector<Probe> probes = {{"on1_set_masks", {"on1", "", "effect", "set_masks"}},
                                     {"on1_probe_set_masks", {"on1", "probe_queue", "effect", "set_masks"}},
                                     {"on1_complete_set_masks", {"on1", "scan_complete", "effect", "set_masks"}}};
  for (const auto& [strategy, f] : run_under(web_two, kAll, probes)) {
    SCOPED_TRACE(strategy);
    for (const char* op : {"off1", "off2", "mask", "on2", "on1"})
      EXPECT_EQ(at(f, std::string("timeline.") + op + ".result"), "ok") << op;
    EXPECT_EQ(at(f, "timeline.assign.result"), "EADDRNOTAVAIL");
    for (const char* queue : {"02.0000", "02.0003"})
      EXPECT_EQ(at(f, std::string("driver.") + queue), "cex4queue") << queue;
    for (const char* queue : {"01.0000", "01.0003"})
      EXPECT_EQ(at(f, std::string("driver.") + queue), "vfio_ap") << queue;
    EXPECT_EQ(at(f, "plugged.web"), "0x00-0x01 x 0x00-0x03");
    EXPECT_EQ(num(f, "unplugs"), 4);
    EXPECT_EQ(num(f, "plugs"), 4);
    EXPECT_EQ(num(f, "n.on1_probe_set_masks"), 0) << "probe_queue defers to scan_complete while an add is pending";
    EXPECT_EQ(num(f, "n.on1_complete_set_masks"), 1);
    EXPECT_EQ(num(f, "n.on1_set_masks"), 1);
    EXPECT_EQ(num(f, "stolen"), 0);
  }
}

// Assigning a queue that is not there: v12 07/17's vfio_ap_mdev_verify_queues_reserved_for_apid() walks the queue
// devices bound to vfio_ap and does not find it: -EADDRNOTAVAIL. From v12 11/17 on (naive-mutex, ordered) and in
// Linux (ap_apqn_in_matrix_owned_by_def_drv() only tests ap_perms) the assignment succeeds; the adapter is not in
// vfio_ap's configuration, so the filter leaves the APCB unchanged and no set_masks runs (assign ends 12 us after it
// started), and when the card returns scan_complete plugs it.
TEST(KernelFacts, AssigningAnUnavailableQueueIsRefusedOnlyByV12) {
  const std::string toml = kPlatform + R"(
[[reconfig.timeline]]
name = "off"
at = "1s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "assign"
at = "1.1s"
op = "assign_adapter"
mdev = "web"
adapter = "0x01"
[[reconfig.timeline]]
name = "on"
at = "1.2s"
op = "card_online"
adapter = "0x01"
)";
  const std::vector<Probe> probes = {{"assign_set_masks", {"assign", "", "effect", "set_masks"}}};
  for (const auto& [strategy, f] : run_under(toml, kAll, probes)) {
    SCOPED_TRACE(strategy);
    if (strategy == "v12-trylock") {
      EXPECT_EQ(at(f, "timeline.assign.result"), "EADDRNOTAVAIL");
      EXPECT_EQ(at(f, "plugged.web"), "0x00 x 0x00-0x03");
      EXPECT_EQ(at(f, "assigned.web"), "0x00 x 0x00-0x03");
    } else {
      EXPECT_EQ(at(f, "timeline.assign.result"), "ok");
      EXPECT_NEAR(num(f, "timeline.assign.end"), 1.1 + 12 * kUs, kEps);
      EXPECT_EQ(num(f, "n.assign_set_masks"), 0);
      EXPECT_EQ(at(f, "plugged.web"), "0x00-0x01 x 0x00-0x03");
      EXPECT_EQ(num(f, "plugs"), 4);
    }
  }
}

// --- vfio_ap ----------------------------------------------------------------------------------------------------

// vfio_ap_on_cfg_changed() (6.1, 6.13) holds guests_lock for the whole change while vfio_ap_mdev_cfg_remove() takes
// kvm->lock and mdevs_lock per mdev, newest first. web and db both use adapter 0x02; when it leaves, both are
// updated (two set_masks) under one guests_lock. The assign at 1.0001 needs guests_lock (after ap_perms) and waits
// for the whole change.
TEST(KernelFacts, ConfigChangeHoldsGuestsLockForTheWholeChange) {
  const std::string toml = R"(
[run]
horizon = "2s"
strategy = "STRATEGY"
[[cards]]
ids = "0x00-0x03"
type = "CEX8A"
domains = "0x00-0x03"
[[guests]]
name = "web"
adapters = "0x00,0x02"
domains = "0x00-0x01"
arrival = { process = "poisson", rate = "1k/s" }
[[guests]]
name = "db"
adapters = "0x01-0x02"
domains = "0x02-0x03"
arrival = { process = "poisson", rate = "1k/s" }
[[reconfig.timeline]]
name = "off"
at = "1s"
op = "card_offline"
adapter = "0x02"
[[reconfig.timeline]]
name = "assign"
at = "1.0001s"
op = "assign_adapter"
mdev = "web"
adapter = "0x03"
)";
  const std::vector<Probe> probes = {{"guests_taken", {"off", "config_changed", "acquired", "guests"}},
                                     {"guests_released", {"off", "config_changed", "unlock", "guests"}},
                                     {"masks", {"off", "config_changed", "effect", "set_masks"}},
                                     {"kvm_db", {"off", "config_changed", "acquired", "kvm:db"}},
                                     {"kvm_web", {"off", "config_changed", "acquired", "kvm:web"}},
                                     {"assign_guests", {"assign", "assign_adapter", "acquired", "guests"}}};
  for (const auto& [strategy, f] : run_under(toml, kLinux, probes)) {
    SCOPED_TRACE(strategy);
    EXPECT_NEAR(num(f, "t.guests_taken"), 1.00005, kEps);
    EXPECT_EQ(num(f, "n.masks"), 2);
    EXPECT_LT(num(f, "t.kvm_db"), num(f, "t.kvm_web")) << "newest mdev first (list_add)";
    const double released = num(f, "t.guests_released");
    EXPECT_GE(released, 1.00005 + 10 * kUs + 2 * kUMin - kEps);
    EXPECT_LE(released, 1.00005 + 10 * kUs + 2 * kUMax + kEps);
    EXPECT_NEAR(num(f, "t.assign_guests"), released, kEps) << "the assign waited for the whole change";
    EXPECT_EQ(at(f, "plugged.web"), "0x00,0x03 x 0x00-0x01") << "adapter 0x03 assigned once the change was done";
    EXPECT_EQ(at(f, "plugged.db"), "0x01 x 0x02-0x03");
    EXPECT_EQ(at(f, "timeline.assign.result"), "ok");
    EXPECT_EQ(num(f, "bugs"), 0) << "every mdev has a guest";
  }
}

// vfio_ap_mdev_set_kvm(): -EPERM when another mdev already serves the guest (6.13: kvm->arch.crypto.pqap_hook is
// set; 6.1: another mdev's matrix_mdev->kvm is this kvm; 2020 the same check under matrix_dev->lock). QEMU opens the
// idle mdev spare for the running guest web.
TEST(KernelFacts, SetKvmFailsWithEpermWhenAnotherMdevServesTheGuest) {
  const std::string toml = kPlatform + R"(
[[mdevs]]
name = "spare"
adapters = "0x01"
domains = "0x00-0x03"
[[reconfig.timeline]]
name = "open"
at = "1s"
op = "set_kvm"
guest = "web"
mdev = "spare"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.open.result"), "EPERM");
    EXPECT_EQ(at(f, "plugged.web"), "0x00 x 0x00-0x03");
  }
}

// vfio_ap_mdev_cfg_remove() (6.1, 6.13) locks matrix_mdev->kvm->lock for EVERY mdev in the list, with no NULL check:
// an mdev without a guest (spare) when an adapter leaves the configuration is a NULL pointer dereference. The
// kernel-bug monitor reports it with the operation and the strategy step; the scanning task dies holding
// guests_lock and ap_scan_bus_mutex, so a later unassign (which needs guests_lock) waits forever. The 2020
// strategies take kvm->lock only inside kvm_arch_crypto_set_masks(), for mdevs with a guest: no bug, the unassign
// completes.
TEST(KernelFacts, ConfigChangeWithAnIdleMdevIsANullDereferenceIn61And613) {
  const std::string toml = kPlatform + R"(
[[mdevs]]
name = "spare"
adapters = "0x01"
domains = "0x00-0x03"
[[reconfig.timeline]]
name = "off"
at = "1s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "assign"
at = "1.1s"
op = "unassign_domain"
mdev = "web"
domain = "0x03"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    if (is_linux(strategy)) {
      EXPECT_EQ(num(f, "bugs"), 1);
      EXPECT_EQ(at(f, "bug.op"), "config_changed");
      EXPECT_EQ(at(f, "bug.actor"), "off");
      EXPECT_EQ(at(f, "bug.where").rfind("configs/strategies/" + strategy + ".toml:", 0), 0u) << at(f, "bug.where");
      EXPECT_NE(at(f, "bug.what").find("NULL pointer dereference"), std::string::npos);
      EXPECT_NE(at(f, "bug.what").find("mdev spare, which has no guest"), std::string::npos) << at(f, "bug.what");
      EXPECT_EQ(at(f, "violations"), "kernel_bug");
      EXPECT_EQ(at(f, "timeline.off.result"), "oops");
      EXPECT_EQ(at(f, "timeline.assign.result"), "hung");
      EXPECT_EQ(at(f, "hung"), "assign");
    } else {
      EXPECT_EQ(num(f, "bugs"), 0);
      EXPECT_EQ(at(f, "timeline.off.result"), "ok");
      EXPECT_EQ(at(f, "timeline.assign.result"), "ok");
    }
  }
}

// vfio_ap_mdev_remove(): the device is closed first (QEMU releases it: unset_kvm takes the guest's queues away and
// resets them), then guests_lock and mdevs_lock (matrix_dev->lock in 2020), the queues reset again, unlinked, and the
// mdev leaves the list with its assignments: a store to its sysfs attributes finds nothing (-ENODEV), and reserving
// its adapter no longer conflicts: 00.00xx go to cex4queue.
TEST(KernelFacts, MdevRemoveReleasesItsGuestAndAssignments) {
  const std::string toml = kPlatform + R"(
[[reconfig.timeline]]
name = "remove"
at = "1s"
op = "mdev_remove"
mdev = "web"
[[reconfig.timeline]]
name = "assign"
at = "1.5s"
op = "assign_adapter"
mdev = "web"
adapter = "0x01"
[[reconfig.timeline]]
name = "mask"
at = "1.6s"
op = "apmask_store"
mask = "+0x00"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.remove.result"), "ok");
    EXPECT_EQ(at(f, "timeline.assign.result"), "ENODEV");
    EXPECT_EQ(at(f, "timeline.mask.result"), "ok");
    EXPECT_EQ(at(f, "assigned.web"), "removed");
    EXPECT_EQ(at(f, "plugged.web"), " x ");
    EXPECT_EQ(at(f, "driver.00.0000"), "cex4queue");
    EXPECT_EQ(num(f, "unplugs"), 4);
  }
}

// The sysfs unbind of a queue (unbind_store -> device_release_driver -> vfio_ap_mdev_remove_queue) goes around
// in_use in every kernel: the queue leaves vfio_ap while web has it assigned: a stolen queue, in Linux too, and web
// loses the whole adapter (the APCB cannot drop a single APQN). 6.1 and the 2020 series reset the removed queue
// only, 6.13 every queue of that adapter in the shadow (reset_queues_for_apid). Binding it to cex4queue then fails:
// ap_device_probe() refuses a queue ap_perms does not reserve (-ENODEV); binding it back to vfio_ap plugs the
// adapter again.
TEST(KernelFacts, SysfsUnbindStealsTheQueueInEveryKernelAndBindChecksApPerms) {
  const std::string toml =
      replace_all(kPlatform, "adapters = \"0x00\"\ndomains", "adapters = \"0x00-0x01\"\ndomains") + R"(
[[reconfig.timeline]]
name = "unbind"
at = "1s"
op = "queue_unbind"
queue = "01.0002"
[[reconfig.timeline]]
name = "to_host"
at = "1.1s"
op = "queue_bind"
queue = "01.0002"
driver = "cex4queue"
[[reconfig.timeline]]
name = "back"
at = "1.2s"
op = "queue_bind"
queue = "01.0002"
driver = "vfio_ap"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.unbind.result"), "ok");
    EXPECT_EQ(num(f, "stolen"), 1);
    EXPECT_EQ(at(f, "timeline.to_host.result"), "ENODEV");
    EXPECT_EQ(at(f, "timeline.back.result"), "ok");
    EXPECT_EQ(at(f, "driver.01.0002"), "vfio_ap");
    EXPECT_EQ(at(f, "plugged.web"), "0x00-0x01 x 0x00-0x03");
    EXPECT_EQ(num(f, "unplugs"), 4);
    EXPECT_EQ(num(f, "plugs"), 4);
    EXPECT_EQ(num(f, "resets"), strategy == "linux-6.13" ? 4 : 1);
    // With interrupts on, 20 ms of reset inside the unbind in either mechanism.
    const double unbind_end = num(f, "timeline.unbind.end");
    EXPECT_GE(unbind_end, 1.0 + 10 * kUs + kUMin + 20 * kMs - kEps);
    EXPECT_LE(unbind_end, 1.0 + 10 * kUs + kUMax + 20 * kMs + kEps);
  }
}

// The vfio_ap reset mechanism per version, and what it holds meanwhile. unassign_adapter 0x01 from web (4 queues
// with interrupts on, 15 ms hardware resets):
//   linux-6.1 vfio_ap_mdev_hot_unplug_adapter() -> vfio_ap_mdev_reset_queues(qtable) -> vfio_ap_mdev_reset_queue(q, 1)
//     queue after queue: ZAPQ, the status still shows interrupts on, msleep(20), TAPQ: done (WARN_ONCE(retry2 <= 0)
//     fires, the check succeeded on its last round): 4 x 20 ms = 80 ms, under guests, kvm:web and mdevs.
//   linux-6.13 vfio_ap_mdev_reset_qlist(): ZAPQ all four, apq_reset_check() polls each once at 20 ms: 20 ms.
//   v12 12/17 (the 2020 strategies) did not reset unassigned queues: 0.
TEST(KernelFacts, ResetsTakeTwentyMillisecondsPerQueueUntil65AndPerBatchAfter) {
  const std::string toml =
      replace_all(kPlatform, "adapters = \"0x00\"\ndomains", "adapters = \"0x00-0x01\"\ndomains") + R"(
[[reconfig.timeline]]
name = "unassign"
at = "1s"
op = "unassign_adapter"
mdev = "web"
adapter = "0x01"
)";
  const std::vector<Probe> probes = {{"set_masks", {"unassign", "unassign_adapter", "effect", "set_masks"}},
                                     {"zapq", {"unassign", "unassign_adapter", "zapq"}}};
  for (const auto& [strategy, f] : run_under(toml, kAll, probes)) {
    SCOPED_TRACE(strategy);
    const double t_u = num(f, "t.set_masks");
    EXPECT_GE(t_u, 1.000002 + kUMin - kEps);
    EXPECT_LE(t_u, 1.000002 + kUMax + kEps);
    const double reset = strategy == "linux-6.1" ? 80 * kMs : strategy == "linux-6.13" ? 20 * kMs : 0;
    EXPECT_NEAR(num(f, "timeline.unassign.end"), t_u + reset, kEps);
    EXPECT_EQ(num(f, "n.zapq"), is_linux(strategy) ? 4 : 0);
    EXPECT_EQ(num(f, "warnings"), strategy == "linux-6.1" ? 4 : 0);
    const std::string lock = is_linux(strategy) ? "hold.mdevs" : "hold.matrix";
    EXPECT_NEAR(num(f, lock), num(f, "timeline.unassign.end") - (is_linux(strategy) ? 1.0 : 1.000002), kEps);
    EXPECT_EQ(at(f, "plugged.web"), "0x00 x 0x00-0x03");
  }
}

// set_masks only when vfio_ap_mdev_filter_matrix() (or _filter_cdoms()) changed the APCB and a guest is attached
// (vfio_ap_mdev_update_guest_apcb(): if (matrix_mdev->kvm)). Assigning adapter 0x01 to the idle mdev spare changes
// its shadow but there is no guest: 2 + 10 us and done. A control domain outside the configuration (0x20) leaves
// web's APCB as it is: 2 us and done; one inside it (0x02) changes it: U for set_masks.
TEST(KernelFacts, SetMasksRunsOnlyWhenTheApcbChangedAndAGuestIsAttached) {
  const std::string toml = kPlatform + R"(
[[mdevs]]
name = "spare"
adapters = "0x01"
domains = "0x04"
[[reconfig.timeline]]
name = "idle"
at = "1s"
op = "assign_domain"
mdev = "spare"
domain = "0x00"
[[reconfig.timeline]]
name = "cdom_out"
at = "1.1s"
op = "assign_control_domain"
mdev = "web"
domain = "0x20"
[[reconfig.timeline]]
name = "cdom_in"
at = "1.2s"
op = "assign_control_domain"
mdev = "web"
domain = "0x02"
)";
  const std::vector<Probe> probes = {{"masks_idle", {"idle", "", "effect", "set_masks"}},
                                     {"masks_out", {"cdom_out", "", "effect", "set_masks"}},
                                     {"masks_in", {"cdom_in", "", "effect", "set_masks"}}};
  for (const auto& [strategy, f] : run_under(toml, kAll, probes)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.idle.result"), "ok");
    EXPECT_NEAR(num(f, "timeline.idle.end"), 1.0 + 12 * kUs, kEps);
    EXPECT_EQ(num(f, "n.masks_idle"), 0);
    EXPECT_NEAR(num(f, "timeline.cdom_out.end"), 1.1 + 2 * kUs, kEps);
    EXPECT_EQ(num(f, "n.masks_out"), 0);
    EXPECT_EQ(num(f, "n.masks_in"), 1);
    EXPECT_GE(num(f, "timeline.cdom_in.end"), 1.2 + 2 * kUs + kUMin - kEps);
    EXPECT_EQ(at(f, "assigned.spare"), "0x01 x 0x00,0x04");
  }
}

// Readers and dma_unmap against a long reset. vfio_reset at 1.0 resets web's 4 queues (interrupts on): 2020 and 6.1
// hold matrix_dev->lock / mdevs_lock 80 ms, 6.13 20 ms. At 1.001 a sysfs read of the mdev's matrix (matrix_show()
// takes mdevs_lock / matrix_dev->lock) waits for the reset: it returns 2 us after the reset. dma_unmap
// (vfio_ap_mdev_dma_unmap) takes mdevs_lock in 6.13 (unmap_iova -> vfio_ap_irq_disable), waits and returns 10 us
// after the reset; in 6.1 and 2020 it only unpins the page: 2 us.
TEST(KernelFacts, SysfsReadersAndDmaUnmapWaitBehindResets) {
  const std::string toml = kPlatform + R"(
[[reconfig.timeline]]
name = "reset"
at = "1s"
op = "vfio_reset"
mdev = "web"
[[reconfig.timeline]]
name = "show"
at = "1.001s"
op = "sysfs_show"
mdev = "web"
[[reconfig.timeline]]
name = "unmap"
at = "1.002s"
op = "dma_unmap"
mdev = "web"
)";
  for (const auto& [strategy, f] : run_under(toml, kAll)) {
    SCOPED_TRACE(strategy);
    const double reset_end = strategy == "linux-6.13" ? 1.020 : 1.080;
    EXPECT_NEAR(num(f, "timeline.reset.end"), reset_end, kEps);
    EXPECT_NEAR(num(f, "timeline.show.end"), reset_end + 2 * kUs, kEps);
    if (strategy == "linux-6.13")
      EXPECT_NEAR(num(f, "timeline.unmap.end"), reset_end + 2 * kUs + 10 * kUs, kEps) << "behind the reader too";
    else
      EXPECT_NEAR(num(f, "timeline.unmap.end"), 1.002 + 2 * kUs, kEps);
  }
}

// ap_scan_bus_mutex (6.13; eacf5b3651c5): the periodic scan trylocks it and skips when busy
// (ap_scan_bus_wq_callback), a forced rescan waits for it and reuses the running scan's result (ap_bus_force_rescan)
// - even when its change came after that scan read QCI. 6.1 has no such mutex: the single scan work item makes a
// forced rescan wait and then scan itself, and a periodic scan run after the running one.
//   off1 (4.9999): 0x01 leaves; its forced rescan reads QCI at 4.99995 (sees 0x01 gone) and runs on past 5.0
//     (config_changed updates web, U; 4 queue devices go).
//   off2 (4.99996): 0x02 leaves, after that QCI. 6.13: its forced rescan waits, then reuses the result: the
//     devices of 0x02 stay until the next scan that runs; the periodic scan at 5.0 finds the mutex taken and skips.
//     6.1: it waits and then scans: 0x02's devices go; the periodic scan waits and scans too.
TEST(KernelFacts, ScanMutexMakesPeriodicScansSkipAndForcedRescansReuse) {
  const std::string toml = R"(
[run]
horizon = "6s"
strategy = "STRATEGY"
[[cards]]
ids = "0x00-0x02"
type = "CEX8A"
domains = "0x00-0x03"
[[guests]]
name = "web"
adapters = "0x00-0x01"
domains = "0x00-0x03"
arrival = { process = "poisson", rate = "1k/s" }
[control]
bus_scan_interval = "5s"
[[reconfig.timeline]]
name = "off1"
at = "4.9999s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "off2"
at = "4.99996s"
op = "card_offline"
adapter = "0x02"
)";
  const std::vector<Probe> probes = {{"off2_scan", {"off2", "scan_bus", "start"}},
                                     {"periodic_busy", {"ap_bus scan #1", "periodic_scan", "busy", "ap_scan"}},
                                     {"periodic_scan", {"ap_bus scan #1", "scan_bus", "start"}},
                                     {"periodic_end", {"ap_bus scan #1", "periodic_scan", "end"}}};
  for (const auto& [strategy, f] : run_under(toml, kLinux, probes)) {
    SCOPED_TRACE(strategy);
    EXPECT_EQ(at(f, "timeline.off1.result"), "ok");
    EXPECT_EQ(at(f, "timeline.off2.result"), "ok");
    EXPECT_EQ(at(f, "driver.01.0000"), "absent");
    EXPECT_EQ(at(f, "plugged.web"), "0x00 x 0x00-0x03");
    if (strategy == "linux-6.13") {
      EXPECT_EQ(num(f, "n.off2_scan"), 0) << "reused the running scan's result";
      EXPECT_NEAR(num(f, "t.periodic_busy"), 5.0, kEps);
      EXPECT_EQ(num(f, "n.periodic_scan"), 0);
      EXPECT_NEAR(num(f, "t.periodic_end"), 5.0, kEps);
      EXPECT_EQ(at(f, "driver.02.0000"), "vfio_ap") << "a stale device of a card that is gone";
    } else {
      EXPECT_EQ(num(f, "n.off2_scan"), 1);
      EXPECT_EQ(num(f, "n.periodic_busy"), 0);
      EXPECT_EQ(num(f, "n.periodic_scan"), 1);
      EXPECT_GT(num(f, "t.periodic_end"), 5.0);
      EXPECT_EQ(at(f, "driver.02.0000"), "absent");
    }
  }
}

// --- the guest side ---------------------------------------------------------------------------------------------

// After the host resets a plugged queue, the guest's AP state machine goes through RESET_WAIT (polled every 40 ms,
// ap_sm_reset_wait) and re-enables interrupts with PQAP(AQIC), which the host intercepts: priv.c handle_pqap takes
// pqap_hook_rwsem for reading, vfio_ap's handle_pqap mdevs_lock (matrix_dev->lock in 2020), which a host operation
// may hold. web (adapter 0x00) and db (adapter 0x01), two domains each, interrupts on.
//   reset web (1.0): 6.13 resets both web queues in one 20 ms batch (mdevs 1.0-1.020); 6.1 and 2020 one after the
//     other, 20 ms each (1.0-1.040).
//   reset db (1.030): 6.13 takes mdevs at once and holds it to 1.050; 6.1 and 2020 wait for web's reset (1.040),
//     then hold it to 1.080.
//   web's queue 00.0000 was reset at 1.0 while requests were out: RESET_WAIT polled at 1.040 finds it done; the
//     AQIC intercept starts at 1.040, reads the hook at once, and waits for mdevs behind db's reset: it gets it at
//     1.050 (6.13) or 1.080 (6.1, 2020), and returns 20 us later. Only then does web send on 00.0000 again.
TEST(KernelFacts, ReissuedAqicWaitsForTheHostOperationHoldingMdevs) {
  const std::string toml = R"(
[run]
horizon = "2s"
strategy = "STRATEGY"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web"
adapters = "0x00"
domains = "0x00-0x01"
arrival = { process = "periodic", rate = "20k/s", phase = "10us" }
[[guests]]
name = "db"
adapters = "0x01"
domains = "0x00-0x01"
arrival = { process = "poisson", rate = "1k/s" }
[[reconfig.timeline]]
name = "reset_web"
at = "1s"
op = "vfio_reset"
mdev = "web"
[[reconfig.timeline]]
name = "reset_db"
at = "1.030s"
op = "vfio_reset"
mdev = "db"
)";
  const std::vector<Probe> probes = {{"aqic_start", {"vcpu:web aqic 00.0000", "pqap_aqic", "start"}},
                                     {"aqic_mdevs", {"vcpu:web aqic 00.0000", "pqap_aqic", "acquired", "mdevs"}},
                                     {"aqic_matrix", {"vcpu:web aqic 00.0000", "pqap_aqic", "acquired", "matrix"}},
                                     {"aqic_hook", {"vcpu:web aqic 00.0000", "pqap_aqic", "acquired", "pqap_hook:web"}},
                                     {"aqic_done", {"vcpu:web aqic 00.0000", "pqap_aqic", "effect", "enable_irq"}}};
  for (const auto& [strategy, f] : run_under(toml, kAll, probes)) {
    SCOPED_TRACE(strategy);
    EXPECT_NEAR(num(f, "t.aqic_start"), 1.040, kEps);
    const double got = strategy == "linux-6.13" ? 1.050 : 1.080;
    if (is_linux(strategy)) {
      EXPECT_NEAR(num(f, "t.aqic_hook"), 1.040, kEps) << "down_read: nobody writes the hook";
      EXPECT_NEAR(num(f, "t.aqic_mdevs"), got, kEps);
    } else {
      EXPECT_NEAR(num(f, "t.aqic_matrix"), got, kEps);
    }
    EXPECT_NEAR(num(f, "t.aqic_done"), got + 20 * kUs, kEps);
    EXPECT_EQ(num(f, "failed"), 0);
  }
}

// -ENODEV: zcrypt_process_rescan() runs a synchronous ap_bus_force_rescan() and, if it found a change, one more
// round (zcrypt_rsa_crt() and friends). web's only queue 00.0000 is unplugged at T_u while 00.0001, plugged at
// T_p < T_u, is still unknown to it (its periodic scan is 30 s away): the next request finds no usable queue, the
// rescan finds both changes, and the request is queued on 00.0001, whose bring-up starts right then (RAPQ,
// RESET_WAIT 40 ms, AQIC). No request fails.
TEST(KernelFacts, EnodevTriggersASynchronousRescanAndOneMoreRound) {
  const std::string toml = R"(
[run]
horizon = "2s"
strategy = "STRATEGY"
[[cards]]
ids = "0x00"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web"
adapters = "0x00"
domains = "0x00"
arrival = { process = "periodic", rate = "1k/s", phase = "500us" }
scan_interval = "30s"
[[reconfig.timeline]]
name = "plug"
at = "1s"
op = "assign_domain"
mdev = "web"
domain = "0x01"
[[reconfig.timeline]]
name = "unplug"
at = "1.1s"
op = "unassign_domain"
mdev = "web"
domain = "0x00"
)";
  const std::vector<Probe> probes = {{"unplug", {"unplug", "unassign_domain", "effect", "set_masks"}},
                                     {"aqic", {"vcpu:web aqic 00.0001", "pqap_aqic", "start"}}};
  for (const auto& [strategy, f] : run_under(toml, {"linux-6.13"}, probes)) {
    SCOPED_TRACE(strategy);
    const double t_u = num(f, "t.unplug");
    // The next arrival after T_u: the periodic grid 0.0005 + k ms.
    const double next = 0.0005 + std::ceil((t_u - 0.0005) / 1e-3 - 1e-9) * 1e-3;
    EXPECT_NEAR(num(f, "t.aqic"), next + 40 * kMs, kEps);
    EXPECT_EQ(num(f, "failed_enodev"), 0);
    EXPECT_EQ(num(f, "failed"), 0);
  }
}

// zcrypt_rsa_crt() and friends (zcrypt_api.c): one pass over the cards; a card is looked at only if its weight plus
// load beats the preferred card's, and then each of its queues is compared (weight plus queue load) with the
// preferred QUEUE; the load charged is `wgt` after the loop, the speed rating of the last card weighed. A CEX8A
// (rating 54 for RSA-CRT 2048) and a CEX8C (64), two domains each, listed A then C; 8 requests 1 us apart, none
// back before the last (service takes far longer). Each pick charges 64 (C is weighed last):
//   1: A0 (54 vs C's 64)            2: A1 (card C's 64 beats A's 54+64, but queue C0's 64 loses to A1's 54)
//   3: C0 (64 < A0's 54+64)          4: C1                    5: A0 (C's 64+128 loses to A's 54+128)
//   6: A1    7: C0    8: C1
// Comparing cards first and then queues within the card chosen would give A0, C0, A1, C1, ...
TEST(KernelFacts, ZcryptPicksInOnePassAndChargesTheLastCardsWeight) {
  const FullRun run = run_full(test::scenario_from(R"(
[run]
horizon = "8.5us"
[[cards]]
ids = "0x00"
type = "CEX8A"
domains = "0x00-0x01"
[[cards]]
ids = "0x01"
type = "CEX8C"
domains = "0x00-0x01"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00-0x01"
arrival = { process = "periodic", rate = "1M/s", phase = "1us" }
ops = { rsa_crt_2k = 1 }
)"));
  std::vector<std::pair<int, int>> picks;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::issue)
      picks.emplace_back(e.adapter, e.domain);
  const std::vector<std::pair<int, int>> kernel = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 0}, {0, 1}, {1, 0}, {1, 1}};
  EXPECT_EQ(picks, kernel);
}

// --- extends ----------------------------------------------------------------------------------------------------

// configs/strategies/examples/v16-assign-eagain.toml extends v12-trylock and changes assign_adapter alone: its failed
// trylock returns -EAGAIN. vfio_reset at 1.0 holds matrix_dev->lock 40 ms (2 queues with interrupts on); the assign
// at 1.001 trylocks at 1.001002: -EAGAIN, which its retry policy (on EBUSY only) does not retry. Under v12-trylock
// the same assign gets -EBUSY and is retried every 10 ms until the lock is free.
TEST(KernelFacts, AStrategyThatExtendsABuiltinChangesOneOperationEndToEnd) {
  const std::string toml =
      replace_all(kPlatform, "domains = \"0x00-0x03\"\narrival", "domains = \"0x00-0x01\"\narrival") +
      R"(
[[reconfig.timeline]]
name = "reset"
at = "1s"
op = "vfio_reset"
mdev = "web"
[[reconfig.timeline]]
name = "assign"
at = "1.001s"
op = "assign_adapter"
mdev = "web"
adapter = "0x01"
retry = { policy = "fixed", delay = "10ms", max_attempts = 10, on = ["EBUSY"] }
)";
  const std::string v16 = test::source_dir() + "/configs/strategies/examples/v16-assign-eagain.toml";
  for (const auto& [strategy, f] : run_under(toml, {"v12-trylock", v16})) {
    SCOPED_TRACE(strategy);
    EXPECT_NEAR(num(f, "timeline.reset.end"), 1.040, kEps);
    if (strategy == "v12-trylock") {
      EXPECT_EQ(at(f, "timeline.assign.result"), "ok");
      EXPECT_EQ(num(f, "timeline.assign.attempts"), 5) << "1.001, .011, .021, .031 busy; .041 free";
      EXPECT_EQ(at(f, "plugged.web"), "0x00-0x01 x 0x00-0x01");
    } else {
      EXPECT_EQ(at(f, "strategy"), "v16-assign-eagain");
      EXPECT_EQ(at(f, "timeline.assign.result"), "EAGAIN");
      EXPECT_NEAR(num(f, "timeline.assign.end"), 1.001002, kEps);
      EXPECT_EQ(num(f, "timeline.assign.attempts"), 1);
      EXPECT_NEAR(num(f, "timeline.reset.end"), 1.040, kEps) << "vfio_reset is v12-trylock's";
      EXPECT_EQ(at(f, "plugged.web"), "0x00 x 0x00-0x01");
    }
  }
}

} // namespace
} // namespace apq
