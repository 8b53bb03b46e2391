#include "sim/control/interpreter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace apq {

namespace {
// Locks that exist once on the host; kvm and pqap_hook exist once per guest.
const char* const kHostLocks[] = {"ap_perms", "ap_scan", "matrix", "guests", "mdevs"};

LockKind kind_of(const std::string& lock_class) {
  const auto& rwsems = strategy_vocabulary().rwsems;
  return std::find(rwsems.begin(), rwsems.end(), lock_class) != rwsems.end() ? LockKind::rwsem : LockKind::mutex;
}

LockMode mode_of(const Step& step) {
  return step.mode == StepMode::read ? LockMode::read : LockMode::write;
}
} // namespace

// --- state ------------------------------------------------------------------------------------------------------

ControlState::ControlState(const Scenario& scenario) : host(scenario), guests(scenario.guests.size()) {
  for (std::size_t m = 0; m < scenario.mdevs.size(); ++m) {
    const MdevSpec& spec = scenario.mdevs[m];
    MdevState mdev;
    mdev.name = spec.name;
    mdev.adapters = spec.adapters;
    mdev.domains = spec.domains;
    mdev.control_domains = spec.control_domains;
    mdev.guest = scenario.guest_of_mdev(static_cast<int>(m));
    mdev.shadow = apq::filter_matrix(spec, host);
    for (int a : spec.adapters.ids())
      for (int d : spec.domains.ids()) {
        assignments[{a, d}] = Assignment{"the scenario's initial configuration", 0};
        if (host.bound_to_vfio(a, d))
          queues[{a, d}].link = static_cast<int>(m);
      }
    if (mdev.guest >= 0) {
      GuestControl& guest = guests[static_cast<std::size_t>(mdev.guest)];
      guest.hook = static_cast<int>(m);
      guest.crycb = mdev.shadow;
      // A guest that runs with interrupts set them up at boot: each of its queues went through AQIC.
      if (scenario.guests[static_cast<std::size_t>(mdev.guest)].completion.mode == CompletionSpec::Mode::interrupt)
        for (int a : mdev.shadow.adapters.ids())
          for (int d : mdev.shadow.domains.ids())
            if (host.device_exists(a, d))
              queues[{a, d}].irq = true;
    }
    mdevs.push_back(std::move(mdev));
  }
}

int ControlState::mdev_holding(int adapter, int domain) const {
  for (std::size_t m = 0; m < mdevs.size(); ++m)
    if (!mdevs[m].removed && mdevs[m].adapters.contains(adapter) && mdevs[m].domains.contains(domain))
      return static_cast<int>(m);
  return -1;
}

// --- construction -----------------------------------------------------------------------------------------------

ControlInterpreter::ControlInterpreter(const Scenario& scenario, const Strategy& strategy, ControlEnv& env)
    : scenario_(scenario), strategy_(strategy), env_(env), state_(scenario) {
  for (const std::string& name : strategy_vocabulary().effects)
    if (!effects().contains(name))
      throw std::logic_error("ControlInterpreter: effect '" + name + "' of the strategy vocabulary has no mechanism");
  for (const char* name : kHostLocks)
    host_locks_[name] = locks_.add(name, name, kind_of(name));
  for (const GuestSpec& guest : scenario.guests) {
    std::map<std::string, LockId> own;
    for (const std::string& cls : strategy_vocabulary().guest_locks)
      own[cls] = locks_.add(cls + ":" + guest.name, cls, kind_of(cls));
    guest_locks_.push_back(std::move(own));
  }
  locks_.on_deadlock([this](const Deadlock& deadlock) {
    std::string cycle;
    for (const DeadlockEdge& edge : deadlock.cycle)
      cycle += (cycle.empty() ? "" : "; ") + edge.actor + " holds " + edge.holds + ", wants " + edge.wants;
    if (trace_)
      trace_(ControlEvent{now_, deadlock.cycle.front().actor, deadlock.cycle.front().op, "deadlock", cycle, {}});
  });
}

