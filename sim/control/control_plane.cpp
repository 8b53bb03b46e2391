#include "sim/control/control_plane.hpp"
#include "sim/control/admin_action.hpp"
#include "sim/control/outcome.hpp"
#include "sim/control/replay_gate.hpp"

#include "models/units.hpp"

#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include <algorithm>
#include <stdexcept>

namespace apq {

namespace sg4 = simgrid::s4u;

// --- the data path, as the interpreter sees it -------------------------------------------------------------------

class ControlPlane::DataPlaneEnv final : public ControlEnv {
public:
  DataPlaneEnv(const Scenario& scenario, EventScheduler& scheduler, DataPlane& data)
      : scenario_(scenario), scheduler_(scheduler), data_(data), reset_rng_(scenario.run.seed, "control/reset") {}

  void zapq(int adapter, int domain) override {
    const int q = data_.queue_index(adapter, domain);
    if (q < 0)
      return;
    const double duration = scenario_.control.reset_time->sample(reset_rng_);
    data_.reset_begin(static_cast<uint32_t>(q), scheduler_.now() + duration);
  }
  bool resetting(int adapter, int domain) const override {
    const int q = data_.queue_index(adapter, domain);
    return q >= 0 && data_.queue(static_cast<uint32_t>(q)).resetting;
  }
  bool queue_empty(int adapter, int domain) const override {
    const int q = data_.queue_index(adapter, domain);
    return q < 0 || data_.queue(static_cast<uint32_t>(q)).in_card() == 0;
  }
  void plug(int guest, int adapter, int domain) override {
    if (const int q = data_.queue_index(adapter, domain); q >= 0)
      data_.plug(static_cast<uint32_t>(guest), static_cast<uint32_t>(q));
  }
  void unplug(int adapter, int domain) override {
    if (const int q = data_.queue_index(adapter, domain); q >= 0)
      data_.unplug(static_cast<uint32_t>(q));
  }
  void guest_start(int guest) override {
    data_.set_guest_running(static_cast<uint32_t>(guest), true);
    data_.notice_now(static_cast<uint32_t>(guest)); // the guest boots and scans its AP bus
  }
  void signal_cfg_change(int guest) override { data_.cfg_change_signalled(static_cast<uint32_t>(guest)); }
  void aqic_done(int guest, int adapter, int domain) override {
    if (const int q = data_.queue_index(adapter, domain); q >= 0)
      data_.queue_ready(static_cast<uint32_t>(guest), static_cast<uint32_t>(q));
  }

private:
  const Scenario& scenario_;
  EventScheduler& scheduler_;
  DataPlane& data_;
  NamedStream reset_rng_;
};

// --- construction -----------------------------------------------------------------------------------------------

ControlPlane::ControlPlane(const Scenario& scenario, EventScheduler& scheduler, DataPlane& data_plane, sg4::Host* host,
                           ReconfigWindows& windows)
    : scenario_(scenario), scheduler_(scheduler), data_(data_plane), host_(host), windows_(windows),
      env_(std::make_unique<DataPlaneEnv>(scenario, scheduler, data_plane)),
      interpreter_(std::make_unique<ControlInterpreter>(scenario, *scenario.control.strategy, *env_)) {
  if (scenario.control.replay) {
    gate_ = std::make_unique<ReplayGate>(*scenario.control.replay);
    interpreter_->set_step_mode(true);
  }
}

ControlPlane::~ControlPlane() = default;

void ControlPlane::start() {
  data_.set_aqic_handler([this](uint32_t guest, uint32_t queue) { on_aqic(guest, queue); });
  // What an admin's operation does to the data path belongs to its reconfiguration event (DataPlane::touch).
  data_.set_acting_event([this] {
    const sg4::Actor* self = sg4::Actor::self();
    const auto it = self == nullptr ? acting_.end() : acting_.find(self->get_pid());
    return it == acting_.end() ? -1 : it->second;
  });
  const auto& timeline = scenario_.control.timeline;
  timeline_.resize(timeline.size());
  for (std::size_t i = 0; i < timeline.size(); ++i)
    spawn(timeline[i].name, [this, i] { run_timeline_entry(scenario_.control.timeline[i], i); });
  for (const RandomAdmin& admin : scenario_.control.random)
    spawn(admin.name, [this, &admin] { run_random_admin(admin); });
  // The AP bus scans every config_time from boot (ap_scan_bus_timer; boot is t = 0), each scan in a work item.
  spawn("ap_bus", [this] {
    const double interval = scenario_.control.bus_scan_interval;
    for (uint64_t k = 1; k * interval < scenario_.run.horizon; ++k) {
      sleep_until(static_cast<double>(k) * interval);
      const std::string label = "ap_bus scan #" + std::to_string(k);
      spawn(label, [this, label] {
        NamedStream rng(scenario_.run.seed, "bus/" + label);
        OpContext ctx;
        ctx.actor = label;
        ctx.root = label;
        ctx.rng = &rng;
        run_op("periodic_scan", ctx);
      });
    }
  });
}

void ControlPlane::spawn(const std::string& label, std::function<void()> body) {
  // Each operation in progress holds an actor with a stack of its own (two memory mappings): operations that pile
  // up (blocked behind a deadlock, or arriving faster than they end) would exhaust the process's mappings and
  // SimGrid would abort. Past [limits] admin_actors no operation starts; simulate() reports the run as overloaded.
  if (in_progress_ >= scenario_.limits.admin_actors) {
    if (overload_.empty())
      overload_ = std::to_string(in_progress_) + " admin operations and intercepts in progress at once at " +
                  units::format_duration(scheduler_.now()) + " (simulated), the most [limits] admin_actors allows (" +
                  std::to_string(scenario_.limits.admin_actors) + "): operations start faster than they end (blocked " +
                  "on locks, or held for ever by a deadlock), and each is a simulated thread with its own stack. " +
                  "Lower the admin rates, or raise the limit (--set limits.admin_actors=N)";
    return;
  }
  ++in_progress_;
  ++actor_count_;
  // From a data-plane event the scheduler may be running ahead of SimGrid's clock: the work starts at the event's
  // date all the same.
  scheduler_.in_engine([this, label, body = std::move(body)]() mutable { hand_out(label, std::move(body)); });
}

void ControlPlane::hand_out(const std::string& label, std::function<void()> body) {
  // An actor per operation cost an 8 MiB stack mapped and unmapped each time (a fifth of a storm's CPU): actors
  // that finished their work wait for the next. A woken actor enters the round where a new one would.
  if (idle_.empty()) {
    auto worker = std::make_unique<Worker>();
    worker->go = sg4::Semaphore::create(0);
    worker->job = std::move(body);
    Worker* raw = worker.get();
    workers_.push_back(std::move(worker));
    sg4::Actor::create(label, host_, [this, raw] { work(*raw); });
    return;
  }
  Worker* worker = idle_.back();
  idle_.pop_back();
  worker->job = std::move(body);
  worker->go->release();
}

void ControlPlane::work(Worker& worker) {
  for (;;) {
    std::function<void()> job = std::move(worker.job);
    job();
    --in_progress_;
    idle_.push_back(&worker);
    scheduler_.actor_blocked(); // until hand_out, from an actor or through in_engine
    worker.go->acquire();
    scheduler_.actor_unblocked();
  }
}

namespace {

/** A sleep told to the scheduler for its length (also when the actor is killed in it, at the horizon), so that it
 *  runs the data plane's events up to the wake-up date without a SimGrid round each. */
class ToldSleep {
public:
  ToldSleep(EventScheduler& scheduler, double date) : scheduler_(scheduler), date_(date) {
    scheduler_.actor_sleeps_until(date_);
  }
  ~ToldSleep() { scheduler_.actor_woke(date_); }
  ToldSleep(const ToldSleep&) = delete;
  ToldSleep& operator=(const ToldSleep&) = delete;

private:
  EventScheduler& scheduler_;
  double date_;
};

} // namespace

void ControlPlane::sleep_until(double date) {
  const ToldSleep told(scheduler_, date);
  sg4::this_actor::sleep_until(date);
}

void ControlPlane::sleep_for(double duration) {
  // sg4::this_actor::sleep_for as before, not sleep_until(now + duration): SimGrid's end date is that same sum.
  const ToldSleep told(scheduler_, sg4::Engine::get_clock() + duration);
  sg4::this_actor::sleep_for(duration);
}

// --- driving tasks ----------------------------------------------------------------------------------------------

void ControlPlane::wake(const std::vector<TaskId>& tasks) {
  for (TaskId task : tasks) {
    auto it = waiting_.find(task);
    if (it == waiting_.end())
      throw std::logic_error("ControlPlane: task " + std::to_string(task) + " was granted a lock it did not wait for");
    it->second->release();
  }
}

std::string ControlPlane::run_task(TaskId task) {
  const std::string label = interpreter_->locks().label(task);
  for (;;) {
    const Yield yield = interpreter_->advance(task, scheduler_.now());
    wake(interpreter_->take_woken());
    if (gate_ && yield.kind != YieldKind::sleep)
      gate_->release(label); // the step went up to its next stop: the next point's turn
    switch (yield.kind) {
    case YieldKind::sleep:
      sleep_for(yield.duration);
      break;
    case YieldKind::blocked: {
      // The lock is ours once its holder released it and wake() released this semaphore (same simulated date).
      sg4::SemaphorePtr& semaphore = waiting_[task];
      if (!semaphore)
        semaphore = sg4::Semaphore::create(0);
      scheduler_.actor_blocked(); // another actor wakes it
      semaphore->acquire();
      scheduler_.actor_unblocked();
      break;
    }
    case YieldKind::done:
      waiting_.erase(task);
      return yield.error;
    case YieldKind::dead:
      waiting_.erase(task);
      return "oops";
    case YieldKind::step:
      gate_->pass(label, yield.op->name, point_name(yield.point, *yield.step)); // step mode: a replay
      break;
    }
  }
}

std::string ControlPlane::run_op(const std::string& op, OpContext ctx) {
  return run_task(interpreter_->start(op, std::move(ctx), scheduler_.now()));
}

// --- admins ---------------------------------------------------------------------------------------------------

void ControlPlane::run_timeline_entry(const TimelineEntry& entry, std::size_t index) {
  TimelineOutcome& outcome = timeline_[index];
  outcome = TimelineOutcome{entry.name,
                            entry.action.op,
                            describe_target(entry.action, scenario_),
                            entry.at,
                            scenario_.run.horizon,
                            false,
                            "hung",
                            0};
  sleep_until(entry.at);
  NamedStream rng(scenario_.run.seed, "admin/" + entry.name);
  const std::string error = administer(entry.action, *entry.retry, entry.name, rng, &outcome.attempts);
  if (error == "oops") {
    outcome.result = "oops"; // the task died in the kernel: it never returns
    return;
  }
  outcome.end = scheduler_.now();
  outcome.finished = true;
  outcome.result = error.empty() ? "ok" : error;
}

void ControlPlane::run_random_admin(const RandomAdmin& admin) {
  NamedStream rng(scenario_.run.seed, "admin/" + admin.name);
  double t = admin.start;
  for (uint64_t k = 1;; ++k) {
    t += rng.exponential(1.0 / admin.rate);
    if (t >= admin.stop || t >= scenario_.run.horizon)
      return;
    sleep_until(t);
    // Each operation runs in its own actor: an admin process's operations may overlap, as scripts in parallel do.
    std::optional<AdminAction> action = random_action(admin, rng);
    if (!action)
      continue;
    const std::string label = admin.name + "#" + std::to_string(k);
    spawn(label, [this, action = *action, label, &admin] {
      NamedStream op_rng(scenario_.run.seed, "admin/" + label);
      int attempts = 0;
      administer(action, *admin.retry, label, op_rng, &attempts);
    });
  }
}

std::optional<AdminAction> ControlPlane::random_action(const RandomAdmin& admin, RandomSource& rng) const {
  double total = 0;
  for (const auto& [op, weight] : admin.ops)
    total += weight;
  double pick = rng.uniform(0, total);
  std::string op = admin.ops.back().first;
  for (const auto& [name, weight] : admin.ops) {
    if (pick < weight) {
      op = name;
      break;
    }
    pick -= weight;
  }
  auto choose = [&rng](const auto& items) { return items[rng.below(items.size())]; };
  AdminAction action;
  action.op = op;
  action.where = admin.where;
  if (op == "apmask_store" || op == "aqmask_store") {
    // Toggle one id: reserve it for host drivers if vfio_ap has it, give it back otherwise.
    const bool ap = op == "apmask_store";
    const int id = choose((ap ? admin.adapters : admin.domains).ids());
    const HostMasks& masks = interpreter_->state().host.masks();
    const IdSet& mask = ap ? masks.apmask : masks.aqmask;
    action.mask.mode = mask.contains(id) ? MaskChange::Mode::remove : MaskChange::Mode::add;
    action.mask.ids.insert(id);
  } else if (op == "set_kvm" || op == "unset_kvm") {
    action.guest = choose(admin.guests);
    action.mdev = scenario_.guests[static_cast<std::size_t>(action.guest)].mdev;
  } else if (op == "card_offline" || op == "card_online") {
    action.id = choose(admin.adapters.ids());
  } else {
    action.mdev = choose(admin.mdevs);
    if (op.ends_with("_adapter"))
      action.id = choose(admin.adapters.ids());
    else if (op.ends_with("_domain"))
      action.id = choose(admin.domains.ids());
  }
  return action;
}

std::string ControlPlane::administer(const AdminAction& action, const RetryPolicy& retry, const std::string& label,
                                     RandomSource& rng, int* attempts) {
  const double start = scheduler_.now();
  // The operation is a reconfiguration event: its window, and what it does to the data path (DataPlane::touch).
  const int event = windows_.open(start, label, action.op, describe_target(action, scenario_));
  acting_[sg4::this_actor::get_pid()] = event;
  const std::string target = describe_target(action, scenario_);
  std::string error;
  for (*attempts = 1;; ++*attempts) {
    if (*attempts > 1) {
      ++interpreter_->figures(action.op).retries;
      if (gate_)
        gate_->pass(label, "", "retry");
    }
    note(label, action.op, "attempt", target, action.where);
    error = perform(action, label, rng);
    if (gate_)
      gate_->release(label); // an attempt that failed at once ran no task
    if (error.empty() || error == "oops" || !retry.retries(error, *attempts))
      break;
    const double wait = retry.delay(*attempts, rng);
    if (wait > 0)
      sleep_for(wait);
  }
  acting_.erase(sg4::this_actor::get_pid());
  if (error == "oops")
    return error; // the task died in the kernel: it never returns, and its window stays open ("hung")
  interpreter_->figures(action.op).completion.record(scheduler_.now() - start);
  windows_.close(event, scheduler_.now(), error.empty() ? "ok" : error, *attempts);
  note(label, action.op, "outcome", error.empty() ? "ok" : error, action.where);
  return error;
}

void ControlPlane::note(const std::string& actor, const std::string& op, const std::string& what,
                        const std::string& detail, const std::string& where) const {
  if (trace_)
    trace_(ControlEvent{scheduler_.now(), actor, op, what, detail, where});
}

std::string ControlPlane::perform(const AdminAction& action, const std::string& label, RandomSource& rng) {
  const double start = scheduler_.now();
  auto immediate = [&](const std::string& error) {
    OpFigures& figures = interpreter_->figures(action.op);
    ++figures.attempts;
    if (error.empty())
      ++figures.successes;
    else
      ++figures.errors[error];
    figures.latency.record(scheduler_.now() - start);
    return error;
  };
  AdminStart begin = admin_start(action, interpreter_->state(), label, rng);
  if (!begin.error.empty())
    return immediate(begin.error);
  if (begin.card_online) {
    // The adapter leaves (or rejoins) the configuration in the hardware now; the rescan follows.
    if (gate_)
      gate_->pass(label, "", *begin.card_online ? "card returns" : "card leaves");
    note(label, action.op, *begin.card_online ? "card_online" : "card_offline", hex_id(action.id), action.where);
    interpreter_->state().host.set_hw_online(action.id, *begin.card_online);
    if (*begin.card_online)
      data_.card_online(action.id);
    else
      data_.card_offline(action.id);
    immediate("");
  }
  if (action.op == "unset_kvm" && action.mdev >= 0) {
    // Guest stop: the VM shuts down, then QEMU closes the vfio device (close_device -> vfio_ap_mdev_unset_kvm).
    const int g = interpreter_->state().mdevs[static_cast<std::size_t>(action.mdev)].guest;
    if (g >= 0)
      data_.set_guest_running(static_cast<uint32_t>(g), false);
  }
  return run_op(begin.op, std::move(begin.ctx));
}

void ControlPlane::on_aqic(uint32_t guest, uint32_t queue) {
  // Called from a data-plane event: the vCPU's intercept runs as an actor, since it takes locks.
  const ApQueue& q = data_.queue(queue);
  const std::string label = "vcpu:" + scenario_.guests[guest].name + " aqic " + apqn_name(q.adapter, q.domain) + "#" +
                            std::to_string(actor_count_);
  const int adapter = q.adapter, domain = q.domain;
  spawn(label, [this, guest, adapter, domain, label] {
    NamedStream rng(scenario_.run.seed, "vcpu/" + label);
    OpContext ctx;
    ctx.actor = label;
    ctx.root = label;
    ctx.guest = static_cast<int>(guest);
    ctx.mdev = interpreter_->state().guests[guest].hook;
    ctx.adapter = adapter;
    ctx.domain = domain;
    ctx.rng = &rng;
    run_op("pqap_aqic", ctx);
  });
}

// --- results --------------------------------------------------------------------------------------------------

ControlResult ControlPlane::result() const {
  ControlResult out;
  out.enabled = true;
  out.strategy = scenario_.control.strategy->name();
  out.strategy_file = scenario_.control.strategy->source_file();
  out.ops = interpreter_->figures();
  const KernelLocks& locks = interpreter_->locks();
  for (const auto& [lock_class, stats] : locks.class_stats())
    out.locks[lock_class] =
        LockFigures{stats.acquisitions, stats.contentions, stats.trylock_failures, stats.wait, stats.hold};
  out.timeline = timeline_;
  for (const Deadlock& deadlock : locks.deadlocks()) {
    DeadlockReport report;
    report.time = deadlock.time;
    for (const DeadlockEdge& edge : deadlock.cycle)
      report.cycle.push_back({edge.actor, edge.op, edge.holds, edge.wants});
    out.deadlocks.push_back(std::move(report));
  }
  for (const Inversion& inversion : locks.inversions())
    out.inversions.push_back(
        InversionReport{inversion.time, inversion.cycle, inversion.established_by, inversion.inverted_by});
  out.stolen_queues = interpreter_->stolen_queues();
  out.hung = locks.hung_tasks();
  out.kernel_bugs = interpreter_->kernel_bugs();
  out.kernel_warnings = interpreter_->kernel_warnings();
  out.final_state = final_state_of(interpreter_->state(), scenario_);
  if (gate_) {
    const ReplaySpec& spec = *scenario_.control.replay;
    std::vector<OpEnd> ends;
    for (const TimelineOutcome& t : timeline_)
      ends.push_back(OpEnd{t.name, t.result, t.attempts});
    const Outcome reached = classify(*interpreter_, scenario_, std::move(ends));
    ReplayReport& replay = out.replay;
    replay.present = true;
    replay.explored = spec.explored;
    replay.points = gate_->points();
    replay.followed = gate_->followed();
    replay.divergence = gate_->divergence();
    replay.expected = spec.headline;
    replay.reached = reached.headline();
    replay.reproduced = replay.divergence.empty() && reached.key == spec.outcome;
  }
  return out;
}

} // namespace apq
