#include "sim/control/control_plane.hpp"

#include <cmath>
#include <cstdio>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <stdexcept>

namespace apq {

namespace sg4 = simgrid::s4u;

namespace {
// Locks that exist once on the host; kvm and pqap_hook exist once per guest.
const char* const kGlobalLocks[] = {"ap_perms", "ap_scan", "matrix", "guests", "mdevs"};
} // namespace

ControlPlane::ControlPlane(const Scenario& scenario, EventScheduler& scheduler, DataPlane& data_plane, sg4::Host* host,
                           ReconfigWindows& windows)
    : scenario_(scenario), scheduler_(scheduler), data_(data_plane), host_(host), windows_(windows),
      host_config_(scenario), reset_rng_(scenario.run.seed, "control/reset") {
  for (const std::string& name : strategy_vocabulary().effects)
    if (!effects().contains(name))
      throw std::logic_error("ControlPlane: effect '" + name + "' of the strategy vocabulary has no mechanism");
  for (std::size_t m = 0; m < scenario.mdevs.size(); ++m) {
    const MdevSpec& spec = scenario.mdevs[m];
    MdevState state{spec.name,
                    spec.adapters,
                    spec.domains,
                    spec.control_domains,
                    scenario.guest_of_mdev(static_cast<int>(m)),
                    filter_matrix(spec, host_config_)};
    for (int a : spec.adapters.ids())
      for (int d : spec.domains.ids())
        assignments_[{a, d}] = Assignment{"the scenario's initial configuration", 0};
    mdevs_.push_back(std::move(state));
  }
  for (const char* name : kGlobalLocks)
    global_locks_[name] = std::make_unique<KernelLock>(name, name, monitor_);
  for (const GuestSpec& guest : scenario.guests) {
    kvm_locks_.push_back(std::make_unique<KernelLock>("kvm:" + guest.name, "kvm", monitor_));
    pqap_locks_.push_back(std::make_unique<KernelLock>("pqap_hook:" + guest.name, "pqap_hook", monitor_));
  }
  monitor_.on_deadlock([this](const Deadlock& deadlock) {
    std::string cycle;
    for (const DeadlockEdge& edge : deadlock.cycle)
      cycle += (cycle.empty() ? "" : "; ") + edge.actor + " holds " + edge.holds + ", wants " + edge.wants;
    if (trace_)
      trace_(ControlEvent{
          scheduler_.now(), deadlock.cycle.front().actor, deadlock.cycle.front().op, "deadlock", cycle, {}});
  });
}

ControlPlane::~ControlPlane() = default;

void ControlPlane::start() {
  data_.set_aqic_handler([this](uint32_t guest, uint32_t queue) { on_aqic(guest, queue); });
  const auto& timeline = scenario_.control.timeline;
  timeline_.resize(timeline.size());
  for (std::size_t i = 0; i < timeline.size(); ++i)
    spawn(timeline[i].name, [this, i] { run_timeline_entry(scenario_.control.timeline[i], i); });
  for (const RandomAdmin& admin : scenario_.control.random)
    spawn(admin.name, [this, &admin] { run_random_admin(admin); });
}

sg4::ActorPtr ControlPlane::spawn(const std::string& label, std::function<void()> body) {
  sg4::ActorPtr actor = sg4::Actor::create(label, host_, std::move(body));
  monitor_.set_actor_label(actor->get_pid(), label);
  ++actor_count_;
  return actor;
}

// --- the interpreter -----------------------------------------------------------------------------------------

int ControlPlane::guest_of(const OpContext& ctx) const {
  if (ctx.guest >= 0)
    return ctx.guest;
  return ctx.mdev >= 0 ? mdevs_[static_cast<std::size_t>(ctx.mdev)].guest : -1;
}

KernelLock* ControlPlane::resolve_lock(const std::string& lock_class, const OpContext& ctx) {
  if (lock_class == "kvm" || lock_class == "pqap_hook") {
    const int g = guest_of(ctx); // no guest: the kernel's "if (matrix_mdev->kvm)" skips the lock
    if (g < 0)
      return nullptr;
    return (lock_class == "kvm" ? kvm_locks_ : pqap_locks_)[static_cast<std::size_t>(g)].get();
  }
  return global_locks_.at(lock_class).get();
}

std::string ControlPlane::run_op(const std::string& op, OpContext& ctx) {
  const OpSteps& steps = scenario_.control.strategy->op(op);
  const std::string caller_op = ctx.op;
  ctx.op = op;
  const double start = scheduler_.now();
  note(ctx, "start", {}, steps.where);
  struct Held {
    std::string lock_class;
    KernelLock* lock; // null: skipped (no guest)
  };
  std::vector<Held> held;
  std::string error;
  std::string failed_at; // the step that failed: the "goto out_unlock" releases from there
  for (const Step& step : steps.steps) {
    failed_at = step.where;
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock) {
      KernelLock* lock = resolve_lock(step.target, ctx);
      if (lock != nullptr && step.kind == StepKind::lock) {
        note(ctx, "lock", lock->name(), step.where);
        lock->lock(op);
        note(ctx, "acquired", lock->name(), step.where);
      } else if (lock != nullptr && !lock->try_lock(op)) {
        error = step.error.empty() ? "EBUSY" : step.error;
        note(ctx, "busy", lock->name(), step.where);
        break;
      } else if (lock != nullptr) {
        note(ctx, "acquired", lock->name(), step.where);
      }
      held.push_back(Held{step.target, lock});
      // vfio_ap's probe/remove callbacks find the queue's mdev (q->matrix_mdev, or the mdev list search of
      // get_update_locks_by_apqn) under the lock they just took, not when the AP bus decided to reprobe: an
      // assign that ran while the callback waited for the lock is seen. Looking it up once before the wait
      // missed the stolen-queue race's own assignment, so the first remove_queue unplugged nothing and the
      // guest kept sending on a queue already handed to the host driver.
      if (ctx.queue >= 0 && (op == "remove_queue" || op == "probe_queue")) {
        const ApQueue& q = data_.queue(static_cast<uint32_t>(ctx.queue));
        ctx.mdev = mdev_holding(q.adapter, q.domain);
      }
    } else if (step.kind == StepKind::unlock) {
      auto it = std::find_if(held.rbegin(), held.rend(), [&](const Held& h) { return h.lock_class == step.target; });
      if (it->lock != nullptr) {
        // Noted before the release: the unlock simcall lets the next owner run (and note "acquired") first.
        note(ctx, "unlock", it->lock->name(), step.where);
        it->lock->unlock();
      }
      held.erase(std::next(it).base());
    } else if (step.kind == StepKind::work) {
      const double duration = step.work->sample(*ctx.rng);
      if (duration > 0)
        sg4::this_actor::sleep_for(duration);
    } else if (step.kind == StepKind::call) {
      error = run_op(step.target, ctx);
      ctx.op = op;
      if (!error.empty())
        break;
    } else {
      const std::string failure = (this->*effects().at(step.target))(ctx);
      note(ctx, "effect", step.target + (failure.empty() ? "" : " -> " + failure), step.where);
      if (!failure.empty()) {
        error = step.error.empty() ? failure : step.error;
        break;
      }
    }
  }
  // A failure leaves as the kernel's "goto out_unlock": what is held is released, most recent first.
  for (auto it = held.rbegin(); it != held.rend(); ++it)
    if (it->lock != nullptr) {
      note(ctx, "unlock", it->lock->name(), failed_at);
      it->lock->unlock();
    }
  record_attempt(op, start, error, false);
  note(ctx, "end", error.empty() ? "ok" : error, steps.where);
  ctx.op = caller_op;
  return error;
}