LockId ControlInterpreter::lock_id(const std::string& lock_class, int guest) const {
  if (auto it = host_locks_.find(lock_class); it != host_locks_.end())
    return it->second;
  if (guest < 0)
    return -1;
  return guest_locks_[static_cast<std::size_t>(guest)].at(lock_class);
}

// --- tasks and frames -------------------------------------------------------------------------------------------

TaskId ControlInterpreter::start(const std::string& op, OpContext ctx, double now) {
  now_ = now;
  const TaskId id = next_task_++;
  Task& task = tasks_[id];
  task.id = id;
  task.label = ctx.actor;
  locks_.set_label(id, ctx.actor);
  push_frame(task, strategy_.op(op), std::move(ctx), nullptr, now);
  return id;
}

void ControlInterpreter::push_frame(Task& task, const OpSteps& op, OpContext ctx, const Step* call, double now) {
  Frame frame;
  frame.op = &op;
  ctx.op = op.name;
  // What an operation computes for itself (a kernel function's locals) starts afresh in the callee.
  ctx.apcb_changed = false;
  ctx.apm_filtered = IdSet{};
  ctx.to_reset.clear();
  ctx.waited = false;
  frame.ctx = std::move(ctx);
  frame.start = now;
  frame.call = call;
  frame.cursors.push_back(Cursor{&op.steps});
  task.frames.push_back(std::move(frame));
  Frame& top = task.frames.back();
  resolve_queue_mdev(top);
  note(top, "start", "", op.where);
}

namespace {
// Conditions and iterators that read only the operation's own context (holds(), items_of()).
bool local_condition(const std::string& name) {
  return name == "reserves_new" || name == "mask_changed" || name == "apcb_changed" || name == "config_changed" ||
         name == "config_removed" || name == "waited";
}
bool local_iterator(const std::string& name) {
  return name == "departed_device" || name == "new_device";
}
bool resolves_on_entry(const std::string& op) {
  return op == "probe_queue" || op == "remove_queue"; // resolve_queue_mdev()
}
} // namespace

bool ControlInterpreter::visible(const Step& step, const Frame& frame) const {
  const bool condition_reads =
      std::any_of(step.when.begin(), step.when.end(), [](const ConditionTerm& t) { return !local_condition(t.name); });
  switch (step.kind) {
  case StepKind::work:
    return false;
  case StepKind::group:
    return condition_reads;
  case StepKind::each:
    return condition_reads || !local_iterator(step.target);
  case StepKind::call:
    return condition_reads || (resolves_on_entry(step.target) && frame.ctx.has_queue());
  case StepKind::lock:
  case StepKind::trylock:
  case StepKind::unlock:
  case StepKind::effect:
    break;
  }
  return true;
}

void ControlInterpreter::resolve_queue_mdev(Frame& frame) const {
  const OpContext& ctx = frame.ctx;
  if (!ctx.has_queue() || frame.acted)
    return;
  if (ctx.op == "probe_queue") {
    frame.ctx.mdev = state_.mdev_holding(ctx.adapter, ctx.domain); // get_update_locks_by_apqn: the mdev list
  } else if (ctx.op == "remove_queue") {
    auto it = state_.queues.find({ctx.adapter, ctx.domain});
    frame.ctx.mdev = it == state_.queues.end() ? -1 : it->second.link; // q->matrix_mdev
  }
}

int ControlInterpreter::guest_of(const OpContext& ctx) const {
  if (ctx.guest >= 0)
    return ctx.guest;
  if (ctx.mdev < 0)
    return -1;
  return state_.mdevs[static_cast<std::size_t>(ctx.mdev)].guest;
}

