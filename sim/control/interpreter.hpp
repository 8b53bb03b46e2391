#pragma once
// The semantics of the control plane, as a step machine over plain C++ state: what each step of a strategy does to
// the locks, the host's AP configuration, the mdevs and the guests. No SimGrid and no clock of its own: a driver
// starts tasks (kernel threads running an operation) and calls advance() on them; each call runs steps until the
// task must wait (a work step or a reset poll: sleep so long; a lock held by another: blocked until take_woken()
// lists it) or ends. Two drivers share this one semantics:
//  - ControlPlane (control_plane.hpp): SimGrid actors for `apqsim run`, sleeping simulated time;
//  - an interleaving explorer, which may pick any runnable task at each point and ignore durations.
// Everything a step touches outside the control plane (plugging a queue into a guest's data path, starting a
// hardware reset) goes through ControlEnv, so an explorer can stand in for the data plane.

#include "analysis/run_result.hpp"
#include "models/random.hpp"
#include "models/strategy.hpp"
#include "sim/control/kernel_lock.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/topology.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apq {

/** One step-level event of the control plane, for tests of exact interleavings, traces and timelines. */
struct ControlEvent {
  double time = 0;
  std::string actor;  ///< label of the task
  std::string op;     ///< operation running
  std::string what;   ///< start, end, lock, acquired, trylock, busy, unlock, work, effect, reset, deadlock, ...
  std::string detail; ///< lock, effect, errno ...
  std::string where;  ///< "file:line:col" of the strategy step (of the [ops.X] table for start and end)
};
using ControlTraceSink = std::function<void(const ControlEvent&)>;

/** What the control plane does to the world outside it (the data plane in `apqsim run`). APQNs, not indices. */
class ControlEnv {
public:
  virtual ~ControlEnv() = default;
  /** PQAP(ZAPQ): a hardware reset of the queue starts now (what the card holds for it is discarded). */
  virtual void zapq(int adapter, int domain) = 0;
  /** A hardware reset of the queue (ZAPQ, or the guest's RAPQ) is in progress: TAPQ says RESET_IN_PROGRESS. */
  virtual bool resetting(int adapter, int domain) const = 0;
  /** The queue holds no request (the queue_empty bit of its status). */
  virtual bool queue_empty(int adapter, int domain) const = 0;
  /** The guest's CRYCB gained the queue / lost it. */
  virtual void plug(int guest, int adapter, int domain) = 0;
  virtual void unplug(int adapter, int domain) = 0;
  /** The VM starts (set_kvm): it boots and scans its AP bus at once. */
  virtual void guest_start(int guest) = 0;
  /** Linux 6.15+: the mdev's config-change eventfd fired; QEMU forwards it if the guest supports it. */
  virtual void signal_cfg_change(int guest) = 0;
  /** The vCPU's PQAP(AQIC) intercept for the queue returned: the guest's bring-up of the queue goes on. */
  virtual void aqic_done(int guest, int adapter, int domain) = 0;
};

/** An mdev as vfio_ap keeps it (struct ap_matrix_mdev). */
struct MdevState {
  std::string name;
  IdSet adapters, domains, control_domains; ///< the matrix
  int guest = -1;                           ///< matrix_mdev->kvm, -1 none
  Apcb shadow;                              ///< shadow_apcb: what the guest is given
  IdSet apm_add, aqm_add, adm_add;          ///< host configuration additions pending for scan_complete
  bool removed = false;
};

/** A queue as vfio_ap keeps it (struct vfio_ap_queue), where a device exists. */
struct QueueControl {
  int link = -1;             ///< q->matrix_mdev (and the mdev's qtable), -1 none
  bool reset_failed = false; ///< the last reset's response code was not 0 (q->reset_rc / reset_status)
  bool irq = false;          ///< interrupts enabled (the guest's AQIC went through)
};

/** What the control plane knows of a guest. */
struct GuestControl {
  int hook = -1; ///< the mdev whose handle_pqap is kvm->arch.crypto.pqap_hook, -1 none
  Apcb crycb;    ///< what kvm_arch_crypto_set_masks() last gave it
};

