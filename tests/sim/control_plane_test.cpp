// Control-plane scenarios checked the way a kernel developer reads a lock trace: every time below is derived by
// hand from the strategy files' steps (configs/strategies/*.toml) and the mechanisms (configs/strategies/README.md,
// models/README.md), never copied from a run. These are the seed reproductions and the coupling with the data
// plane; kernel_facts_test.cpp has one scenario per kernel fact.
//
// The work steps every built-in strategy shares: 2 us to parse a sysfs write, 1 us for ap_device_probe(), 5 us for
// ap_bus_revise_bindings(), 10 us of bookkeeping under the locks, 20 us for the PQAP(AQIC) intercept, 50 us for an
// AP bus scan's QCI, and U, a draw from uniform [100 us, 1 ms], for each kvm_arch_crypto_set_masks(). U is random,
// so times after a U are checked against its bounds, or relative to the event that ends it. Hardware resets default
// to 15 ms (deterministic). linux-6.13 verifies a batch of resets with work items that poll every 20 ms: the caller
// waits 20 ms, holding its locks. The 2020 strategies and linux-6.1 reset queue by queue: a queue with interrupts on
// costs 20 ms, an idle one without interrupts nothing (its ZAPQ status is already empty with interrupts off).
// A guest brings a queue up with RAPQ, polls RESET_WAIT every 40 ms, then issues PQAP(AQIC), which the host
// intercepts: with 15 ms resets, the intercept starts 40 ms after the guest noticed the queue.
//
// One simulation per TEST (one SimGrid engine per process); TESTs comparing strategies fork one child per run.

#include "control_test_support.hpp"
#include "sim/fork_runner.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace apq {
namespace {

using namespace ctest;

bool is_whole(double x) {
  return std::abs(x - std::round(x)) < 1e-9;
}

using Ids = std::set<uint64_t>;

/** Requests whose latest issue or retry put them on `adapter` and that were not collected by `t`. */
Ids outstanding_on(const std::vector<TraceEvent>& events, int adapter, double t) {
  std::map<uint64_t, int> where;
  for (const TraceEvent& e : events) {
    if (e.time > t)
      break;
    if (e.kind == TraceKind::issue || e.kind == TraceKind::retry)
      where[e.request] = e.adapter;
    if (e.kind == TraceKind::collect || e.kind == TraceKind::fail)
      where.erase(e.request);
  }
  Ids out;
  for (const auto& [request, a] : where)
    if (a == adapter)
      out.insert(request);
  return out;
}

Ids requests_of(const std::vector<TraceEvent>& events, TraceKind kind, double t, int adapter = -2) {
  Ids out;
  for (const TraceEvent& e : events)
    if (e.kind == kind && std::abs(e.time - t) < kEps && (adapter == -2 || e.adapter == adapter))
      out.insert(e.request);
  return out;
}

std::size_t count_between(const std::vector<TraceEvent>& events, TraceKind kind, int adapter, double from, double to) {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const TraceEvent& e) {
    return e.kind == kind && e.adapter == adapter && e.time > from && e.time < to;
  }));
}

// A few figures of a run, as text, for runs made in forked children.
std::string figures(const FullRun& run, const std::vector<std::string>& names) {
  std::ostringstream out;
  out.precision(17);
  const ControlResult& c = run.result.control;
  for (const std::string& name : names) {
    const TimelineOutcome& t = outcome(run.result, name);
    out << name << ".result " << t.result << "\n" << name << ".end " << t.end << "\n";
    out << name << ".attempts " << t.attempts << "\n";
  }
  out << "deadlocks " << c.deadlocks.size() << "\ninversions " << c.inversions.size() << "\nhung " << c.hung.size()
      << "\nstolen " << c.stolen_queues.size() << "\nplugs " << run.result.data.plugs << "\nunplugs "
      << run.result.data.unplugs << "\nbugs " << c.kernel_bugs.size() << "\n";
  for (const auto& [op, f] : c.ops)
    out << "ops." << op << ".ebusy " << f.ebusy << "\nops." << op << ".ebusy_reserving " << f.ebusy_reserving
        << "\nops." << op << ".ebusy_giving_back " << f.ebusy_giving_back << "\nops." << op << ".retries " << f.retries
        << "\n";
  for (const auto& [queue, driver] : c.final_state.drivers)
    out << "driver." << queue << " " << driver << "\n";
  for (const ControlEvent& e : run.control)
    if (e.what == "acquired" && e.detail == "ap_perms")
      out << "ap_perms." << e.actor << "." << e.op << " " << e.time << "\n";
  return out.str();
}

std::map<std::string, std::string> parse(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string key, value;
  while (in >> key >> value)
    out[key] = value;
  return out;
}

double num(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  EXPECT_NE(it, f.end()) << key;
  return it == f.end() ? std::nan("") : std::stod(it->second);
}

// --- 1. the ABBA deadlock of [PATCH v12 07/17]'s commit message --------------------------------------------------