bool ControlInterpreter::finish_frame(Task& task, std::string error) {
  for (;;) {
    Frame& frame = task.frames.back();
    // Leaving, on success or as the kernel's "goto out_unlock": what is held is released, most recent first, from
    // the step that failed (or the operation's end).
    const Cursor& cursor = frame.cursors.back();
    const std::string& from = error.empty() || cursor.pc == 0 ? frame.op->where : (*cursor.steps)[cursor.pc - 1].where;
    for (auto it = frame.held.rbegin(); it != frame.held.rend(); ++it)
      if (it->lock >= 0) {
        const bool rwsem = locks_.kind(it->lock) == LockKind::rwsem;
        const char* release = it->mode == LockMode::read ? "up_read" : rwsem ? "up_write" : "unlock";
        note(frame, release, locks_.name(it->lock), from);
        locks_.unlock(task.id, it->lock, now_);
      }
    frame.held.clear();
    record_attempt(frame, error);
    note(frame, "end", error.empty() ? "ok" : error, frame.op->where);
    const Step* call = frame.call;
    task.frames.pop_back();
    if (task.frames.empty()) {
      task.result = error;
      return true;
    }
    if (error.empty())
      return false;
    // A failing callee makes its caller fail, with the errno the call step names if it names one.
    if (call != nullptr && !call->error.empty())
      error = call->error;
  }
}

Yield ControlInterpreter::advance(TaskId id, double now) {
  now_ = now;
  Task& task = tasks_.at(id);
  if (task.dead)
    return Yield{YieldKind::dead, 0, "oops"};
  for (;;) {
    if (task.frames.empty())
      return Yield{YieldKind::done, 0, task.result};
    Frame& frame = task.frames.back();
    if (frame.blocked != nullptr) { // resumed: the lock was granted meanwhile
      if (pause(task))
        return Yield{YieldKind::step, 0, {}, frame.op, frame.blocked, PausePoint::resume};
      note(frame, "acquired", locks_.name(frame.held.back().lock), frame.blocked->where);
      frame.blocked = nullptr;
      resolve_queue_mdev(frame);
      continue;
    }
    if (frame.reset) {
      if (pause(task))
        return Yield{YieldKind::step, 0, {}, frame.op, frame.reset->step, PausePoint::reset};
      if (auto wait = run_reset(frame))
        return *wait;
      continue;
    }
    Cursor& cursor = frame.cursors.back();
    if (cursor.pc == cursor.steps->size()) {
      if (cursor.loop != nullptr && ++cursor.item < cursor.items.size()) {
        cursor.pc = 0;
        enter_item(frame, cursor);
        continue;
      }
      if (cursor.loop != nullptr) {
        frame.ctx.mdev = cursor.saved_mdev;
        frame.ctx.adapter = cursor.saved_adapter;
        frame.ctx.domain = cursor.saved_domain;
        frame.ctx.departing = cursor.saved_departing;
      }
      if (frame.cursors.size() > 1) {
        frame.cursors.pop_back();
        continue;
      }
      if (finish_frame(task, ""))
        return Yield{YieldKind::done, 0, task.result};
      continue;
    }
    const Step& step = (*cursor.steps)[cursor.pc];
    if (step_mode_ && visible(step, frame) && pause(task))
      return Yield{YieldKind::step, 0, {}, frame.op, &step, PausePoint::step};
    ++cursor.pc;
    if (!condition(frame, step.when))
      continue;
    switch (step.kind) {
    case StepKind::lock:
    case StepKind::trylock:
    case StepKind::unlock:
      if (auto wait = run_lock(task, step))
        return *wait;
      if (task.frames.empty())
        return Yield{YieldKind::done, 0, task.result};
      break;
    case StepKind::work: {
      const double duration = step.work->sample(*frame.ctx.rng);
      if (duration > 0)
        return Yield{YieldKind::sleep, duration, {}, frame.op, &step};
      break;
    }
    case StepKind::call:
      push_frame(task, strategy_.op(step.target), frame.ctx, &step, now);
      break;
    case StepKind::effect: {
      frame.acted = true;
      const std::string failure = (this->*effects().at(step.target))(frame, step);
      note(frame, "effect", step.target + (failure.empty() ? "" : " -> " + failure), step.where);
      if (!failure.empty() && finish_frame(task, step.error.empty() ? failure : step.error))
        return Yield{YieldKind::done, 0, task.result};
      break;
    }
    case StepKind::group:
      frame.cursors.push_back(Cursor{&step.body});
      break;
    case StepKind::each: {
      Cursor loop{&step.body};
      loop.loop = &step;
      loop.items = items_of(frame, step.target);
      if (loop.items.empty())
        break;
      loop.saved_mdev = frame.ctx.mdev;
      loop.saved_adapter = frame.ctx.adapter;
      loop.saved_domain = frame.ctx.domain;
      loop.saved_departing = frame.ctx.departing;
      frame.cursors.push_back(std::move(loop));
      enter_item(frame, frame.cursors.back());
      break;
    }
    }
  }
}