/** Who assigned an APQN to an mdev, and when: the stolen-queue monitor names it. */
struct Assignment {
  std::string by;
  double at = 0;
};

/** The plain state the steps act on. */
struct ControlState {
  explicit ControlState(const Scenario& scenario);
  HostConfig host;
  std::vector<MdevState> mdevs;
  std::map<std::pair<int, int>, QueueControl> queues;
  std::vector<GuestControl> guests;
  std::map<std::pair<int, int>, Assignment> assignments;

  /** The mdev (not removed) that has the APQN assigned, or -1. */
  int mdev_holding(int adapter, int domain) const;
  QueueControl& queue(int adapter, int domain) { return queues[{adapter, domain}]; }
};

/** What the scan's QCI showed against the previous one. */
struct ScanDiff {
  ApConfig config; ///< the QCI the scan read
  bool changed = false;
  IdSet removed_adapters, removed_domains, added_adapters, added_domains;
  std::vector<std::pair<int, int>> departed; ///< queue devices whose adapter or domain is gone
  std::vector<std::pair<int, int>> fresh;    ///< queues that have no device yet
};

/** The state of one operation invocation: its targets and what its effects leave for later steps. A call gets a
 *  copy; nothing flows back but the result. */
struct OpContext {
  std::string actor;                   ///< label
  std::string op;                      ///< the operation of the frame
  const AdminAction* action = nullptr; ///< the admin action at the root, if any
  int mdev = -1;
  int guest = -1;                ///< set_kvm and pqap_aqic: the guest itself; otherwise the mdev's
  int id = -1;                   ///< the adapter, domain or control domain assigned or unassigned
  int adapter = -1, domain = -1; ///< the queue of queue operations
  bool departing = false;        ///< device_release of a device that is going away (card gone)
  std::string bind_to;           ///< a sysfs bind: "vfio_ap" or "cex4queue"
  std::optional<HostMasks> new_masks;
  HostMasks old_masks;
  bool reserved = false; ///< read_reservation
  bool apcb_changed = false;
  IdSet apm_filtered;
  std::vector<std::pair<int, int>> to_reset; ///< unassign: the queues that left the shadow
  ScanDiff scan;
  bool waited = false;
  RandomSource* rng = nullptr;
  std::string root; ///< "admin-1 (apmask_store +0x01)": who started the chain, for reports
  bool has_queue() const { return adapter >= 0 && domain >= 0; }
};

enum class YieldKind { sleep, blocked, done, dead, step };
/** In step mode, where the task stopped: before a step, before going on with a lock it was granted, before the
 *  next round of a reset. */
enum class PausePoint { step, resume, reset };
/** Why advance() returned: sleep `duration` (`step`: the work step, or none for a reset's poll); blocked on a lock;
 *  done with `error` ("" = success); dead (an oops); step (step mode only): stopped before a visible point, `op` and
 *  `step` say which; the next advance() runs it. */
struct Yield {
  YieldKind kind = YieldKind::done;
  double duration = 0;
  std::string error;
  const OpSteps* op = nullptr;
  const Step* step = nullptr;
  PausePoint point = PausePoint::step;
};

class ControlInterpreter {
public:
  ControlInterpreter(const Scenario& scenario, const Strategy& strategy, ControlEnv& env);

  void set_trace(ControlTraceSink sink) { trace_ = std::move(sink); }
  /** Step mode: advance() stops (YieldKind::step) before every point where another task could see or change what
   *  this one does next: every step but `work` and an unconditional group, a granted lock, each round of a reset.
   *  The interleaving explorer chooses who goes at each stop; `apqsim run` follows a forced order with it. */
  void set_step_mode(bool on) { step_mode_ = on; }

  /** A new task that will run `op` with `ctx`, labelled ctx.actor; nothing runs before advance(). */
  TaskId start(const std::string& op, OpContext ctx, double now);
  /** Runs the task's steps at time `now` until it must wait or ends. A blocked task may be advanced again only
   *  once take_woken() listed it. */
  Yield advance(TaskId task, double now);
  /** Tasks that were blocked and own their lock since the last call, in grant order. */
  std::vector<TaskId> take_woken() { return locks_.take_granted(); }