// naive-mutex, configs/seed/abba-deadlock.toml:
//   admin-apmask  apmask_store +0x01 at 1 s:  lock ap_perms (free)                       -> acquired 1.000000
//                                              work 2us, parse_mask (0x01 is new: in_use is called)
//                                              call in_use: lock matrix                    -> waits from 1.000002
//   admin-assign  assign_adapter 0x01 at 0.999999 s: work 2us, lock matrix (free)        -> acquired 1.000001
//                                              work 10us, lock ap_perms (apmask has it)   -> waits from 1.000011
// The wait at 1.000011 closes the cycle assign (holds matrix, wants ap_perms) -> apmask/in_use (holds ap_perms,
// wants matrix): the deadlock monitor reports it then, and lockdep's order graph already had ap_perms -> matrix
// (in_use at 1.000002), so matrix -> ap_perms is an inversion recorded at the same moment. Neither operation
// returns; the data plane does not need these locks and runs to the horizon.
TEST(ControlPlane, AbbaDeadlockUnderNaiveMutex) {
  const FullRun run = run_full(seed_scenario("abba-deadlock.toml"));
  const ControlResult& c = run.result.control;
  ASSERT_EQ(c.strategy, "naive-mutex");

  struct Step {
    double time;
    std::string actor, op, what, detail;
  };
  const std::vector<Step> expected{
      {1.000000, "admin-apmask", "apmask_store", "lock", "ap_perms"},
      {1.000000, "admin-apmask", "apmask_store", "acquired", "ap_perms"},
      {1.000001, "admin-assign", "assign_adapter", "lock", "matrix"},
      {1.000001, "admin-assign", "assign_adapter", "acquired", "matrix"},
      {1.000002, "admin-apmask", "in_use", "lock", "matrix"},
      {1.000011, "admin-assign", "assign_adapter", "lock", "ap_perms"},
  };
  std::vector<ControlEvent> locking;
  for (const ControlEvent& e : run.control)
    if (e.what == "lock" || e.what == "acquired" || e.what == "busy" || e.what == "unlock")
      locking.push_back(e);
  ASSERT_EQ(locking.size(), expected.size()) << "every lock step after the cycle would be a bug";
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(describe(locking[i]));
    EXPECT_NEAR(locking[i].time, expected[i].time, kEps);
    EXPECT_EQ(locking[i].actor, expected[i].actor);
    EXPECT_EQ(locking[i].op, expected[i].op);
    EXPECT_EQ(locking[i].what, expected[i].what);
    EXPECT_EQ(locking[i].detail, expected[i].detail);
    // Every step event names its step in the strategy file.
    EXPECT_EQ(locking[i].where.rfind("configs/strategies/naive-mutex.toml:", 0), 0u) << locking[i].where;
  }
  EXPECT_NEAR(time_of(run.control, {.what = "deadlock"}), 1.000011, kEps);
  EXPECT_EQ(index_of(run.control, {.what = "end"}), -1) << "neither operation may return";

  ASSERT_EQ(c.deadlocks.size(), 1u);
  const DeadlockReport& d = c.deadlocks[0];
  EXPECT_NEAR(d.time, 1.000011, kEps);
  ASSERT_EQ(d.cycle.size(), 2u);
  // The cycle starts with the task whose wait closed it.
  EXPECT_EQ(d.cycle[0].actor, "admin-assign");
  EXPECT_EQ(d.cycle[0].op, "assign_adapter");
  EXPECT_EQ(d.cycle[0].holds, "matrix");
  EXPECT_EQ(d.cycle[0].wants, "ap_perms");
  EXPECT_EQ(d.cycle[1].actor, "admin-apmask");
  EXPECT_EQ(d.cycle[1].op, "in_use");
  EXPECT_EQ(d.cycle[1].holds, "ap_perms");
  EXPECT_EQ(d.cycle[1].wants, "matrix");
  EXPECT_EQ(c.hung, (std::vector<std::string>{"admin-assign", "admin-apmask"})) << "in the order the tasks started";

  for (const std::string name : {"admin-apmask", "admin-assign"}) {
    const TimelineOutcome& t = outcome(run.result, name);
    EXPECT_FALSE(t.finished) << name;
    EXPECT_EQ(t.result, "hung") << name;
    EXPECT_DOUBLE_EQ(t.end, 3.0) << name << ": a hung operation ends at the horizon";
  }

  ASSERT_EQ(c.inversions.size(), 1u);
  const InversionReport& inv = c.inversions[0];
  EXPECT_NEAR(inv.time, 1.000011, kEps);
  EXPECT_EQ(inv.cycle, (std::vector<std::string>{"matrix", "ap_perms", "matrix"}));
  EXPECT_EQ(inv.established_by, "in_use");
  EXPECT_EQ(inv.inverted_by, "assign_adapter");

  // The guest is untouched: web (10k/s Poisson, 3 s, no warm-up) completes about 30000 requests; 4 sigma of the
  // Poisson count is 4 x sqrt(30000) ~ 693. It keeps collecting until the end.
  const GuestResult& web = run.result.guests[0];
  EXPECT_NEAR(static_cast<double>(web.requests.completed), 30000.0, 700.0);
  EXPECT_EQ(web.requests.failed, 0u);
  double last_collect = 0;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::collect)
      last_collect = e.time;
  EXPECT_GT(last_collect, 2.99);
  EXPECT_EQ(run.result.data.plugs, 0u) << "the assign never reached its hot plug";
}

// --- 2. the same timeline under the fixes --------------------------------------------------------------------

// ordered: assign_adapter's first step is lock ap_perms, and it starts at 0.999999, before apmask_store (1 s): it
// takes ap_perms and matrix at 0.999999; apmask_store blocks on ap_perms at 1.0. assign: 2+10 us -> its checks at
// 1.000011 see no reserved queue (the mask is not committed) and pass; filter_matrix puts adapter 0x01 in web's
// shadow (its 4 queues are bound to vfio_ap and now linked): kvm, U, set_masks hot-plugs its 4 queues; it unlocks at
// T_a = 1.000011 + U, in [1.000111, 1.001011]. apmask_store acquires ap_perms at T_a, works 2 us, parses +0x01
// (new: in_use is called), in_use locks matrix at T_a + 2 us, 10 us, check_in_use finds adapter 0x01 assigned to
// web: -EADDRINUSE, which apmask_commit turns into -EBUSY at T_a + 12 us. linux-6.1 and linux-6.13 are the same with
// ap_perms -> guests -> kvm -> mdevs (assign) and guests -> mdevs (in_use). So the mask store fails, not the assign.
TEST(ControlPlane, AbbaTimelineUnderTheFixesFailsTheMaskStoreWithEbusy) {
  std::vector<ChildJob> jobs;
  for (const std::string strategy : {"ordered", "linux-6.1", "linux-6.13"})
    jobs.push_back([strategy] {
      const FullRun run = run_full(
          seed_scenario("abba-deadlock.toml", {{"run.strategy", "\"" + strategy + "\""}, {"run.expect", "[]"}}));
      return figures(run, {"admin-apmask", "admin-assign"});
    });
  const std::vector<std::string> out = run_in_children(jobs, 2);
  for (const std::string& text : out) {
    const auto f = parse(text);
    SCOPED_TRACE(text);
    EXPECT_EQ(num(f, "deadlocks"), 0);
    EXPECT_EQ(num(f, "inversions"), 0);
    EXPECT_EQ(num(f, "hung"), 0);
    EXPECT_EQ(f.at("admin-assign.result"), "ok");
    const double t_a = num(f, "admin-assign.end");
    EXPECT_GE(t_a, 1.000011 + kUMin - kEps);
    EXPECT_LE(t_a, 1.000011 + kUMax + kEps);
    EXPECT_NEAR(num(f, "ap_perms.admin-assign.assign_adapter"), 0.999999, kEps);
    EXPECT_NEAR(num(f, "ap_perms.admin-apmask.apmask_store"), t_a, kEps);
    EXPECT_EQ(f.at("admin-apmask.result"), "EBUSY");
    EXPECT_NEAR(num(f, "admin-apmask.end"), t_a + 12 * kUs, kEps);
    EXPECT_EQ(num(f, "ops.apmask_store.ebusy"), 1);
    EXPECT_EQ(num(f, "ops.apmask_store.ebusy_reserving"), 1);
    EXPECT_EQ(num(f, "plugs"), 4);
    EXPECT_EQ(num(f, "unplugs"), 0);
    EXPECT_EQ(num(f, "stolen"), 0);
    EXPECT_EQ(f.at("driver.01.0000"), "vfio_ap") << "the failed store moved nothing";
  }
}

// --- 3. the stolen queue of Halil Pasic's review ----------------------------------------------------------------