bool ControlInterpreter::pause(Task& task) {
  if (!step_mode_)
    return false;
  task.paused = !task.paused;
  return task.paused;
}

std::optional<Yield> ControlInterpreter::run_lock(Task& task, const Step& step) {
  Frame& frame = task.frames.back();
  const std::string& op = frame.ctx.op;
  if (step.kind == StepKind::unlock) {
    auto it = std::find_if(frame.held.rbegin(), frame.held.rend(),
                           [&](const HeldLock& h) { return h.lock_class == step.target; });
    if (it->lock >= 0) {
      note(frame, std::string(step_key(step)), locks_.name(it->lock), step.where);
      locks_.unlock(task.id, it->lock, now_);
    }
    frame.held.erase(std::next(it).base());
    return std::nullopt;
  }
  const LockId lock = lock_id(step.target, guest_of(frame.ctx));
  const LockMode mode = mode_of(step);
  if (lock < 0) {
    // A lock of the operation's guest, and there is none: the kernel's `if (matrix_mdev->kvm)` skips it, and so the
    // matching unlock; without that check the kernel dereferences NULL.
    if (step.oops_without_guest) {
      const std::string mdev = frame.ctx.mdev >= 0 ? state_.mdevs[static_cast<std::size_t>(frame.ctx.mdev)].name : "?";
      oops(task, step,
           "NULL pointer dereference: " + std::string(step_key(step)) + " of matrix_mdev->kvm's " + step.target +
               " for mdev " + mdev + ", which has no guest (" + op + ")");
      return Yield{YieldKind::dead, 0, "oops"};
    }
    frame.held.push_back(HeldLock{step.target, -1, mode});
    return std::nullopt;
  }
  if (step.kind == StepKind::trylock) {
    note(frame, "trylock", locks_.name(lock), step.where);
    if (!locks_.try_lock(task.id, lock, mode, op, now_)) {
      note(frame, "busy", locks_.name(lock), step.where);
      // busy = "skip": the kernel's `if (mutex_trylock(...)) { ... }` with nothing else: done, successfully.
      if (finish_frame(task, step.error == "skip" ? "" : step.error))
        return Yield{YieldKind::done, 0, task.result};
      return std::nullopt;
    }
    frame.held.push_back(HeldLock{step.target, lock, mode});
    frame.ctx.waited = false;
    note(frame, "acquired", locks_.name(lock), step.where);
    resolve_queue_mdev(frame);
    return std::nullopt;
  }
  note(frame, std::string(step_key(step)), locks_.name(lock), step.where);
  frame.held.push_back(HeldLock{step.target, lock, mode});
  const bool granted = locks_.lock(task.id, lock, mode, op, now_);
  frame.ctx.waited = !granted;
  if (!granted) {
    frame.blocked = &step;
    return Yield{YieldKind::blocked, 0, {}};
  }
  note(frame, "acquired", locks_.name(lock), step.where);
  resolve_queue_mdev(frame);
  return std::nullopt;
}

void ControlInterpreter::oops(Task& task, const Step& step, const std::string& what) {
  const Frame& frame = task.frames.back();
  bugs_.push_back(KernelBugReport{now_, task.label, frame.ctx.op, step.where, what});
  note(frame, "oops", what, step.where);
  task.dead = true;
  locks_.mark_dead(task.id);
}