  ControlState& state() { return state_; }
  const ControlState& state() const { return state_; }
  KernelLocks& locks() { return locks_; }
  const KernelLocks& locks() const { return locks_; }
  const Strategy& strategy() const { return strategy_; }

  OpFigures& figures(const std::string& op) { return ops_[op]; }
  const std::map<std::string, OpFigures>& figures() const { return ops_; }
  const std::vector<StolenQueueReport>& stolen_queues() const { return stolen_; }
  const std::vector<KernelBugReport>& kernel_bugs() const { return bugs_; }
  uint64_t kernel_warnings() const { return warnings_; }

  /** The lock instance of class `lock_class` for `guest` (kvm, pqap_hook) or the host (the others). */
  LockId lock_id(const std::string& lock_class, int guest) const;

private:
  struct HeldLock {
    std::string lock_class;
    LockId lock; // -1: skipped (no guest)
    LockMode mode;
  };
  struct Cursor {
    const std::vector<Step>* steps;
    std::size_t pc = 0;
    const Step* loop = nullptr; // each: the loop step
    std::vector<std::pair<int, int>> items{};
    std::size_t item = 0;
    int saved_mdev = -1, saved_adapter = -1, saved_domain = -1;
    bool saved_departing = false;
  };
  /** A reset in progress (vfio_ap_mdev_reset_queue and friends), resumed after each of its sleeps. */
  struct ResetJob {
    enum class Phase { zapq, check, tapq, poll };
    std::vector<std::pair<int, int>> queues;
    std::size_t index = 0;
    Phase phase = Phase::zapq;
    int retries_left = 0, checks_left = 0;
    bool status_ok = false;
    std::vector<int> pending; // overlapped: work items not done, by index into queues
    std::vector<bool> rezap;  // overlapped: the first ZAPQ found a reset in progress: ZAPQ again when it ends
    const Step* step = nullptr;
  };
  struct Frame {
    const OpSteps* op = nullptr;
    OpContext ctx;
    std::vector<Cursor> cursors;
    std::vector<HeldLock> held;
    double start = 0;
    const Step* blocked = nullptr; // the lock step the task waits on
    const Step* call = nullptr;    // the call step that created the frame
    bool acted = false;            // an effect ran: the op works with the mdev it found, as the kernel does
    std::optional<ResetJob> reset;
  };
  struct Task {
    TaskId id = 0;
    std::string label;
    std::vector<Frame> frames;
    bool dead = false;
    std::string result;
    bool paused = false; // step mode: stopped at a point; the next advance() goes through it
  };
  // The interleaving explorer saves, restores and fingerprints the semantic state (sim/explore/state_codec.cpp).
  friend class StateCodec;

  using Effect = std::string (ControlInterpreter::*)(Frame&, const Step&);
  static const std::map<std::string, Effect>& effects();

  void push_frame(Task& task, const OpSteps& op, OpContext ctx, const Step* call, double now);
  /** Step mode: true if the task stops here (the first time it reaches the point), false to go through. */
  bool pause(Task& task);
  /** Whether running the step may read or change what other tasks share (the state, a lock): step mode stops
   *  before such a step only. Work, conditions on the operation's own context, iterators over it and calls that
   *  look nothing up on entry touch nothing another task sees. */
  bool visible(const Step& step, const Frame& frame) const;
  /** Ends the top frame; returns true if the task has no frame left. A failure propagates to the callers. */
  bool finish_frame(Task& task, std::string error);
  bool condition(const Frame& frame, const std::vector<ConditionTerm>& when) const;
  bool holds(const Frame& frame, const std::string& name) const;
  std::vector<std::pair<int, int>> items_of(const Frame& frame, const std::string& iterator) const;
  void enter_item(Frame& frame, Cursor& cursor);
  int guest_of(const OpContext& ctx) const;
  /** probe_queue and remove_queue find their mdev under the locks they took, not when the bus decided to call
   *  them: an assign that ran meanwhile is seen (get_update_locks_by_apqn searches the list under guests_lock). */
  void resolve_queue_mdev(Frame& frame) const;
  /** Runs a lock step; a Yield if the task must wait (or died), nullopt to go on. */
  std::optional<Yield> run_lock(Task& task, const Step& step);
  /** Goes on with the frame's reset: the sleep it needs next, or nullopt once it is done. */
  std::optional<Yield> run_reset(Frame& frame);
  void start_reset(Frame& frame, const Step& step, std::vector<std::pair<int, int>> queues);
  void record_attempt(const Frame& frame, const std::string& error);
  void note(const Frame& frame, const std::string& what, const std::string& detail = {},
            const std::string& where = {}) const;
  void note_stolen(const Frame& frame, int adapter, int domain);
  void oops(Task& task, const Step& step, const std::string& what);