// v12-trylock, configs/seed/v12-stolen-queue.toml (web polls, so its queues never have interrupts on):
//   apmask 1.000000 lock ap_perms; 2 us; parse (+0x01 is new); in_use trylock matrix at 1.000002 (free); 10 us;
//     check_in_use (adapter 0x01 unassigned: ok) and unlock matrix at 1.000012; commit_masks, unlock ap_perms at
//     1.000012; 5 us; revise_bindings at 1.000017 walks the queue devices, reading ap_perms under its mutex for
//     each: 00.00xx fit, 01.0000 does not: device_release -> remove_queue locks matrix -> waits, the assign has it.
//   assign starts 1.0000105; 2 us; trylock matrix at 1.0000125, after in_use let it go; 10 us; check_bound at
//     1.0000225 (the queues are still bound to vfio_ap: only a finished remove_queue unbinds them), assign (links
//     01.0000-01.0003 to web), filter_matrix puts adapter 0x01 in the shadow, kvm, U, set_masks hot-plugs
//     01.0000-01.0003 and unlocks at T_a = 1.0000225 + U.
//   remove_queue(01.0000) gets matrix at T_a; 10 us; the queue is linked and in the shadow: drop its APID, kvm, U',
//     set_masks at T_u = T_a + 10 us + U' unplugs the 4 queues; then v12 13/17 resets this queue alone: the ZAPQ
//     status shows it empty with interrupts off, no wait. remove_queue returns at T_u, the device leaves vfio_ap
//     assigned to web: stolen, and binds to cex4queue (ap_device_probe, 1 us). The remove_queue of 01.0001..01.0003
//     (10 us each; their APID is no longer in the shadow, no set_masks, no wait) follow 11 us apart, each reported
//     stolen when its device leaves vfio_ap.
// web's scan would show it the new adapter at its next periodic scan; v12 has no config-change notification (6.15),
// so web never sees adapter 0x01 in the ~1 ms it is plugged, and nothing of web's is lost.
TEST(ControlPlane, V12StolenQueue) {
  const FullRun run = run_full(seed_scenario("v12-stolen-queue.toml"));
  const auto& c = run.control;
  ASSERT_EQ(run.result.control.strategy, "v12-trylock");

  EXPECT_NEAR(time_of(c, {"admin-apmask", "in_use", "acquired", "matrix"}), 1.000002, kEps);
  const long in_use_unlock = index_of(c, {"admin-apmask", "in_use", "unlock", "matrix"});
  ASSERT_GE(in_use_unlock, 0);
  EXPECT_NEAR(c[in_use_unlock].time, 1.000012, kEps);
  EXPECT_NEAR(time_of(c, {"admin-apmask", "apmask_store", "effect", "commit_masks"}), 1.000012, kEps);
  EXPECT_NEAR(time_of(c, {"admin-apmask", "apmask_store", "unlock", "ap_perms"}), 1.000012, kEps);
  const long assign_acquired = index_of(c, {"admin-assign", "assign_adapter", "acquired", "matrix"});
  ASSERT_GT(assign_acquired, in_use_unlock) << "the assign's trylock succeeds only after in_use released matrix";
  EXPECT_NEAR(c[assign_acquired].time, 1.0000125, kEps);
  EXPECT_EQ(index_of(c, {"admin-assign", "assign_adapter", "busy"}), -1);
  EXPECT_NEAR(time_of(c, {"admin-assign", "assign_adapter", "effect", "check_bound"}), 1.0000225, kEps);
  EXPECT_NEAR(time_of(c, {"admin-assign", "assign_adapter", "effect", "assign"}), 1.0000225, kEps);
  const double t_a = time_of(c, {"admin-assign", "assign_adapter", "unlock", "matrix"});
  EXPECT_GE(t_a, 1.0000225 + kUMin - kEps);
  EXPECT_LE(t_a, 1.0000225 + kUMax + kEps);
  EXPECT_NEAR(time_of(c, {"admin-assign", "assign_adapter", "effect", "set_masks"}), t_a, kEps);

  // The reprobe's remove_queue asked for matrix at 1.000017 and got it only when the assign was done.
  const long rq_lock = index_of(c, {"admin-apmask", "remove_queue", "lock", "matrix"});
  ASSERT_GE(rq_lock, 0);
  EXPECT_NEAR(c[rq_lock].time, 1.000017, kEps);
  const long rq_acquired = index_of(c, {"admin-apmask", "remove_queue", "acquired", "matrix"});
  ASSERT_GE(rq_acquired, 0);
  EXPECT_NEAR(c[rq_acquired].time, t_a, kEps);
  const double t_u = time_of(c, {"admin-apmask", "remove_queue", "effect", "set_masks"});
  EXPECT_GE(t_u, t_a + 10 * kUs + kUMin - kEps);
  EXPECT_LE(t_u, t_a + 10 * kUs + kUMax + kEps);
  EXPECT_NEAR(time_of(c, {"admin-apmask", "remove_queue", "reset", "1 queues"}), t_u, kEps);
  EXPECT_NEAR(time_of(c, {"admin-apmask", "remove_queue", "end"}), t_u, kEps);

  const auto& stolen = run.result.control.stolen_queues;
  ASSERT_EQ(stolen.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(stolen[i].queue, "01.000" + std::to_string(i));
    EXPECT_EQ(stolen[i].mdev, "web");
    EXPECT_EQ(stolen[i].guest, "web");
    EXPECT_EQ(stolen[i].assigned_by, "admin-assign (assign_adapter)");
    EXPECT_NEAR(stolen[i].assigned_at, 1.0000225, kEps);
    EXPECT_EQ(stolen[i].taken_by, "admin-apmask (apmask_store +0x01)");
    EXPECT_NEAR(stolen[i].time, t_u + static_cast<double>(i) * 11 * kUs, kEps);
    EXPECT_EQ(run.result.control.final_state.drivers.at("01.000" + std::to_string(i)), "cex4queue");
  }
  EXPECT_EQ(all_of(c, {.what = "stolen_queue"}).size(), 4u);
  EXPECT_EQ(outcome(run.result, "admin-apmask").result, "ok");
  EXPECT_EQ(outcome(run.result, "admin-assign").result, "ok");
  EXPECT_EQ(run.result.control.final_state.assigned.at("web"), "0x00-0x01 x 0x00-0x03") << "still assigned";
  EXPECT_EQ(run.result.control.final_state.plugged.at("web"), "0x00 x 0x00-0x03");

  const DataPlaneEvents& data = run.result.data;
  EXPECT_EQ(data.plugs, 4u);
  EXPECT_EQ(data.unplugs, 4u);
  EXPECT_EQ(data.resets, 4u) << "each remove_queue resets its own queue";
  EXPECT_EQ(all_of(c, {"admin-apmask", "remove_queue", "effect", "set_masks"}).size(), 1u);
  EXPECT_EQ(data.requests_lost, 0u) << "web never noticed the adapter";
  EXPECT_EQ(count_between(run.events, TraceKind::send, 1, 0.0, 3.0), 0u);
  EXPECT_EQ(run.result.guests[0].requests.failed, 0u);
}