// --- conditions and iterators -----------------------------------------------------------------------------------

bool ControlInterpreter::condition(const Frame& frame, const std::vector<ConditionTerm>& when) const {
  return std::all_of(when.begin(), when.end(),
                     [&](const ConditionTerm& term) { return holds(frame, term.name) != term.negated; });
}

bool ControlInterpreter::holds(const Frame& frame, const std::string& name) const {
  const OpContext& ctx = frame.ctx;
  const MdevState* mdev = ctx.mdev >= 0 ? &state_.mdevs[static_cast<std::size_t>(ctx.mdev)] : nullptr;
  const bool apmask = ctx.action != nullptr && ctx.action->op == "apmask_store";
  if (name == "reserves_new") {
    if (!ctx.new_masks)
      return false;
    return apmask ? !(ctx.new_masks->apmask - ctx.old_masks.apmask).empty()
                  : !(ctx.new_masks->aqmask - ctx.old_masks.aqmask).empty();
  }
  if (name == "mask_changed")
    return ctx.new_masks &&
           (ctx.new_masks->apmask != ctx.old_masks.apmask || ctx.new_masks->aqmask != ctx.old_masks.aqmask);
  if (name == "binding_stale") {
    if (!ctx.has_queue() || !state_.host.device_exists(ctx.adapter, ctx.domain))
      return false;
    // __ap_revise_reserved: devres (ap_perms) against drvres (the bound driver is a default driver).
    return ctx.reserved != (state_.host.driver(ctx.adapter, ctx.domain) == QueueDriver::host);
  }
  if (name == "driver_vfio")
    return ctx.has_queue() && state_.host.bound_to_vfio(ctx.adapter, ctx.domain);
  if (name == "apcb_changed")
    return ctx.apcb_changed;
  if (name == "guest_attached")
    return mdev != nullptr && mdev->guest >= 0;
  if (name == "add_pending")
    return mdev != nullptr && (!mdev->apm_add.empty() || !mdev->aqm_add.empty());
  if (name == "has_additions")
    return mdev != nullptr && (!mdev->apm_add.empty() || !mdev->aqm_add.empty() || !mdev->adm_add.empty());
  if (name == "queue_linked") {
    auto it = state_.queues.find({ctx.adapter, ctx.domain});
    return ctx.has_queue() && it != state_.queues.end() && it->second.link >= 0;
  }
  if (name == "queue_in_shadow")
    return mdev != nullptr && ctx.has_queue() && mdev->shadow.adapters.contains(ctx.adapter) &&
           mdev->shadow.domains.contains(ctx.domain);
  if (name == "queue_in_host_config")
    return ctx.has_queue() && state_.host.vfio_info().adapters.contains(ctx.adapter) &&
           state_.host.vfio_info().domains.contains(ctx.domain);
  if (name == "config_changed")
    return ctx.scan.changed;
  if (name == "config_removed")
    return !ctx.scan.removed_adapters.empty() || !ctx.scan.removed_domains.empty();
  if (name == "waited")
    return ctx.waited;
  throw std::logic_error("ControlInterpreter: condition '" + name + "' has no mechanism");
}

std::vector<std::pair<int, int>> ControlInterpreter::items_of(const Frame& frame, const std::string& iterator) const {
  std::vector<std::pair<int, int>> items;
  if (iterator == "mdev") {
    // list_add() puts a new mdev at the head of matrix_dev->mdev_list: the newest comes first.
    for (std::size_t m = state_.mdevs.size(); m-- > 0;)
      if (!state_.mdevs[m].removed)
        items.emplace_back(static_cast<int>(m), -1);
  } else if (iterator == "queue_device") {
    items = state_.host.devices();
  } else if (iterator == "departed_device") {
    items = frame.ctx.scan.departed;
  } else if (iterator == "new_device") {
    items = frame.ctx.scan.fresh;
  } else {
    throw std::logic_error("ControlInterpreter: iterator '" + iterator + "' has no mechanism");
  }
  return items;
}