void ControlPlane::record_attempt(const std::string& op, double start, const std::string& error, bool retry) {
  OpFigures& figures = ops_[op];
  ++figures.attempts;
  if (retry)
    ++figures.retries;
  if (error.empty())
    ++figures.successes;
  else
    ++figures.errors[error];
  if (error == "EBUSY")
    ++figures.ebusy;
  figures.latency.record(scheduler_.now() - start);
}

void ControlPlane::note(const OpContext& ctx, const std::string& what, const std::string& detail,
                        const std::string& where) {
  if (trace_)
    trace_(ControlEvent{scheduler_.now(), ctx.actor, ctx.op, what, detail, where});
}

// --- admins ---------------------------------------------------------------------------------------------------

namespace {

std::string describe_target(const AdminAction& action, const Scenario& scenario) {
  if (action.op == "apmask_store" || action.op == "aqmask_store")
    return action.mask.str();
  if (action.op == "set_kvm" || action.op == "unset_kvm")
    return "guest " + scenario.guests[static_cast<std::size_t>(action.guest)].name;
  if (action.op == "card_offline" || action.op == "card_online")
    return "adapter " + hex_id(action.id);
  std::string target = "mdev " + scenario.mdevs[static_cast<std::size_t>(action.mdev)].name;
  return action.id >= 0 ? hex_id(action.id) + " -> " + target : target;
}

} // namespace

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
  sg4::this_actor::sleep_until(entry.at);
  NamedStream rng(scenario_.run.seed, "admin/" + entry.name);
  windows_.open(scheduler_.now());
  const std::string error = administer(entry.action, *entry.retry, entry.name, rng, &outcome.attempts);
  windows_.close(scheduler_.now());
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
    sg4::this_actor::sleep_until(t);
    // Each operation runs in its own actor: an admin process's operations may overlap, as scripts in parallel do.
    std::optional<AdminAction> action = random_action(admin, rng);
    if (!action)
      continue;
    const std::string label = admin.name + "#" + std::to_string(k);
    spawn(label, [this, action = *action, label, &admin] {
      NamedStream op_rng(scenario_.run.seed, "admin/" + label);
      windows_.open(scheduler_.now());
      int attempts = 0;
      administer(action, *admin.retry, label, op_rng, &attempts);
      windows_.close(scheduler_.now());
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
    // Toggle one id: give it to host drivers if vfio_ap has it, give it back otherwise.
    const bool ap = op == "apmask_store";
    const int id = choose((ap ? admin.adapters : admin.domains).ids());
    const IdSet& mask = ap ? host_config_.masks().apmask : host_config_.masks().aqmask;
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
  OpContext admin; // what the traces say of the whole operation, retries included
  admin.actor = label;
  admin.op = action.op;
  std::string error;
  for (*attempts = 1;; ++*attempts) {
    if (*attempts > 1)
      ++ops_[action.op].retries;
    note(admin, "attempt", describe_target(action, scenario_), action.where);
    error = perform(action, label, rng);
    if (error.empty() || !retry.retries(error, *attempts))
      break;
    const double wait = retry.delay(*attempts, rng);
    if (wait > 0)
      sg4::this_actor::sleep_for(wait);
  }
  ops_[action.op].completion.record(scheduler_.now() - start);
  note(admin, "outcome", error.empty() ? "ok" : error, action.where);
  return error;
}

std::string ControlPlane::perform(const AdminAction& action, const std::string& label, RandomSource& rng) {
  OpContext ctx;
  ctx.actor = label;
  ctx.action = &action;
  ctx.mdev = action.mdev;
  ctx.guest = action.guest;
  ctx.id = action.id;
  ctx.rng = &rng;
  if (action.op == "card_offline" || action.op == "card_online") {
    const double start = scheduler_.now();
    ctx.op = action.op;
    card_event(action.id, action.op == "card_online", ctx);
    record_attempt(action.op, start, "", false);
    return "";
  }
  return run_op(action.op, ctx);
}

void ControlPlane::card_event(int adapter, bool online, OpContext& ctx) {
  // The AP bus's scan after QCI changed: on_config_changed per mdev, the queue devices go (or come) through the
  // driver's remove (probe) callback, then on_scan_complete per mdev.
  note(ctx, online ? "card_online" : "card_offline", hex_id(adapter));
  std::vector<std::pair<int, int>> queues;
  for (int d : scenario_.find_card(adapter)->domains.ids())
    if (host_config_.driven_by_vfio(adapter, d) || (online && !host_config_.masks().reserves(adapter, d)))
      queues.emplace_back(adapter, d);
  if (!online)
    data_.card_offline(adapter);
  host_config_.set_adapter_online(adapter, online);
  if (online)
    data_.card_online(adapter);
  for (std::size_t m = 0; m < mdevs_.size(); ++m) {
    OpContext sub = ctx;
    sub.mdev = static_cast<int>(m);
    run_op("config_changed", sub);
  }
  for (const auto& [a, d] : queues) {
    OpContext sub = ctx;
    sub.queue = data_.queue_index(a, d);
    sub.mdev = mdev_holding(a, d);
    sub.departing = !online;
    run_op(online ? "probe_queue" : "remove_queue", sub);
    host_config_.set_departing(a, d, false);
  }
  for (std::size_t m = 0; m < mdevs_.size(); ++m) {
    OpContext sub = ctx;
    sub.mdev = static_cast<int>(m);
    run_op("scan_complete", sub);
  }
}

void ControlPlane::on_aqic(uint32_t guest, uint32_t queue) {
  // Called from a data-plane event (maestro): the vCPU's intercept runs as an actor, since it takes locks.
  int mdev = -1;
  for (std::size_t m = 0; m < mdevs_.size(); ++m)
    if (mdevs_[m].guest == static_cast<int>(guest))
      mdev = static_cast<int>(m);
  const ApQueue& q = data_.queue(queue);
  const std::string label = "vcpu:" + scenario_.guests[guest].name + " aqic " + apqn_name(q.adapter, q.domain) + "#" +
                            std::to_string(actor_count_);
  spawn(label, [this, guest, queue, mdev, label] {
    NamedStream rng(scenario_.run.seed, "vcpu/" + label);
    OpContext ctx;
    ctx.actor = label;
    ctx.guest = static_cast<int>(guest);
    ctx.mdev = mdev;
    ctx.queue = static_cast<int>(queue);
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
  out.ops = ops_;
  for (const auto& [lock_class, stats] : monitor_.class_stats())
    out.locks[lock_class] =
        LockFigures{stats.acquisitions, stats.contentions, stats.trylock_failures, stats.wait, stats.hold};
  out.timeline = timeline_;
  for (const Deadlock& deadlock : monitor_.deadlocks()) {
    DeadlockReport report;
    report.time = deadlock.time;
    for (const DeadlockEdge& edge : deadlock.cycle)
      report.cycle.push_back({edge.actor, edge.op, edge.holds, edge.wants});
    out.deadlocks.push_back(std::move(report));
  }
  for (const Inversion& inversion : monitor_.inversions())
    out.inversions.push_back(
        InversionReport{inversion.time, inversion.cycle, inversion.established_by, inversion.inverted_by});
  out.stolen_queues = stolen_;
  out.hung = monitor_.hung_actors();
  return out;
}

} // namespace apq