// ordered, linux-6.1 and linux-6.13 on the same timeline: apmask_store holds ap_perms from 1.000000 to its commit at
// 1.000012 (in_use: 2 + 10 us). The assign (1.0000105) takes ap_perms first, so it waits and gets it at 1.000012,
// then matrix (ordered) or guests, kvm, mdevs (Linux); 2 + 10 us later, at 1.000024, check_host_ownership sees
// adapter 0x01 reserved by the committed apmask: -EADDRNOTAVAIL. Nothing was assigned, so the reprobe moves
// unassigned queues only: no plug, no unplug, nothing stolen, and 01.00xx end under cex4queue.
TEST(ControlPlane, StolenQueueTimelineUnderTheFixesFailsTheAssign) {
  std::vector<ChildJob> jobs;
  for (const std::string strategy : {"ordered", "linux-6.1", "linux-6.13"})
    jobs.push_back([strategy] {
      const FullRun run = run_full(
          seed_scenario("v12-stolen-queue.toml", {{"run.strategy", "\"" + strategy + "\""}, {"run.expect", "[]"}}));
      return figures(run, {"admin-apmask", "admin-assign"});
    });
  for (const std::string& text : run_in_children(jobs, 2)) {
    const auto f = parse(text);
    SCOPED_TRACE(text);
    EXPECT_EQ(num(f, "stolen"), 0);
    EXPECT_EQ(num(f, "deadlocks"), 0);
    EXPECT_EQ(f.at("admin-assign.result"), "EADDRNOTAVAIL");
    EXPECT_NEAR(num(f, "ap_perms.admin-assign.assign_adapter"), 1.000012, kEps);
    EXPECT_NEAR(num(f, "admin-assign.end"), 1.000024, kEps);
    EXPECT_EQ(f.at("admin-apmask.result"), "ok");
    EXPECT_EQ(num(f, "plugs"), 0);
    EXPECT_EQ(num(f, "unplugs"), 0);
    for (const char* queue : {"01.0000", "01.0001", "01.0002", "01.0003"})
      EXPECT_EQ(f.at(std::string("driver.") + queue), "cex4queue") << queue;
    EXPECT_EQ(f.at("driver.00.0000"), "vfio_ap");
  }
}

// --- 4, 5. hot unplug and plug with linux-6.13 ------------------------------------------------------------------

// A guest on two CEX8A adapters, one domain each, queue depth 2, interrupts, periodic AP bus scan every second. A
// burst of 100k/s from 1.9999 s to 2.0011 s overfills both queues, so that when adapter 0x01 goes, the guest has
// requests both in the card and queued on its side there.
const char* const kUnplugScenario = R"(
[run]
horizon = "6s"
strategy = "linux-6.13"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00"
queue_depth = 2
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00"
arrival = { process = "schedule", steps = [{ at = "0s", rate = "8k/s" }, { at = "1.9999s", rate = "100k/s" }, { at = "2.0011s", rate = "8k/s" }] }
completion = { mode = "interrupt", delay = "10us" }
scan_interval = "1s"
cfg_change_notify = false
[[reconfig.timeline]]
name = "unassign"
at = "2s"
op = "unassign_adapter"
mdev = "g"
adapter = "0x01"
[[reconfig.timeline]]
name = "assign"
at = "4s"
op = "assign_adapter"
mdev = "g"
adapter = "0x01"
)";

// unassign_adapter 0x01 at 2 s: guests, kvm:g, mdevs are free; 2 us; unassign (01.0000 was in the shadow: to be
// reset); U; set_masks at T_u in [2.000102, 2.001002] takes APID 0x01 out of the APCB: the card discards what it
// holds for 01.0000. The guest's NQAP/DQAP there now fail; what it had sent, and what it had queued on its side,
// waits (no timeout) until its next bus scan t1, a point of its 1 s grid in (T_u, T_u + 1], removes the device and
// zcrypt retries it all on 00.0000. Then the 6.13 reset: ZAPQ, one 20 ms poll by the work item. Nothing fails; the
// retried requests' latency includes the hang.
// assign_adapter 0x01 at 4 s: ap_perms, guests, kvm, mdevs; 2 + 10 us; checks; U; set_masks at T_p in
// [4.000112, 4.001012] plugs 01.0000. The guest sees it at its next scan s2 in (T_p, T_p + 1], on the same grid as
// t1; zcrypt may pick it at once (it is OPERATING) but the AP state machine first resets it: RAPQ, RESET_WAIT polled
// at s2 + 40 ms (the 15 ms reset is done), then PQAP(AQIC), intercepted: pqap_aqic takes pqap_hook:g (read) and
// mdevs (free) at s2 + 40 ms, 20 us, enable_irq. Only then does anything go out on 0x01.
TEST(ControlPlane, UnplugHangsRequestsUntilTheGuestScansThenRetriesThemElsewhere) {
  const FullRun run = run_full(test::scenario_from(kUnplugScenario));
  const auto& c = run.control;
  const auto& ev = run.events;

  EXPECT_NEAR(time_of(c, {"unassign", "unassign_adapter", "effect", "unassign"}), 2.000002, kEps);
  const double t_u = time_of(c, {"unassign", "unassign_adapter", "effect", "set_masks"});
  EXPECT_GE(t_u, 2.000002 + kUMin - kEps);
  EXPECT_LE(t_u, 2.000002 + kUMax + kEps);
  EXPECT_NEAR(outcome(run.result, "unassign").end, t_u + 20 * kMs, kEps);

  const Ids in_flight = outstanding_on(ev, 1, t_u - kEps);
  const Ids discarded = requests_of(ev, TraceKind::discard, t_u, 1);
  ASSERT_FALSE(discarded.empty());
  ASSERT_GT(in_flight.size(), discarded.size()) << "the burst should leave requests queued guest-side too";
  for (uint64_t r : discarded)
    EXPECT_TRUE(in_flight.contains(r)) << r;

  // Every one of them is retried on adapter 0x00 at one moment, the guest's next scan.
  std::map<double, Ids> retries;
  for (const TraceEvent& e : ev)
    if (e.kind == TraceKind::retry) {
      EXPECT_EQ(e.adapter, 0);
      EXPECT_EQ(e.domain, 0);
      retries[e.time].insert(e.request);
    }
  ASSERT_EQ(retries.size(), 1u);
  const double t1 = retries.begin()->first;
  EXPECT_EQ(retries.begin()->second, in_flight);
  EXPECT_GT(t1, t_u);
  EXPECT_LE(t1, t_u + 1.0 + kEps);
  EXPECT_EQ(run.result.data.requests_retried, in_flight.size());
  EXPECT_EQ(run.result.data.requests_lost, discarded.size());

  // A retried request's latency holds its hang: collected after t1.
  std::map<uint64_t, double> issued;
  double longest = 0;
  for (const TraceEvent& e : ev) {
    if (e.kind == TraceKind::issue)
      issued[e.request] = e.time;
    if (e.kind == TraceKind::collect && in_flight.contains(e.request)) {
      EXPECT_GT(e.time, t1) << e.request;
      longest = std::max(longest, e.time - issued[e.request]);
    }
  }
  EXPECT_GE(longest, t1 - t_u);
  EXPECT_GE(run.result.guests[0].latency.max(), t1 - t_u);

  // Plug again.
  const double t_p = time_of(c, {"assign", "assign_adapter", "effect", "set_masks"});
  EXPECT_GE(t_p, 4.000012 + kUMin - kEps);
  EXPECT_LE(t_p, 4.000012 + kUMax + kEps);
  const double aqic = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "start"});
  const double s2 = aqic - 40 * kMs; // the scan that found the queue: RAPQ, then RESET_WAIT polled 40 ms later
  EXPECT_GT(s2, t_p);
  EXPECT_LE(s2, t_p + 1.0 + kEps);
  EXPECT_TRUE(is_whole(s2 - t1)) << s2 - t1 << ": both scans are on the guest's 1 s grid";
  EXPECT_NEAR(time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "acquired", "pqap_hook:g"}), aqic, kEps);
  EXPECT_NEAR(time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "acquired", "mdevs"}), aqic, kEps);
  const double t_irq = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "effect", "enable_irq"});
  EXPECT_NEAR(t_irq, aqic + 20 * kUs, kEps);
  EXPECT_EQ(all_of(c, {.op = "pqap_aqic", .what = "start"}).size(), 1u);

  // zcrypt picks 0x01 from the scan on (it is usable), but nothing is sent there before the AQIC intercept returned.
  EXPECT_EQ(count_between(ev, TraceKind::issue, 1, t_u, s2 - kEps), 0u);
  EXPECT_GT(count_between(ev, TraceKind::issue, 1, s2 - kEps, t_irq), 0u) << "about 8 per ms, for 40 ms";
  EXPECT_EQ(count_between(ev, TraceKind::send, 1, t_u, t_irq), 0u);
  EXPECT_GT(count_between(ev, TraceKind::send, 1, t_irq - kEps, 6.0), 0u);
  const RequestCounts& counts = run.result.guests[0].requests;
  EXPECT_EQ(counts.failed, 0u);
  EXPECT_EQ(run.result.data.unplugs, 1u);
  EXPECT_EQ(run.result.data.plugs, 1u);
}