void ControlInterpreter::enter_item(Frame& frame, Cursor& cursor) {
  const auto [first, second] = cursor.items[cursor.item];
  OpContext& ctx = frame.ctx;
  if (cursor.loop->target == "mdev") {
    ctx.mdev = first;
    ctx.apcb_changed = false;
    ctx.apm_filtered = IdSet{};
  } else {
    ctx.adapter = first;
    ctx.domain = second;
    ctx.mdev = -1;
    ctx.departing = cursor.loop->target == "departed_device";
  }
}

// --- resets -----------------------------------------------------------------------------------------------------

void ControlInterpreter::start_reset(Frame& frame, const Step& step, std::vector<std::pair<int, int>> queues) {
  if (queues.empty())
    return;
  ResetJob job;
  job.queues = std::move(queues);
  job.retries_left = strategy_.reset().zapq_retries;
  job.step = &step;
  note(frame, "reset", std::to_string(job.queues.size()) + " queues", step.where);
  frame.reset = std::move(job);
}

std::optional<Yield> ControlInterpreter::run_reset(Frame& frame) {
  ResetJob& job = *frame.reset;
  const double interval = scenario_.control.reset_poll; // AP_RESET_INTERVAL
  const std::string& where = job.step->where;
  auto sleep = [&] { return Yield{YieldKind::sleep, interval, {}}; };

  if (strategy_.reset().kind == ResetMechanism::Kind::overlapped) {
    // 6.6+ vfio_ap_mdev_reset_qlist(): ZAPQ every queue, each verified by apq_reset_check() on system_long_wq
    // (msleep(AP_RESET_INTERVAL), TAPQ, until done, no cap); flush_work() waits for each. The work items all
    // start at the ZAPQ, so they poll on one grid and the caller waits for the last.
    if (job.phase == ResetJob::Phase::zapq) {
      job.rezap.assign(job.queues.size(), false);
      for (std::size_t i = 0; i < job.queues.size(); ++i) {
        const auto [a, d] = job.queues[i];
        QueueControl& q = state_.queue(a, d);
        q.irq = false;
        if (!state_.host.hw_queue(a, d)) {
          // AP_RESPONSE_DECONFIGURED: the queues of a deconfigured adapter are reset; reset_status := 0.
          note(frame, "zapq", apqn_name(a, d) + " -> deconfigured", where);
          q.reset_failed = false;
          continue;
        }
        if (env_.resetting(a, d)) {
          note(frame, "zapq", apqn_name(a, d) + " -> reset in progress", where);
          job.rezap[i] = true;
        } else {
          note(frame, "zapq", apqn_name(a, d), where);
          env_.zapq(a, d);
        }
        q.reset_failed = false;
        job.pending.push_back(static_cast<int>(i));
      }
      job.phase = ResetJob::Phase::poll;
      if (job.pending.empty()) {
        frame.reset.reset();
        return std::nullopt;
      }
      return sleep();
    }
    std::vector<int> still;
    for (int i : job.pending) {
      const auto [a, d] = job.queues[static_cast<std::size_t>(i)];
      if (env_.resetting(a, d)) {
        still.push_back(i); // -EBUSY: pr_notice_ratelimited, poll on
      } else if (job.rezap[static_cast<std::size_t>(i)]) {
        note(frame, "zapq", apqn_name(a, d) + " (again: the first found a reset in progress)", where);
        env_.zapq(a, d);
        job.rezap[static_cast<std::size_t>(i)] = false;
        still.push_back(i);
      }
    }
    job.pending = std::move(still);
    if (job.pending.empty()) {
      frame.reset.reset();
      return std::nullopt;
    }
    return sleep();
  }

  // 2020..6.5 vfio_ap_mdev_reset_queue(q, retry = zapq_retries), queue after queue, the caller waiting throughout.
  auto next_queue = [&] {
    ++job.index;
    job.phase = ResetJob::Phase::zapq;
    job.retries_left = strategy_.reset().zapq_retries;
  };
  auto warn = [&](const std::string& apqn) {
    // WARN_ONCE(retry2 <= 0, "unable to verify reset of queue ..."): note that it also fires when the check
    // succeeds on its last round.
    ++warnings_;
    note(frame, "warn", "unable to verify reset of queue " + apqn, where);
  };
  for (;;) {
    if (job.index >= job.queues.size()) {
      frame.reset.reset();
      return std::nullopt;
    }
    const auto [a, d] = job.queues[job.index];
    QueueControl& q = state_.queue(a, d);
    switch (job.phase) {
    case ResetJob::Phase::zapq:
      if (!state_.host.hw_queue(a, d)) {
        // AP_RESPONSE_Q_NOT_AVAIL / DECONFIGURED: -EBUSY, no wait; q->reset_rc keeps the response code.
        note(frame, "zapq", apqn_name(a, d) + " -> not available", where);
        q.reset_failed = true;
        q.irq = false;
        next_queue();
        continue;
      }
      if (env_.resetting(a, d)) {
        note(frame, "zapq", apqn_name(a, d) + " -> reset in progress", where);
        if (job.retries_left > 0) {
          --job.retries_left;
          return sleep(); // msleep(20); goto retry_zapq
        }
        q.reset_failed = true; // -EBUSY, q->reset_rc = RESET_IN_PROGRESS; the wait below still runs
        job.status_ok = false;
      } else {
        // The status ZAPQ returns: the queue empty and interrupts off only if they were so before.
        job.status_ok = !q.irq && env_.queue_empty(a, d);
        note(frame, "zapq", apqn_name(a, d), where);
        env_.zapq(a, d);
        q.reset_failed = false;
      }
      q.irq = false;
      job.checks_left = strategy_.reset().checks;
      job.phase = ResetJob::Phase::check;
      continue;
    case ResetJob::Phase::check:
      if (job.checks_left == 0) {
        warn(apqn_name(a, d));
        next_queue();
        continue;
      }
      --job.checks_left;
      if (job.status_ok) {
        if (job.checks_left == 0)
          warn(apqn_name(a, d));
        next_queue();
        continue;
      }
      job.phase = ResetJob::Phase::tapq;
      return sleep();
    case ResetJob::Phase::tapq:
      job.status_ok = !env_.resetting(a, d); // TAPQ: once the reset is done the queue is empty, interrupts off
      job.phase = ResetJob::Phase::check;
      continue;
    case ResetJob::Phase::poll:
      break;
    }
  }
}