  // Effects (effects.cpp); each returns "" or the errno it fails with.
  std::string parse_mask(Frame&, const Step&);
  std::string check_in_use(Frame&, const Step&);
  std::string commit_masks(Frame&, const Step&);
  std::string read_reservation(Frame&, const Step&);
  std::string bind_driver(Frame&, const Step&);
  std::string unbind_driver(Frame&, const Step&);
  std::string check_host_ownership(Frame&, const Step&);
  std::string check_bound(Frame&, const Step&);
  std::string check_sharing(Frame&, const Step&);
  std::string assign(Frame&, const Step&);
  std::string unassign(Frame&, const Step&);
  std::string filter_matrix(Frame&, const Step&);
  std::string filter_cdoms(Frame&, const Step&);
  std::string set_masks(Frame&, const Step&);
  std::string clear_masks(Frame&, const Step&);
  std::string link_queue(Frame&, const Step&);
  std::string unlink_queue(Frame&, const Step&);
  std::string drop_queue_apid(Frame&, const Step&);
  std::string reset_queue(Frame&, const Step&);
  std::string reset_apid(Frame&, const Step&);
  std::string reset_filtered(Frame&, const Step&);
  std::string reset_unplugged(Frame&, const Step&);
  std::string reset_mdev(Frame&, const Step&);
  std::string check_hook(Frame&, const Step&);
  std::string set_hook(Frame&, const Step&);
  std::string clear_hook(Frame&, const Step&);
  std::string attach_kvm(Frame&, const Step&);
  std::string detach_kvm(Frame&, const Step&);
  std::string enable_irq(Frame&, const Step&);
  std::string disable_irq(Frame&, const Step&);
  std::string read_config(Frame&, const Step&);
  std::string cfg_remove(Frame&, const Step&);
  std::string cfg_add(Frame&, const Step&);
  std::string update_info(Frame&, const Step&);
  std::string hot_plug_cfg(Frame&, const Step&);
  std::string clear_additions(Frame&, const Step&);
  std::string unregister_device(Frame&, const Step&);
  std::string register_device(Frame&, const Step&);
  std::string commit_config(Frame&, const Step&);
  std::string remove_mdev(Frame&, const Step&);

  // Effect helpers.
  /** The mdev's matrix with the op's id added (the bit set_bit_inv() sets before the checks). */
  std::pair<IdSet, IdSet> matrix_with_new_id(const Frame& frame) const;
  /** The queues linked to mdev `m` in its shadow's domains for adapter `apid` (collect_queues_to_reset). */
  std::vector<std::pair<int, int>> linked_in_shadow(int m, int apid) const;
  bool filter(int m, IdSet& filtered);
  void push_crycb(int guest, const Apcb& next);

  const Scenario& scenario_;
  const Strategy& strategy_;
  ControlEnv& env_;
  ControlState state_;
  KernelLocks locks_;
  std::map<std::string, LockId> host_locks_;
  std::vector<std::map<std::string, LockId>> guest_locks_;
  std::map<TaskId, Task> tasks_;
  TaskId next_task_ = 1;
  double now_ = 0;
  std::map<std::string, OpFigures> ops_;
  std::vector<StolenQueueReport> stolen_;
  std::vector<KernelBugReport> bugs_;
  uint64_t warnings_ = 0;
  ControlTraceSink trace_;
  bool step_mode_ = false;
};

} // namespace apq