// Linux 6.15's config-change notification, written as a strategy that extends linux-6.13 (cfg_change_signal): each
// set_masks signals the mdev's eventfd and the guest, whose QEMU forwards it (cfg_change_notify), rescans at once.
// The hung requests are retried at T_u itself; the plugged queue is found at T_p, so the AQIC intercept starts at
// T_p + 40 ms (RESET_WAIT) and enable_irq follows 20 us later.
TEST(ControlPlane, UnplugWithConfigChangeNotificationRetriesAtOnce) {
  const std::string strategy = test::source_dir() + "/configs/strategies/examples/linux-6.13-cfg-chg-signal.toml";
  const FullRun run = run_full(test::scenario_from(
      kUnplugScenario, {{"guests.0.cfg_change_notify", "true"}, {"run.strategy", "\"" + strategy + "\""}}));
  EXPECT_EQ(run.result.control.strategy, "linux-6.13+cfg-chg");
  const auto& c = run.control;
  const double t_u = time_of(c, {"unassign", "unassign_adapter", "effect", "set_masks"});
  const Ids in_flight = outstanding_on(run.events, 1, t_u - kEps);
  ASSERT_FALSE(in_flight.empty());
  Ids retried;
  for (const TraceEvent& e : run.events)
    if (e.kind == TraceKind::retry) {
      EXPECT_NEAR(e.time, t_u, kEps);
      EXPECT_EQ(e.adapter, 0);
      retried.insert(e.request);
    }
  EXPECT_EQ(retried, in_flight);
  const double t_p = time_of(c, {"assign", "assign_adapter", "effect", "set_masks"});
  EXPECT_NEAR(time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "start"}), t_p + 40 * kMs, kEps);
  const double t_irq = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "effect", "enable_irq"});
  EXPECT_NEAR(t_irq, t_p + 40 * kMs + 20 * kUs, kEps);
  EXPECT_EQ(count_between(run.events, TraceKind::send, 1, t_u, t_irq), 0u);
  EXPECT_GT(count_between(run.events, TraceKind::send, 1, t_irq - kEps, 6.0), 0u);
  EXPECT_EQ(run.result.guests[0].requests.failed, 0u);
}

// The same unplug, with the assign right behind it (at 2.001 s): it takes ap_perms, then waits for guests until
// the unassign is done at T_u + 20 ms; 12 us, U; it plugs 01.0000 again at T_p = T_u + 20 ms + 12 us + U, long
// before the guest's next scan t1 (precondition, checked: the grid point is not in those ~21 ms). So the scan at
// t1 finds the device still there but in error (its NQAP/DQAP failed meanwhile): ap_scan_domains flushes its
// requests with -EAGAIN, zcrypt retries them on 00.0000 (the retry penalties steer them off 01.0000), and
// re-initializes it (RAPQ, RESET_WAIT, AQIC): pqap_aqic at t1 + 40 ms, enable_irq 20 us later, then zcrypt sends on
// 0x01 again. Nothing hangs for good.
TEST(ControlPlane, UnplugAndPlugBetweenTwoScansReinitializesTheQueue) {
  const FullRun run = run_full(test::scenario_from(kUnplugScenario, {{"reconfig.timeline.1.at", "\"2.001s\""}}));
  const auto& c = run.control;
  const auto& ev = run.events;
  const double t_u = time_of(c, {"unassign", "unassign_adapter", "effect", "set_masks"});
  EXPECT_NEAR(time_of(c, {"assign", "assign_adapter", "acquired", "guests"}), t_u + 20 * kMs, kEps);
  const double t_p = time_of(c, {"assign", "assign_adapter", "effect", "set_masks"});
  EXPECT_GE(t_p, t_u + 20 * kMs + 12 * kUs + kUMin - kEps);
  EXPECT_LE(t_p, t_u + 20 * kMs + 12 * kUs + kUMax + kEps);

  const Ids in_flight = outstanding_on(ev, 1, t_u - kEps);
  ASSERT_FALSE(in_flight.empty());
  std::map<double, Ids> retries;
  for (const TraceEvent& e : ev)
    if (e.kind == TraceKind::retry) {
      EXPECT_EQ(e.adapter, 0);
      retries[e.time].insert(e.request);
    }
  ASSERT_EQ(retries.size(), 1u) << "the hung requests must come back, once";
  const double t1 = retries.begin()->first;
  ASSERT_GT(t1, t_p) << "precondition: no scan between the unplug and the plug (pick another seed)";
  EXPECT_LE(t1, t_u + 1.0 + kEps);
  EXPECT_EQ(retries.begin()->second, in_flight);

  EXPECT_EQ(all_of(c, {.op = "pqap_aqic", .what = "start"}).size(), 1u);
  EXPECT_NEAR(time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "start"}), t1 + 40 * kMs, kEps);
  const double t_irq = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "effect", "enable_irq"});
  EXPECT_NEAR(t_irq, t1 + 40 * kMs + 20 * kUs, kEps);
  EXPECT_EQ(count_between(ev, TraceKind::send, 1, t_u, t_irq), 0u);
  EXPECT_GT(count_between(ev, TraceKind::send, 1, t_irq - kEps, 6.0), 1000u);
  EXPECT_EQ(run.result.guests[0].requests.failed, 0u);
  EXPECT_EQ(run.result.data.unplugs, 1u);
  EXPECT_EQ(run.result.data.plugs, 1u);
}

// --- 6. VFIO_DEVICE_RESET while plugged ----------------------------------------------------------------------------

