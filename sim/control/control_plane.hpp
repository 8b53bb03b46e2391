#pragma once
// The host's reconfiguration machinery: admin operations (timeline and random admins), the AP bus reacting to
// mask writes and cards going offline, vCPUs intercepting PQAP(AQIC), all as SimGrid actors that run the steps a
// locking strategy gives each operation against real KernelLocks. Effects change the host and mdev state and,
// through the DataPlane, what the guests can use.
//
// Strategies are data (models/strategy.hpp); this file holds the mechanisms only: no strategy is special here.

#include "analysis/reconfig_windows.hpp"
#include "analysis/run_result.hpp"
#include "models/random.hpp"
#include "sim/control/kernel_lock.hpp"
#include "sim/control/lock_monitor.hpp"
#include "sim/data_plane/data_plane.hpp"
#include "sim/event_scheduler.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace simgrid::s4u {
class Host;
}

namespace apq {

/** One step-level event of the control plane, for tests of exact interleavings, --trace and --timeline. */
struct ControlEvent {
  double time = 0;
  std::string actor;  ///< label of the actor
  std::string op;     ///< operation running
  std::string what;   ///< attempt, outcome (an admin's operation, retries included), start, end (one invocation),
                      ///< lock, acquired, busy, unlock, effect, reset, deadlock, stolen_queue, card_offline ...
  std::string detail; ///< lock, effect, errno, "ok"; for attempt: the operation's target
  std::string where;  ///< "file:line:col" of the strategy step (of the [ops.NAME] table for start and end)
};
using ControlTraceSink = std::function<void(const ControlEvent&)>;

class ControlPlane {
public:
  ControlPlane(const Scenario& scenario, EventScheduler& scheduler, DataPlane& data_plane, simgrid::s4u::Host* host,
               ReconfigWindows& windows);
  ~ControlPlane();

  /** Starts the timeline's admins and the random admin processes; hooks the guests' AQIC intercepts. */
  void start();
  void set_trace(ControlTraceSink sink) { trace_ = std::move(sink); }

  /** What happened, for the results. */
  ControlResult result() const;

private:
  struct MdevState {
    std::string name;
    IdSet adapters, domains, control_domains; ///< the matrix
    int guest = -1;                           ///< attached guest (matrix_mdev->kvm), -1 none
    Apcb shadow;                              ///< what the guest has been given
  };

  /** Who assigned an APQN to an mdev, and when: the stolen-queue monitor names it. */
  struct Assignment {
    std::string by;
    double at = 0;
  };

  /** The state of one operation invocation: its targets and what its effects leave for later steps. */
  struct OpContext {
    std::string actor; ///< label
    std::string op;    ///< the operation being run (the innermost one)
    const AdminAction* action = nullptr;
    int mdev = -1;
    int guest = -1;         ///< set for set_kvm and pqap_aqic; otherwise the mdev's attached guest
    int id = -1;            ///< the adapter, domain or control domain assigned or unassigned
    int queue = -1;         ///< probe_queue, remove_queue, pqap_aqic
    bool departing = false; ///< remove_queue: the queue is going away; its APCB update drops it
    std::optional<HostMasks> pending_masks;
    std::vector<std::pair<int, int>> to_host, to_vfio; ///< (adapter, domain) whose binding commit_masks changed
    std::vector<uint32_t> removed_queues;              ///< left the guest's APCB in this operation
    RandomSource* rng = nullptr;
  };

  using Effect = std::string (ControlPlane::*)(OpContext&);
  static const std::map<std::string, Effect>& effects();

  // Interpreter of strategy steps; returns "" or the errno name.
  std::string run_op(const std::string& op, OpContext& ctx);
  KernelLock* resolve_lock(const std::string& lock_class, const OpContext& ctx);
  int guest_of(const OpContext& ctx) const;

  // Admins and host events (inside actors).
  void run_timeline_entry(const TimelineEntry& entry, std::size_t index);
  void run_random_admin(const RandomAdmin& admin);
  /** Runs the action as an admin would, with its retry policy; returns the final errno or "". */
  std::string administer(const AdminAction& action, const RetryPolicy& retry, const std::string& label,
                         RandomSource& rng, int* attempts);
  std::string perform(const AdminAction& action, const std::string& label, RandomSource& rng);
  void card_event(int adapter, bool online, OpContext& ctx);
  void on_aqic(uint32_t guest, uint32_t queue);
  std::optional<AdminAction> random_action(const RandomAdmin& admin, RandomSource& rng) const;

  // Effects (effects.cpp).
  std::string check_in_use(OpContext& ctx);
  std::string commit_masks(OpContext& ctx);
  std::string reprobe(OpContext& ctx);
  std::string check_host_ownership(OpContext& ctx);
  std::string check_bound(OpContext& ctx);
  std::string check_sharing(OpContext& ctx);
  std::string assign(OpContext& ctx);
  std::string unassign(OpContext& ctx);
  std::string update_guest_apcb(OpContext& ctx);
  std::string reset_removed_queues(OpContext& ctx);
  std::string reset_all_queues(OpContext& ctx);
  std::string attach_kvm(OpContext& ctx);
  std::string detach_kvm(OpContext& ctx);
  std::string enable_irq(OpContext& ctx);
  std::string disable_irq(OpContext& ctx);
  std::string unplug_removed(OpContext& ctx);
  std::string plug_added(OpContext& ctx);

  // Effect helpers.
  const HostMasks& pending_masks(OpContext& ctx);
  std::vector<std::pair<int, int>> added_apqns(const OpContext& ctx) const;
  void push_apcb(OpContext& ctx, bool removals, bool additions);
  void reset_queues(const std::vector<uint32_t>& queues, OpContext& ctx);
  void note_stolen(const OpContext& ctx, int adapter, int domain);
  int mdev_holding(int adapter, int domain) const;
  MdevSpec as_spec(const MdevState& mdev) const;

  void note(const OpContext& ctx, const std::string& what, const std::string& detail = {},
            const std::string& where = {});
  void record_attempt(const std::string& op, double start, const std::string& error, bool retry);
  simgrid::s4u::ActorPtr spawn(const std::string& label, std::function<void()> body);

  const Scenario& scenario_;
  EventScheduler& scheduler_;
  DataPlane& data_;
  simgrid::s4u::Host* host_;
  ReconfigWindows& windows_;
  HostConfig host_config_;
  std::vector<MdevState> mdevs_;
  std::map<std::pair<int, int>, Assignment> assignments_;
  LockMonitor monitor_;
  std::map<std::string, std::unique_ptr<KernelLock>> global_locks_;
  std::vector<std::unique_ptr<KernelLock>> kvm_locks_;
  std::vector<std::unique_ptr<KernelLock>> pqap_locks_;
  NamedStream reset_rng_;
  std::map<std::string, OpFigures> ops_;
  std::vector<TimelineOutcome> timeline_;
  std::vector<StolenQueueReport> stolen_;
  ControlTraceSink trace_;
  uint64_t actor_count_ = 0;
};

} // namespace apq