// --- results ----------------------------------------------------------------------------------------------------

void ControlInterpreter::record_attempt(const Frame& frame, const std::string& error) {
  OpFigures& figures = ops_[frame.ctx.op];
  ++figures.attempts;
  if (error.empty())
    ++figures.successes;
  else
    ++figures.errors[error];
  if (error == "EBUSY") {
    ++figures.ebusy;
    const OpContext& ctx = frame.ctx;
    if (ctx.op == "apmask_store" || ctx.op == "aqmask_store") {
      // Reserving or giving back, as apmask_commit() tells them apart.
      HostMasks old_masks = ctx.new_masks ? ctx.old_masks : state_.host.masks();
      const IdSet& before = ctx.op == "apmask_store" ? old_masks.apmask : old_masks.aqmask;
      IdSet after = before;
      if (ctx.new_masks)
        after = ctx.op == "apmask_store" ? ctx.new_masks->apmask : ctx.new_masks->aqmask;
      else if (ctx.action != nullptr)
        after = ctx.action->mask.apply(before);
      if ((after - before).empty())
        ++figures.ebusy_giving_back;
      else
        ++figures.ebusy_reserving;
    }
  }
  figures.latency.record(now_ - frame.start);
}

void ControlInterpreter::note(const Frame& frame, const std::string& what, const std::string& detail,
                              const std::string& where) const {
  if (trace_)
    trace_(ControlEvent{now_, frame.ctx.actor, frame.ctx.op, what, detail, where});
}

} // namespace apq