// linux-6.13 vfio_reset at 2 s: lock mdevs (free) at 2.0; vfio_ap_mdev_reset_queues() ZAPQs 00.0000 and 01.0000 at
// 2.0; each hardware reset takes 15 ms; the work items poll at 2.020, find both done, and the op releases mdevs at
// 2.020. The queues stay plugged: zcrypt's ap_sm_recv finds them empty with requests pending and moves its pending
// list back to the head of its request list ("retry" on the same queue, at 2.0). With requests waiting, the guest's
// state machine meets the reset at once: RESET_WAIT, polled at 2.040 (done), then PQAP(AQIC) for each queue, both
// intercepts at 2.040, serialized on mdevs_lock: enable_irq at 2.04002 and 2.04004. Nothing is sent on a queue
// before its AQIC returned; then the re-queued requests go first, in their order. Nothing fails. The guest issues
// one request every 33.3 us from 10 us on, each 216 us + 10 us: about 3 per queue are out at any moment.
TEST(ControlPlane, ResetResendsOnTheSameQueueAfterTheGuestSawTheResetThrough) {
  const FullRun run = run_full(test::scenario_from(R"(
[run]
horizon = "3s"
strategy = "linux-6.13"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00"
arrival = { process = "periodic", rate = "30k/s", phase = "10us" }
[control]
reset_time = { dist = "deterministic", value = "15ms" }
reset_poll = "20ms"
[[reconfig.timeline]]
name = "reset"
at = "2s"
op = "vfio_reset"
mdev = "g"
)"));
  const auto& c = run.control;
  EXPECT_NEAR(time_of(c, {"reset", "vfio_reset", "acquired", "mdevs"}), 2.0, kEps);
  EXPECT_NEAR(time_of(c, {"reset", "vfio_reset", "reset", "2 queues"}), 2.0, kEps);
  EXPECT_NEAR(time_of(c, {"reset", "vfio_reset", "unlock", "mdevs"}), 2.020, kEps);
  const TimelineOutcome& t = outcome(run.result, "reset");
  EXPECT_EQ(t.result, "ok");
  EXPECT_NEAR(t.end, 2.020, kEps);
  EXPECT_NEAR(run.result.control.locks.at("mdevs").hold.max(), 0.020, kEps);
  EXPECT_EQ(run.result.data.resets, 2u);
  EXPECT_EQ(run.result.data.unplugs, 0u);
  const auto aqics = all_of(c, {.op = "pqap_aqic", .what = "effect", .detail = "enable_irq"});
  ASSERT_EQ(aqics.size(), 2u);
  std::map<int, double> ready;
  for (const ControlEvent& e : aqics)
    ready[e.actor.starts_with("vcpu:g aqic 00.0000") ? 0 : 1] = e.time;
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_NEAR(std::min(ready[0], ready[1]), 2.04002, kEps);
  EXPECT_NEAR(std::max(ready[0], ready[1]), 2.04004, kEps);

  for (int adapter : {0, 1}) {
    SCOPED_TRACE(adapter);
    EXPECT_EQ(count_between(run.events, TraceKind::send, adapter, 2.0 - kEps, ready[adapter] - kEps), 0u);
    // What the card held at 2.0, oldest first.
    std::vector<uint64_t> discarded;
    for (const TraceEvent& e : run.events)
      if (e.kind == TraceKind::discard && e.adapter == adapter) {
        EXPECT_NEAR(e.time, 2.0, kEps);
        discarded.push_back(e.request);
      }
    ASSERT_FALSE(discarded.empty()) << "one request every 33 us, 226 us each: about 3 per queue are out";
    EXPECT_EQ(requests_of(run.events, TraceKind::retry, 2.0, adapter), Ids(discarded.begin(), discarded.end()));
    std::vector<uint64_t> first_sends;
    for (const TraceEvent& e : run.events)
      if (e.kind == TraceKind::send && e.adapter == adapter && e.time > 2.0 - kEps &&
          first_sends.size() < discarded.size()) {
        EXPECT_NEAR(e.time, ready[adapter], kEps);
        first_sends.push_back(e.request);
      }
    EXPECT_EQ(first_sends, discarded) << "re-sent first, in their order, on the same queue";
  }
  EXPECT_EQ(run.result.guests[0].requests.failed, 0u);
  EXPECT_EQ(run.result.data.requests_retried, run.result.data.requests_lost);
}

// --- 7. a card going offline and online ----------------------------------------------------------------------------

// linux-6.13. card_offline 0x01 at 2 s: the card stops at 2.0 and discards what it holds; the host's AP bus hears
// of it and rescans at once (force_rescan: ap_scan_bus_mutex free): 50 us of QCI, then config_changed (guests for
// the whole change; 10 us; for mdev g: kvm:g, mdevs, cfg_remove drops adapter 0x01 from the shadow, U, set_masks at
// T_u in [2.00016, 2.00106]: 01.0000 leaves the APCB), then the queue device goes (remove_queue: not in the shadow
// any more, not in vfio_ap's configuration: no reset), then scan_complete (nothing added). The guest's requests on
// 0x01 hang until its next scan t1 in (T_u, T_u + 1], then are retried on 0x00.
// card_online at 4 s: QCI (50 us), config_changed (10 us; records adapter 0x01 as an addition for g), the new queue
// device is probed against ap_perms (1 us: vfio_ap) and vfio_ap links it without plugging (an add is pending: 10 us),
// scan_complete (10 us) filters once and set_masks plugs 01.0000 at T_p = 4.000081 + U. The guest sees it at s2 in
// (T_p, T_p + 1], on its grid, resets it (RESET_WAIT, 40 ms) and enables its interrupts: enable_irq at s2 + 40 ms
// + 20 us.
TEST(ControlPlane, CardOfflineHangsThenRetriesElsewhereAndOnlineGivesTheQueueBack) {
  const FullRun run = run_full(test::scenario_from(R"(
[run]
horizon = "6s"
strategy = "linux-6.13"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00"
arrival = { process = "poisson", rate = "20k/s" }
scan_interval = "1s"
[[reconfig.timeline]]
name = "off"
at = "2s"
op = "card_offline"
adapter = "0x01"
[[reconfig.timeline]]
name = "on"
at = "4s"
op = "card_online"
adapter = "0x01"
)"));
  const auto& c = run.control;
  const auto& ev = run.events;
  EXPECT_NEAR(time_of(c, {"off", "force_rescan", "acquired", "ap_scan"}), 2.0, kEps);
  EXPECT_NEAR(time_of(c, {"off", "scan_bus", "effect", "read_config"}), 2.00005, kEps);
  const double t_u = time_of(c, {"off", "config_changed", "effect", "set_masks"});
  EXPECT_GE(t_u, 2.00006 + kUMin - kEps);
  EXPECT_LE(t_u, 2.00006 + kUMax + kEps);
  EXPECT_EQ(all_of(c, {"off", "remove_queue", "reset"}).size(), 0u) << "the queue left the configuration";
  EXPECT_EQ(run.result.control.final_state.drivers.at("01.0000"), "vfio_ap");

  const Ids in_flight = outstanding_on(ev, 1, 2.0 - kEps);
  const Ids discarded = requests_of(ev, TraceKind::discard, 2.0, 1);
  ASSERT_FALSE(discarded.empty());
  for (uint64_t r : discarded)
    EXPECT_TRUE(in_flight.contains(r));
  std::map<double, Ids> retries;
  for (const TraceEvent& e : ev)
    if (e.kind == TraceKind::retry) {
      EXPECT_EQ(e.adapter, 0);
      retries[e.time].insert(e.request);
    }
  ASSERT_EQ(retries.size(), 1u);
  const double t1 = retries.begin()->first;
  EXPECT_EQ(retries.begin()->second, in_flight);
  EXPECT_GT(t1, t_u);
  EXPECT_LE(t1, t_u + 1.0 + kEps);

  EXPECT_NEAR(time_of(c, {"on", "config_changed", "end"}), 4.00006, kEps);
  EXPECT_EQ(all_of(c, {"on", "probe_queue", "effect", "set_masks"}).size(), 0u) << "left to scan_complete";
  const double t_p = time_of(c, {"on", "scan_complete", "effect", "set_masks"});
  EXPECT_GE(t_p, 4.000081 + kUMin - kEps);
  EXPECT_LE(t_p, 4.000081 + kUMax + kEps);
  const double aqic = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "start"});
  const double s2 = aqic - 40 * kMs;
  EXPECT_GT(s2, t_p);
  EXPECT_LE(s2, t_p + 1.0 + kEps);
  EXPECT_TRUE(is_whole(s2 - t1)) << s2 - t1;
  const double t_irq = time_of(c, {"vcpu:g aqic 01.0000", "pqap_aqic", "effect", "enable_irq"});
  EXPECT_NEAR(t_irq, aqic + 20 * kUs, kEps);
  EXPECT_EQ(count_between(ev, TraceKind::send, 1, 2.0 - kEps, t_irq), 0u);
  EXPECT_GT(count_between(ev, TraceKind::send, 1, t_irq - kEps, 6.0), 0u);
  EXPECT_EQ(run.result.guests[0].requests.failed, 0u);
  EXPECT_EQ(run.result.data.unplugs, 1u);
  EXPECT_EQ(run.result.data.plugs, 1u);
}

// --- 8. guest stop and start -------------------------------------------------------------------------------------

// linux-6.13. unset_kvm at 2 s: the VM stops (every request it had in flight fails: failed_guest_stopped, at 2.0),
// then QEMU closes the device: guests, kvm:g, pqap_hook:g (write), mdevs; the hook is cleared; U; clear_masks at T_d
// in [2.0001, 2.001] empties the APCB; the reset of both queues takes one 20 ms poll; kvm := NULL at T_d + 20 ms.
// Nothing is offered while stopped. set_kvm at 2.1 s: guests, kvm:g, pqap_hook:g, mdevs; 10 us; the hook is free;
// U; attach_kvm and set_masks at T_s in [2.10011, 2.10101] plug both queues and the guest boots: its bus scan finds
// both queues (they are usable for zcrypt at once) and brings them up: RAPQ, RESET_WAIT polled at T_s + 40 ms,
// then one PQAP(AQIC) intercept each, serialized on mdevs_lock: enable_irq at T_s + 40.02 ms and T_s + 40.04 ms. A
// request is sent only after its queue's AQIC; what arrives before waits in zcrypt's queue, nothing fails.
TEST(ControlPlane, GuestStopFailsInFlightRequestsAndStartNeedsTheAqicIntercepts) {
  const FullRun run = run_full(test::scenario_from(R"(
[run]
horizon = "3s"
strategy = "linux-6.13"
[[cards]]
ids = "0x00-0x01"
type = "CEX8A"
domains = "0x00"
[[guests]]
name = "g"
adapters = "0x00-0x01"
domains = "0x00"
arrival = { process = "poisson", rate = "30k/s" }
[[reconfig.timeline]]
name = "stop"
at = "2s"
op = "unset_kvm"
guest = "g"
[[reconfig.timeline]]
name = "start"
at = "2.1s"
op = "set_kvm"
guest = "g"
)"));
  const auto& c = run.control;
  const auto& ev = run.events;
  const double t_d = time_of(c, {"stop", "unset_kvm", "effect", "clear_masks"});
  EXPECT_GE(t_d, 2.0 + kUMin - kEps);
  EXPECT_LE(t_d, 2.0 + kUMax + kEps);
  EXPECT_NEAR(time_of(c, {"stop", "unset_kvm", "effect", "detach_kvm"}), t_d + 20 * kMs, kEps);
  EXPECT_NEAR(outcome(run.result, "stop").end, t_d + 20 * kMs, kEps);
  const double t_s = time_of(c, {"start", "set_kvm", "effect", "attach_kvm"});
  EXPECT_GE(t_s, 2.1 + 10 * kUs + kUMin - kEps);
  EXPECT_LE(t_s, 2.1 + 10 * kUs + kUMax + kEps);

  Ids in_flight = outstanding_on(ev, 0, 2.0 - kEps);
  const Ids on_1 = outstanding_on(ev, 1, 2.0 - kEps);
  in_flight.insert(on_1.begin(), on_1.end());
  ASSERT_FALSE(in_flight.empty()) << "30k/s on two CEX8A: about 7 requests are out at any moment";
  EXPECT_EQ(requests_of(ev, TraceKind::fail, 2.0), in_flight);
  const RequestCounts& counts = run.result.guests[0].requests;
  EXPECT_EQ(counts.failed_guest_stopped, in_flight.size());
  EXPECT_EQ(count_between(ev, TraceKind::issue, 0, 2.0, t_s - kEps) +
                count_between(ev, TraceKind::issue, 1, 2.0, t_s - kEps),
            0u);

  const auto aqics = all_of(c, {.op = "pqap_aqic", .what = "effect", .detail = "enable_irq"});
  ASSERT_EQ(aqics.size(), 2u);
  EXPECT_TRUE(aqics[0].actor.starts_with("vcpu:g aqic 00.0000"));
  EXPECT_NEAR(aqics[0].time, t_s + 40 * kMs + 20 * kUs, kEps);
  EXPECT_TRUE(aqics[1].actor.starts_with("vcpu:g aqic 01.0000"));
  EXPECT_NEAR(aqics[1].time, t_s + 40 * kMs + 40 * kUs, kEps);
  for (int adapter : {0, 1}) {
    const double ready = aqics[static_cast<std::size_t>(adapter)].time;
    EXPECT_EQ(count_between(ev, TraceKind::send, adapter, 2.0, ready - kEps), 0u) << adapter;
    EXPECT_GT(count_between(ev, TraceKind::send, adapter, ready - kEps, 3.0), 1000u) << adapter;
  }
  EXPECT_EQ(counts.failed_enodev, 0u) << "the queues are usable from the boot scan; requests wait for the AQIC";
  EXPECT_EQ(counts.failed_eio, 0u);
  EXPECT_EQ(counts.failed, counts.failed_guest_stopped);
}

// --- 9. retry policies --------------------------------------------------------------------------------------------

// v12-trylock. masker: aqmask_store +0x0a (a domain nobody has) at 1 s: ap_perms; 2 us; parse (0x0a is new, so
// in_use is called); in_use trylocks matrix at 1.000002 and holds it 10 us, to 1.000012; no queue has domain 0x0a,
// so the reprobe moves nothing.
// patient and impatient: assign_adapter (0x01 and 0x02 to web) at 1.000001, retry fixed 4 us on EBUSY, at most 3
// and 2 attempts. Each attempt: 2 us of parsing, then the trylock.
//   attempt 1: trylock at 1.000003 (in_use holds matrix) -> EBUSY; wait 4 us
//   attempt 2: starts 1.000007, trylock at 1.000009 -> EBUSY; impatient has used its 2 attempts: EBUSY at 1.000009
//   attempt 3 (patient): starts 1.000013, trylock at 1.000015 (free since 1.000012) -> acquired; 10 us; assign;
//             filter; kvm; U; set_masks plugs 01.0000, 01.0001; ok at 1.000025 + U
// control.ops.assign_adapter: 5 invocations, 4 EBUSY, 3 of them retries, 1 success.
TEST(ControlPlane, FixedDelayRetriesAfterEbusyRespectMaxAttempts) {
  const FullRun run = run_full(test::scenario_from(R"(
[run]
horizon = "2s"
strategy = "v12-trylock"
[[cards]]
ids = "0x00-0x02"
type = "CEX8A"
domains = "0x00-0x01"
[[guests]]
name = "web"
adapters = "0x00"
domains = "0x00-0x01"
arrival = { process = "poisson", rate = "1k/s" }
[[reconfig.timeline]]
name = "masker"
at = "1s"
op = "aqmask_store"
mask = "+0x0a"
[[reconfig.timeline]]
name = "patient"
at = "1000001us"
op = "assign_adapter"
mdev = "web"
adapter = "0x01"
retry = { policy = "fixed", delay = "4us", max_attempts = 3 }
[[reconfig.timeline]]
name = "impatient"
at = "1000001us"
op = "assign_adapter"
mdev = "web"
adapter = "0x02"
retry = { policy = "fixed", delay = "4us", max_attempts = 2 }
)"));
  const auto& c = run.control;
  EXPECT_NEAR(time_of(c, {"masker", "in_use", "acquired", "matrix"}), 1.000002, kEps);
  EXPECT_NEAR(time_of(c, {"masker", "in_use", "unlock", "matrix"}), 1.000012, kEps);
  auto times = [&](const Match& m) {
    std::vector<double> out;
    for (const ControlEvent& e : all_of(c, m))
      out.push_back(e.time);
    return out;
  };
  auto expect_times = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], kEps) << i;
  };
  expect_times(times({"patient", "assign_adapter", "start"}), {1.000001, 1.000007, 1.000013});
  expect_times(times({"patient", "assign_adapter", "busy", "matrix"}), {1.000003, 1.000009});
  expect_times(times({"patient", "assign_adapter", "acquired", "matrix"}), {1.000015});
  expect_times(times({"impatient", "assign_adapter", "start"}), {1.000001, 1.000007});
  expect_times(times({"impatient", "assign_adapter", "busy", "matrix"}), {1.000003, 1.000009});
  EXPECT_TRUE(times({"impatient", "assign_adapter", "acquired"}).empty());

  const TimelineOutcome& patient = outcome(run.result, "patient");
  EXPECT_EQ(patient.result, "ok");
  EXPECT_EQ(patient.attempts, 3);
  EXPECT_GE(patient.end, 1.000025 + kUMin - kEps);
  EXPECT_LE(patient.end, 1.000025 + kUMax + kEps);
  const TimelineOutcome& impatient = outcome(run.result, "impatient");
  EXPECT_EQ(impatient.result, "EBUSY");
  EXPECT_EQ(impatient.attempts, 2);
  EXPECT_NEAR(impatient.end, 1.000009, kEps);
  EXPECT_EQ(outcome(run.result, "masker").result, "ok");

  const OpFigures& assign = run.result.control.ops.at("assign_adapter");
  EXPECT_EQ(assign.attempts, 5u);
  EXPECT_EQ(assign.successes, 1u);
  EXPECT_EQ(assign.ebusy, 4u);
  EXPECT_EQ(assign.retries, 3u);
  EXPECT_EQ(assign.errors.at("EBUSY"), 4u);
  EXPECT_EQ(run.result.control.ops.at("in_use").ebusy, 0u);
  EXPECT_EQ(run.result.data.plugs, 2u); // adapter 0x01 x web's domains 0x00-0x01
}

// --- 10. the random storm ------------------------------------------------------------------------------------------

// configs/seed/random-storm.toml for 10 s. The masker toggles domains 0x08-0x0b nobody has: half its stores reserve
// a domain (in_use is called), half give one back (in_use is not: apmask_commit/aqmask_commit). Under v12-trylock
// the trylocks of in_use and of the assign stores can collide with each other and with the resets under
// matrix_dev->lock: some reserving stores and some assigns fail with -EBUSY and are retried; a store that gives a
// domain back never fails. The blocking strategies never fail an operation (no operation conflicts with another's
// purpose), and their single global lock order leaves nothing for the deadlock and lock-order monitors.
TEST(ControlPlane, RandomStormEbusyOnlyUnderTrylockAndNeverForGivingBack) {
  std::vector<ChildJob> jobs;
  for (const std::string strategy : {"v12-trylock", "linux-6.13", "linux-6.1", "ordered"})
    jobs.push_back([strategy] {
      const Scenario s =
          seed_scenario("random-storm.toml", {{"run.horizon", "\"10s\""}, {"run.strategy", "\"" + strategy + "\""}});
      const RunResult r = simulate(s);
      std::ostringstream out;
      out << "strategy " << r.control.strategy << "\ndeadlocks " << r.control.deadlocks.size() << "\ninversions "
          << r.control.inversions.size() << "\n";
      for (const auto& [op, f] : r.control.ops)
        out << op << " " << f.attempts << " " << f.ebusy << " " << f.retries << " " << f.ebusy_reserving << " "
            << f.ebusy_giving_back << "\n";
      return out.str();
    });
  const std::vector<std::string> out = run_in_children(jobs, 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE(out[i]);
    std::istringstream in(out[i]);
    std::string key, strategy;
    std::size_t deadlocks = 0, inversions = 0;
    in >> key >> strategy >> key >> deadlocks >> key >> inversions;
    std::string op;
    uint64_t attempts = 0, ebusy = 0, retries = 0, reserving = 0, giving_back = 0;
    bool some_ebusy_retried = false;
    uint64_t total_attempts = 0, store_ebusy = 0;
    while (in >> op >> attempts >> ebusy >> retries >> reserving >> giving_back) {
      total_attempts += attempts;
      EXPECT_EQ(giving_back, 0u) << op << ": a store that gives ids back calls no in_use";
      if (op == "aqmask_store") {
        EXPECT_EQ(reserving, ebusy);
        store_ebusy = ebusy;
      }
      if (i == 0) {
        if (ebusy > 0 && retries > 0)
          some_ebusy_retried = true;
        if (op != "in_use" && op != "aqmask_store" && op != "assign_adapter") {
          EXPECT_EQ(ebusy, 0u) << op << " has no trylock";
        }
      } else {
        EXPECT_EQ(ebusy, 0u) << strategy << " " << op;
        EXPECT_EQ(retries, 0u) << strategy << " " << op;
      }
    }
    EXPECT_GT(total_attempts, 200u) << "about 32 operations a second for 10 s";
    EXPECT_EQ(deadlocks, 0u);
    if (i == 0) {
      EXPECT_EQ(strategy, "v12-trylock");
      EXPECT_TRUE(some_ebusy_retried);
      EXPECT_GT(store_ebusy, 0u);
    } else {
      EXPECT_EQ(inversions, 0u) << strategy;
    }
  }
}

} // namespace
} // namespace apq
