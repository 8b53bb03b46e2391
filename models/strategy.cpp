#include "models/strategy.hpp"
#include "models/suggest.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

namespace apq {
namespace {

// ---- vocabulary ------------------------------------------------------------------------------------------------
// Kernel names are those of drivers/s390/crypto/{ap_bus.c,vfio_ap_ops.c} and arch/s390/kvm/priv.c; models/README.md
// lists which kernel version has which.

struct Entry {
  const char* name;
  const char* description;
};

constexpr Entry kMutexes[] = {
    {"ap_perms", "mutex ap_perms_mutex (ap_bus.c): the host's apmask/aqmask"},
    {"ap_scan", "mutex ap_scan_bus_mutex (ap_bus.c, commit eacf5b3651c5, 2024): one AP bus scan at a time; older "
                "kernels serialized scans through their single scan work item, which a strategy writes the same way"},
    {"matrix", "mutex matrix_dev->lock (vfio_ap up to 5.19): all vfio_ap state"},
    {"guests", "mutex matrix_dev->guests_lock (6.0+): use of matrix_mdev->kvm, the mdev list"},
    {"mdevs", "mutex matrix_dev->mdevs_lock (6.0+): every matrix_mdev field"},
    {"kvm", "mutex kvm->lock of the op's guest, needed to update its APCB (skipped when the op has no guest)"},
};
constexpr Entry kRwsems[] = {
    {"pqap_hook", "rw_semaphore kvm->arch.crypto.pqap_hook_rwsem of the op's guest: read by the vCPU's PQAP "
                  "intercept, written when the hook is set or cleared (skipped when the op has no guest)"},
};
constexpr const char* kGuestLocks[] = {"kvm", "pqap_hook"};

constexpr Entry kOps[] = {
    {"apmask_store", "write to /sys/bus/ap/apmask (apmask_store); the operation carries the requested change"},
    {"aqmask_store", "write to /sys/bus/ap/aqmask (aqmask_store); the operation carries the requested change"},
    {"in_use", "vfio_ap's in_use callback (vfio_ap_mdev_resource_in_use), called by apmask_commit/aqmask_commit"},
    {"revise_bindings", "ap_bus_revise_bindings after a mask store: each queue device whose driver no longer fits "
                        "ap_perms is reprobed"},
    {"device_probe", "ap_device_probe of one queue device (bus probe, reprobe, sysfs bind): tests ap_perms and binds "
                     "the default driver or vfio_ap"},
    {"device_release", "device_release_driver of one queue device (reprobe, card gone, sysfs unbind)"},
    {"assign_adapter", "mdev sysfs assign_adapter (assign_adapter_store)"},
    {"unassign_adapter", "mdev sysfs unassign_adapter (unassign_adapter_store)"},
    {"assign_domain", "mdev sysfs assign_domain (assign_domain_store)"},
    {"unassign_domain", "mdev sysfs unassign_domain (unassign_domain_store)"},
    {"assign_control_domain", "mdev sysfs assign_control_domain (assign_control_domain_store)"},
    {"unassign_control_domain", "mdev sysfs unassign_control_domain (unassign_control_domain_store)"},
    {"mdev_remove", "removing the mdev (vfio_ap_mdev_remove)"},
    {"sysfs_show", "reading an mdev's matrix, guest_matrix or control_domains, or a queue's status"},
    {"probe_queue", "vfio_ap's probe callback for one queue (vfio_ap_mdev_probe_queue)"},
    {"remove_queue", "vfio_ap's remove callback for one queue (vfio_ap_mdev_remove_queue)"},
    {"pqap_aqic", "a guest vCPU's PQAP(AQIC) intercept for one queue (priv.c handle_pqap -> vfio_ap handle_pqap)"},
    {"set_kvm", "guest start: the mdev gets its guest (vfio_ap_mdev_set_kvm, from open_device)"},
    {"unset_kvm", "guest stop: the mdev loses its guest (vfio_ap_mdev_unset_kvm, from close_device)"},
    {"vfio_reset", "VFIO_DEVICE_RESET ioctl (vfio_ap_mdev_ioctl)"},
    {"dma_unmap", "QEMU unmaps guest memory (vfio_ap_mdev_dma_unmap): interrupts of queues whose NIB is in it go"},
    {"scan_bus", "one AP bus scan (ap_scan_bus): QCI, config-change callbacks, queue devices gone and new"},
    {"periodic_scan", "the AP bus's periodic scan (ap_scan_bus_wq_callback, every config_time)"},
    {"force_rescan", "a synchronous AP bus rescan (ap_bus_force_rescan), e.g. on an AP configuration change event"},
    {"config_changed", "vfio_ap's on_config_changed callback (vfio_ap_on_cfg_changed): the host's QCI changed"},
    {"scan_complete", "vfio_ap's on_scan_complete callback (vfio_ap_on_scan_complete)"},
};

constexpr Entry kEffects[] = {
    {"parse_mask", "ap_parse_bitmap_str(): the store's new mask, relative to ap_perms as it is now"},
    {"check_in_use", "vfio_ap_mdev_verify_no_sharing(NULL, ...): fails (EADDRINUSE) if an APQN the store newly "
                     "reserves is assigned to an mdev, whether or not its queue exists or is bound"},
    {"commit_masks", "ap_perms := the new mask; the queue devices keep their driver until revise_bindings"},
    {"read_reservation", "reads whether ap_perms reserves the op's queue device for the default driver (under "
                         "ap_perms_mutex in __ap_revise_reserved and ap_device_probe)"},
    {"bind_driver", "ap_device_probe(): binds the op's queue device to the default driver (cex4queue) if the "
                    "reservation read says so, else to vfio_ap; a sysfs bind to the other driver fails (ENODEV)"},
    {"unbind_driver", "the op's queue device loses its driver; the stolen-queue monitor reports a queue that leaves "
                      "vfio_ap this way while an mdev has it assigned and the device stays"},
    {"check_host_ownership", "ap_apqn_in_matrix_owned_by_def_drv(): fails (EADDRNOTAVAIL) if an APQN of the mdev's "
                             "matrix with the new id is reserved by ap_perms"},
    {"check_bound", "v12 07/17 vfio_ap_mdev_verify_queues_reserved_for_apid(): fails (EADDRNOTAVAIL) if a queue the "
                    "assignment adds is not bound to vfio_ap, a queue that does not exist included"},
    {"check_sharing", "vfio_ap_mdev_verify_no_sharing(): fails (EADDRINUSE) if an APQN the assignment adds is "
                      "assigned to another mdev"},
    {"assign", "sets the op's id in the mdev's matrix and links the queues bound to vfio_ap "
               "(vfio_ap_mdev_link_adapter/domain); an id already assigned changes nothing"},
    {"unassign", "clears the op's id, unlinks its queues and takes them out of the shadow APCB "
                 "(vfio_ap_mdev_hot_unplug_adapter/domain); those that were in it are to be reset"},
    {"filter_matrix", "vfio_ap_mdev_filter_matrix(): shadow APCB := the matrix within vfio_ap's view of the AP "
                      "configuration, without any adapter with a queue that is not linked or failed its last reset"},
    {"filter_cdoms", "vfio_ap_mdev_filter_cdoms(): shadow control domains := the matrix's within the configuration"},
    {"set_masks", "kvm_arch_crypto_set_masks(): the guest's CRYCB := the shadow APCB (hot plug and unplug); nothing "
                  "without a guest"},
    {"clear_masks", "kvm_arch_crypto_clear_masks(): the guest's CRYCB is emptied"},
    {"link_queue", "vfio_ap_mdev_probe_queue(): links the op's queue to the mdev that has it assigned"},
    {"unlink_queue", "vfio_ap_mdev_remove_queue(): unlinks the op's queue from its mdev"},
    {"drop_queue_apid", "vfio_ap_mdev_remove_queue(): the queue's adapter leaves the shadow APCB (the architecture "
                        "cannot take a single APQN away)"},
    {"reset_queue", "vfio_ap_mdev_reset_queue() of the op's queue, with the strategy's reset mechanism"},
    {"reset_apid", "reset_queues_for_apid(): the shadow's queues of the op's queue's adapter"},
    {"reset_filtered", "reset_queues_for_apids(): the queues of the adapters the last filter took away"},
    {"reset_unplugged", "vfio_ap_mdev_reset_qlist() of the queues the last unassign took out of the shadow"},
    {"reset_mdev", "vfio_ap_mdev_reset_queues(): every queue linked to the mdev"},
    {"check_hook", "fails (EPERM) if another mdev already serves the guest (its PQAP hook is set)"},
    {"set_hook", "kvm->arch.crypto.pqap_hook := the mdev's handle_pqap"},
    {"clear_hook", "kvm->arch.crypto.pqap_hook := NULL"},
    {"attach_kvm", "matrix_mdev->kvm := the guest being started; the guest boots and scans its AP bus"},
    {"detach_kvm", "matrix_mdev->kvm := NULL (the VM stopped before QEMU closed the device, or lost the device)"},
    {"enable_irq", "vfio_ap handle_pqap() -> vfio_ap_irq_enable() for the vCPU's queue: pins the NIB, registers "
                   "the GISC, AQIC (nothing if the hook is unset, the mdev has no guest or the queue is not linked)"},
    {"disable_irq", "unmap_iova() -> vfio_ap_irq_disable(): AQIC ir=0 for the mdev's queues with interrupts"},
    {"read_config", "ap_scan_bus(): QCI; notes what changed since the previous scan"},
    {"cfg_remove", "vfio_ap_mdev_hot_unplug_cfg() for the iterated mdev: its shadow loses what the host lost"},
    {"cfg_add", "vfio_ap_mdev_cfg_add(): each mdev records what the host gained (apm_add, aqm_add, adm_add)"},
    {"update_info", "matrix_dev->info := the new QCI: vfio_ap's view of the AP configuration"},
    {"hot_plug_cfg", "vfio_ap_mdev_hot_plug_cfg() for the iterated mdev: filters its matrix again after additions"},
    {"clear_additions", "the iterated mdev's apm_add, aqm_add, adm_add are cleared"},
    {"unregister_device", "ap_scan_rm_card_dev_and_queue_devs(): the iterated queue device is gone"},
    {"register_device", "ap_scan_domains(): the iterated queue device exists (its probe follows)"},
    {"commit_config", "the AP bus keeps the new QCI as the one to compare the next scan with"},
    {"remove_mdev", "list_del(): the mdev is gone; its assignments with it"},
};

constexpr Entry kConditions[] = {
    {"reserves_new", "the parsed mask reserves ids the current one does not (apmask_commit/aqmask_commit: "
                     "bitmap_andnot(new, old) non-empty): only then is in_use called"},
    {"mask_changed", "the parsed mask differs from the current one (apmask_store: only then the reprobe)"},
    {"binding_stale", "the reservation just read and the device's driver disagree (__ap_revise_reserved)"},
    {"driver_vfio", "the op's queue device is bound to vfio_ap"},
    {"apcb_changed", "the last filter, unassign or drop changed the mdev's shadow APCB"},
    {"guest_attached", "the op's mdev has a guest (matrix_mdev->kvm)"},
    {"add_pending", "the op's mdev has adapters or domains added to the host configuration pending (apm_add, aqm_add)"},
    {"queue_linked", "the op's queue is linked to an mdev (q->matrix_mdev)"},
    {"queue_in_shadow", "the op's queue is in its mdev's shadow APCB"},
    {"queue_in_host_config", "the op's queue is in vfio_ap's view of the AP configuration (matrix_dev->info)"},
    {"config_changed", "the scan's QCI differs from the previous one"},
    {"config_removed", "the scan's QCI lost adapters, domains or control domains"},
    {"has_additions", "the op's mdev has apm_add, aqm_add or adm_add set"},
    {"waited", "the op's last lock step found the lock taken and waited for it"},
};

constexpr Entry kIterators[] = {
    {"mdev", "the mdev list, newest first (list_add puts a new mdev at the head)"},
    {"queue_device", "every queue device on the AP bus, in APQN order (bus_for_each_dev)"},
    {"departed_device", "the queue devices whose adapter or domain the scan found gone"},
    {"new_device", "the queues whose adapter or domain the scan found new"},
};

constexpr const char* kErrnos[] = {"EBUSY",         "EAGAIN", "EINVAL", "ENODEV",      "EADDRINUSE",
                                   "EADDRNOTAVAIL", "EIO",    "EPERM",  "ERESTARTSYS", "EOPNOTSUPP"};

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool is_rwsem(std::string_view lock) {
  return contains(strategy_vocabulary().rwsems, lock);
}

// ---- parsing steps ---------------------------------------------------------------------------------------------

struct KindKey {
  const char* key;
  StepKind kind;
  StepMode mode;
};

constexpr KindKey kKindKeys[] = {
    {"lock", StepKind::lock, StepMode::write},       {"trylock", StepKind::trylock, StepMode::write},
    {"unlock", StepKind::unlock, StepMode::write},   {"down_read", StepKind::lock, StepMode::read},
    {"down_write", StepKind::lock, StepMode::write}, {"up_read", StepKind::unlock, StepMode::read},
    {"up_write", StepKind::unlock, StepMode::write}, {"work", StepKind::work, StepMode::write},
    {"call", StepKind::call, StepMode::write},       {"effect", StepKind::effect, StepMode::write},
    {"each", StepKind::each, StepMode::write},
};

constexpr std::string_view kStepShapes =
    "{ lock = LOCK }, { trylock = LOCK, busy = ERRNO|\"skip\" }, { unlock = LOCK }, { down_read = RWSEM }, "
    "{ down_write = RWSEM }, { up_read = RWSEM }, { up_write = RWSEM }, { work = DURATION }, "
    "{ call = OP, errno = ERRNO }, { effect = EFFECT, errno = ERRNO }, { if = CONDITION, steps = [...] }, "
    "{ each = ITERATOR, steps = [...] }; any step may carry if = CONDITION except lock steps";

const char* const kExtraKeys[] = {"busy", "errno", "if", "steps", "no_guest"};

// A name from one of the vocabulary's lists, failing located at the value with the valid names.
std::string vocabulary_name(const ConfigNode& node, std::string_view key, const std::vector<std::string>& valid,
                            std::string_view what) {
  std::string name = node.string(key);
  if (!contains(valid, name))
    node.fail(key, unknown_name_message(what, name, valid));
  return name;
}

std::vector<ConditionTerm> parse_condition(const ConfigNode& node) {
  const toml::node* raw = node.raw("if");
  std::vector<std::string> texts;
  if (raw->is_array())
    texts = node.strings("if");
  else
    texts.push_back(node.string("if"));
  if (texts.empty())
    node.fail("if", "name at least one condition; valid: " + join(strategy_vocabulary().conditions));
  std::vector<ConditionTerm> terms;
  for (const std::string& text : texts) {
    ConditionTerm term;
    term.negated = !text.empty() && text.front() == '!';
    term.name = term.negated ? text.substr(1) : text;
    if (!contains(strategy_vocabulary().conditions, term.name))
      node.fail("if", unknown_name_message("condition", term.name, strategy_vocabulary().conditions) +
                          " (each may be negated with '!')");
    terms.push_back(std::move(term));
  }
  return terms;
}

std::vector<Step> parse_steps(const ConfigNode& node, std::string_view key);

Step parse_step(const ConfigNode& node) {
  const StrategyVocabulary& vocabulary = strategy_vocabulary();
  Step step;
  step.where = node.where();
  std::string kind;
  for (const std::string& key : node.keys()) {
    auto named =
        std::find_if(std::begin(kKindKeys), std::end(kKindKeys), [&](const KindKey& k) { return key == k.key; });
    if (named != std::end(kKindKeys)) {
      if (!kind.empty())
        node.fail(key, "a step does one thing, this one has both '" + kind + "' and '" + key + "'; write two steps");
      kind = key;
      step.kind = named->kind;
      step.mode = named->mode;
    } else if (std::find(std::begin(kExtraKeys), std::end(kExtraKeys), key) == std::end(kExtraKeys)) {
      node.fail(key, "unknown key '" + key + "' in a step; a step is one of " + std::string(kStepShapes));
    }
  }
  if (kind.empty() && node.has("steps")) {
    if (!node.has("if"))
      node.fail("steps", "a group of steps needs a condition: { if = CONDITION, steps = [...] }, or iterate: "
                         "{ each = ITERATOR, steps = [...] }");
    step.kind = StepKind::group;
    kind = "if";
  }
  if (kind.empty())
    node.fail("a step needs one of lock, trylock, unlock, down_read, down_write, up_read, up_write, work, call, "
              "effect, each, or if with steps: " +
              std::string(kStepShapes));

  const bool lock_step = step.kind == StepKind::lock || step.kind == StepKind::trylock || step.kind == StepKind::unlock;
  if (node.has("busy") && step.kind != StepKind::trylock)
    node.fail("busy", "'busy' (what a trylock that finds its lock taken returns) only goes with trylock");
  if (node.has("errno") && step.kind != StepKind::effect && step.kind != StepKind::call)
    node.fail("errno", "'errno' (the errno of a failing effect or callee) only goes with effect or call");
  if (node.has("steps") && step.kind != StepKind::group && step.kind != StepKind::each)
    node.fail("steps", "'steps' only goes with a group ({ if = ..., steps = [...] }) or each");
  if (node.has("no_guest") && !(lock_step && step.kind != StepKind::unlock))
    node.fail("no_guest", "'no_guest' only goes with a lock step of kvm or pqap_hook");
  if (node.has("if")) {
    if (lock_step)
      node.fail("if", "a lock step cannot be conditional on its own (its unlock would not match); put the lock, the "
                      "steps it protects and its unlock in a group: { if = CONDITION, steps = [...] }");
    step.when = parse_condition(node);
  }

  switch (step.kind) {
  case StepKind::lock:
  case StepKind::trylock:
  case StepKind::unlock: {
    step.target = vocabulary_name(node, kind, vocabulary.locks, "lock");
    const bool rwsem_key = kind.starts_with("down") || kind.starts_with("up");
    if (is_rwsem(step.target) && !rwsem_key)
      node.fail(kind, "'" + step.target +
                          "' is a rw_semaphore: take it with down_read or down_write, release it "
                          "with up_read or up_write");
    if (!is_rwsem(step.target) && rwsem_key)
      node.fail(kind, "'" + step.target + "' is a mutex: take it with lock or trylock, release it with unlock");
    if (step.kind == StepKind::trylock) {
      // mutex_trylock() failures return whatever the caller chose; the 2020 series chose -EBUSY. "skip" is the
      // kernel's `if (mutex_trylock(...)) { ... }` with nothing else: the operation ends, successfully.
      step.error = "EBUSY";
      if (node.has("busy")) {
        step.error = node.string("busy");
        if (step.error != "skip" && !contains(vocabulary.errnos, step.error)) {
          std::vector<std::string> valid = {"skip"};
          valid.insert(valid.end(), vocabulary.errnos.begin(), vocabulary.errnos.end());
          node.fail("busy", unknown_name_message("errno", step.error, valid));
        }
      }
    }
    if (node.has("no_guest")) {
      const std::string mode = node.string("no_guest");
      if (mode != "skip" && mode != "oops")
        node.fail("no_guest", "expected \"skip\" (the kernel's if (matrix_mdev->kvm)) or \"oops\" (no NULL check)");
      if (!contains(vocabulary.guest_locks, step.target))
        node.fail("no_guest", "'" + step.target + "' is not a lock of the operation's guest; no_guest only goes with " +
                                  join(vocabulary.guest_locks));
      step.oops_without_guest = mode == "oops";
    }
    break;
  }
  case StepKind::call:
    step.target = vocabulary_name(node, kind, vocabulary.ops, "operation");
    if (node.has("errno"))
      step.error = vocabulary_name(node, "errno", vocabulary.errnos, "errno");
    break;
  case StepKind::effect:
    step.target = vocabulary_name(node, kind, vocabulary.effects, "effect");
    if (node.has("errno"))
      step.error = vocabulary_name(node, "errno", vocabulary.errnos, "errno");
    break;
  case StepKind::work:
    if (node.raw("work")->is_table())
      step.work = make_distribution(node.table("work"));
    else
      step.work = deterministic_distribution(node.duration("work"));
    break;
  case StepKind::each:
    step.target = vocabulary_name(node, kind, vocabulary.iterators, "iterator");
    if (!node.has("steps"))
      node.fail("each", "'each' needs the steps to run per item: { each = ITERATOR, steps = [...] }");
    step.body = parse_steps(node, "steps");
    break;
  case StepKind::group:
    step.body = parse_steps(node, "steps");
    break;
  }
  return step;
}

std::vector<Step> parse_steps(const ConfigNode& node, std::string_view key) {
  std::vector<Step> steps;
  for (const ConfigNode& child : node.tables(key))
    steps.push_back(parse_step(child));
  return steps;
}

// ---- checks within an operation --------------------------------------------------------------------------------

struct Held {
  std::string lock;
  StepMode mode;
  std::string where;
};

std::string unlock_key(const Held& held) {
  if (held.mode == StepMode::read)
    return "up_read";
  return is_rwsem(held.lock) ? "up_write" : "unlock";
}

// Lock tracking in step order, within one operation; a group or loop must leave held what it found held.
void check_locking(const OpSteps& op, const std::vector<Step>& steps, std::vector<Held>& held) {
  auto find = [&](const std::string& lock) {
    return std::find_if(held.begin(), held.end(), [&](const Held& h) { return h.lock == lock; });
  };
  for (const Step& step : steps) {
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock) {
      if (auto it = find(step.target); it != held.end())
        throw ConfigError(step.where, "ops." + op.name + ": " + std::string(step_key(step)) + " of '" + step.target +
                                          "', which this operation already holds (taken at " + it->where +
                                          "): the kernel would deadlock on itself");
      held.push_back({step.target, step.mode, step.where});
    } else if (step.kind == StepKind::unlock) {
      auto it = find(step.target);
      if (it == held.end())
        throw ConfigError(step.where, "ops." + op.name + ": " + std::string(step_key(step)) + " of '" + step.target +
                                          "', which this operation does not hold at this point");
      if (it->mode != step.mode)
        throw ConfigError(step.where, "ops." + op.name + ": " + std::string(step_key(step)) + " of '" + step.target +
                                          "', taken with " +
                                          std::string(it->mode == StepMode::read ? "down_read" : "a write lock") +
                                          " at " + it->where);
      held.erase(it);
    } else if (step.kind == StepKind::group || step.kind == StepKind::each) {
      std::vector<Held> inner = held;
      check_locking(op, step.body, inner);
      std::vector<std::string> before, after;
      for (const Held& h : held)
        before.push_back(h.lock);
      for (const Held& h : inner)
        after.push_back(h.lock);
      std::sort(before.begin(), before.end());
      std::sort(after.begin(), after.end());
      if (before != after) {
        std::string taken, released;
        for (const std::string& lock : after)
          if (!std::binary_search(before.begin(), before.end(), lock))
            taken += (taken.empty() ? "" : ", ") + lock;
        for (const std::string& lock : before)
          if (!std::binary_search(after.begin(), after.end(), lock))
            released += (released.empty() ? "" : ", ") + lock;
        throw ConfigError(step.where, "ops." + op.name +
                                          ": a group or loop must release what it takes and keep what it"
                                          " finds held" +
                                          (taken.empty() ? "" : "; it still holds " + taken + " at its end") +
                                          (released.empty() ? "" : "; it releases " + released));
      }
    }
  }
}

void check_locking(const OpSteps& op) {
  std::vector<Held> held;
  check_locking(op, op.steps, held);
  if (!held.empty())
    throw ConfigError(held.front().where, "ops." + op.name + ": '" + held.front().lock +
                                              "' is still held at the end of the operation; add { " +
                                              unlock_key(held.front()) + " = \"" + held.front().lock + "\" }");
}

// ---- checks across operations ----------------------------------------------------------------------------------

void for_each_step(const std::vector<Step>& steps, const std::function<void(const Step&)>& visit) {
  for (const Step& step : steps) {
    visit(step);
    for_each_step(step.body, visit);
  }
}

std::vector<const Step*> calls_of(const OpSteps& op) {
  std::vector<const Step*> calls;
  for_each_step(op.steps, [&](const Step& step) {
    if (step.kind == StepKind::call)
      calls.push_back(&step);
  });
  return calls;
}

// No operation may reach itself through calls: the kernel has no such recursion and the interpreter would not end.
void check_call_cycles(const std::map<std::string, OpSteps>& ops) {
  enum class Mark { none, active, done };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    mark[name] = Mark::active;
    path.push_back(name);
    for (const Step* call : calls_of(ops.at(name))) {
      if (mark[call->target] == Mark::active) {
        if (call->target == name)
          throw ConfigError(call->where, "ops." + name + ": the operation calls itself");
        auto start = std::find(path.begin(), path.end(), call->target);
        std::string cycle;
        for (auto it = start; it != path.end(); ++it)
          cycle += *it + " -> ";
        throw ConfigError(call->where, "ops." + name + ": call cycle " + cycle + call->target);
      }
      if (mark[call->target] == Mark::none)
        visit(call->target);
    }
    path.pop_back();
    mark[name] = Mark::done;
  };
  for (const auto& [name, op] : ops)
    if (mark[name] == Mark::none)
      visit(name);
}

// The locks an operation may take, itself or through what it calls, with where the first one is taken.
using LockSites = std::map<std::string, std::string>;

const LockSites& locks_taken(const std::map<std::string, OpSteps>& ops, const std::string& name,
                             std::map<std::string, LockSites>& memo) {
  if (auto it = memo.find(name); it != memo.end())
    return it->second;
  LockSites sites;
  std::vector<std::string> callees;
  for_each_step(ops.at(name).steps, [&](const Step& step) {
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
      sites.emplace(step.target, step.where);
    if (step.kind == StepKind::call)
      callees.push_back(step.target);
  });
  for (const std::string& callee : callees)
    for (const auto& [lock, where] : locks_taken(ops, callee, memo))
      sites.emplace(lock, where);
  return memo[name] = std::move(sites);
}

// A call made while holding a lock the callee may take is a self-deadlock, as a recursive lock is. The check works on
// lock classes, as lockdep does (two guests' kvm->lock count as one), and on every path (conditions may hold).
void check_calls_under_locks(const std::map<std::string, OpSteps>& ops) {
  std::map<std::string, LockSites> memo;
  std::function<void(const std::string&, const std::vector<Step>&, std::vector<std::string>&)> walk =
      [&](const std::string& name, const std::vector<Step>& steps, std::vector<std::string>& held) {
        for (const Step& step : steps) {
          if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
            held.push_back(step.target);
          if (step.kind == StepKind::unlock)
            held.erase(std::find(held.begin(), held.end(), step.target));
          if (step.kind == StepKind::group || step.kind == StepKind::each) {
            std::vector<std::string> inner = held;
            walk(name, step.body, inner);
          }
          if (step.kind != StepKind::call)
            continue;
          const LockSites& taken = locks_taken(ops, step.target, memo);
          for (const std::string& lock : held) {
            auto site = taken.find(lock);
            if (site == taken.end())
              continue;
            throw ConfigError(step.where, "ops." + name + ": calls " + step.target + " while holding '" + lock +
                                              "', which " + step.target + " (or an operation it calls) takes at " +
                                              site->second + ": a self-deadlock; release '" + lock + "' first");
          }
        }
      };
  for (const auto& [name, op] : ops) {
    std::vector<std::string> held;
    walk(name, op.steps, held);
  }
}

toml::table parse_document(std::string_view text, const std::string& file_name) {
  try {
    return toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    const toml::source_region& where = e.source();
    std::string location = where.path ? *where.path : file_name;
    if (where.begin.line > 0)
      location += ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
    throw ConfigError(location, std::string(e.description()));
  }
}

ResetMechanism parse_reset(const ConfigNode& table, ResetMechanism reset) {
  reset.where = table.where();
  if (table.has("mechanism")) {
    const std::string kind = table.string("mechanism");
    if (kind == "sequential")
      reset.kind = ResetMechanism::Kind::sequential;
    else if (kind == "overlapped")
      reset.kind = ResetMechanism::Kind::overlapped;
    else
      table.fail("mechanism", "unknown reset mechanism '" + kind +
                                  "'; valid: sequential (queue by queue, 2020..6.5), overlapped (ZAPQ all, then "
                                  "flush each, 6.6+)");
  }
  reset.zapq_retries = static_cast<int>(table.integer_or("zapq_retries", reset.zapq_retries));
  if (reset.zapq_retries < 0)
    table.fail("zapq_retries", "must be 0 or more");
  reset.checks = static_cast<int>(table.integer_or("checks", reset.checks));
  if (reset.checks < 1)
    table.fail("checks", "must be 1 or more");
  table.reject_unknown_keys();
  return reset;
}

/** The text of the built-in whose file says name = `name`, with its path; nullopt if none. Reads the embedded files
 *  directly: the registry itself is built by loading them, so it cannot serve an `extends` between built-ins. */
std::optional<detail::EmbeddedFile> builtin_text(std::string_view name) {
  for (const detail::EmbeddedFile& file : detail::embedded_strategy_files()) {
    const toml::table document = parse_document(file.text, std::string(file.path));
    if (auto value = document["name"].value<std::string>(); value && *value == name)
      return file;
  }
  return std::nullopt;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const detail::EmbeddedFile& file : detail::embedded_strategy_files())
    if (auto value = parse_document(file.text, std::string(file.path))["name"].value<std::string>())
      names.push_back(*value);
  return names;
}

constexpr int kMaxExtendsDepth = 8;

} // namespace

// ---- reading a file --------------------------------------------------------------------------------------------

class StrategyReader {
public:
  static Strategy read(std::string_view text, const std::string& file_name, int depth) {
    const StrategyVocabulary& vocabulary = strategy_vocabulary();
    const toml::table document = parse_document(text, file_name);
    ConfigNode root(document, "", file_name);

    Strategy strategy;
    bool extended = false;
    if (root.has("extends")) {
      if (depth >= kMaxExtendsDepth)
        root.fail("extends", "more than " + std::to_string(kMaxExtendsDepth) +
                                 " strategies extend one another here: is there a cycle?");
      strategy = parent(root, depth);
      strategy.extends_ = root.string("extends");
      extended = true;
    }
    strategy.source_file_ = file_name;
    strategy.name_ = root.string("name");
    if (strategy.name_.empty())
      root.fail("name", "must not be empty");
    if (extended) {
      strategy.description_ = root.string_or("description", strategy.description_);
      strategy.source_ = root.string_or("source", strategy.source_);
    } else {
      strategy.description_ = root.string("description");
      strategy.source_ = root.string_or("source", "");
    }
    strategy.cfg_change_signal_ = root.boolean_or("cfg_change_signal", strategy.cfg_change_signal_);
    if (!extended || root.has("reset"))
      strategy.reset_ = parse_reset(root.table("reset"), strategy.reset_);

    std::optional<ConfigNode> ops;
    if (!extended || root.has("ops"))
      ops = root.table("ops");
    root.reject_unknown_keys();
    if (ops) {
      for (const std::string& name : ops->keys()) {
        if (!contains(vocabulary.ops, name))
          ops->fail(name, unknown_name_message("operation", name, vocabulary.ops));
        ConfigNode op_node = ops->table(name);
        OpSteps op{name, parse_steps(op_node, "steps"), op_node.where()};
        op_node.reject_unknown_keys();
        check_locking(op);
        strategy.ops_[name] = std::move(op);
      }
      std::vector<std::string> missing;
      for (const std::string& name : vocabulary.ops)
        if (!strategy.ops_.count(name))
          missing.push_back(name);
      if (!missing.empty())
        ops->fail("missing operations: " + join(missing) +
                  " (a strategy defines every operation: copy them from a "
                  "built-in in configs/strategies/, or extend one)");
    }
    check_call_cycles(strategy.ops_);
    check_calls_under_locks(strategy.ops_);
    return strategy;
  }

private:
  static Strategy parent(const ConfigNode& root, int depth) {
    const std::string value = root.string("extends");
    const bool is_path =
        value.find('/') != std::string::npos || (value.size() >= 5 && value.compare(value.size() - 5, 5, ".toml") == 0);
    if (!is_path) {
      if (auto file = builtin_text(value))
        return read(file->text, std::string(file->path), depth + 1);
      root.fail("extends", unknown_name_message("built-in strategy", value, builtin_names()) +
                               "; or a strategy file (a path with '/' or ending in .toml)");
    }
    const std::filesystem::path file = root.path_value("extends");
    std::ifstream in(file, std::ios::binary);
    if (!in)
      root.fail("extends", "cannot read strategy file '" + file.string() + "'");
    std::stringstream text;
    text << in.rdbuf();
    return read(text.str(), file.string(), depth + 1);
  }
};

// ---- public ----------------------------------------------------------------------------------------------------

std::string_view step_key(const Step& step) {
  const bool read = step.mode == StepMode::read;
  const bool rwsem = is_rwsem(step.target);
  switch (step.kind) {
  case StepKind::lock:
    return read ? "down_read" : rwsem ? "down_write" : "lock";
  case StepKind::trylock:
    return "trylock";
  case StepKind::unlock:
    return read ? "up_read" : rwsem ? "up_write" : "unlock";
  case StepKind::work:
    return "work";
  case StepKind::call:
    return "call";
  case StepKind::effect:
    return "effect";
  case StepKind::group:
    return "if";
  case StepKind::each:
    return "each";
  }
  return "?";
}

std::string describe_step(const Step& step) {
  const std::string key(step_key(step));
  std::string condition;
  for (const ConditionTerm& term : step.when)
    condition += (condition.empty() ? "" : " and ") + std::string(term.negated ? "!" : "") + term.name;
  std::string text;
  switch (step.kind) {
  case StepKind::work:
    text = key + " " + (step.work ? step.work->describe() : "?");
    break;
  case StepKind::group:
    return "if " + condition + ": " + std::to_string(step.body.size()) + " steps";
  case StepKind::each:
    text = "each " + step.target + ": " + std::to_string(step.body.size()) + " steps";
    break;
  default:
    text = key + " " + step.target;
  }
  if (step.kind == StepKind::trylock)
    text += " (busy " + step.error + ")";
  if ((step.kind == StepKind::effect || step.kind == StepKind::call) && !step.error.empty())
    text += " (errno " + step.error + ")";
  if (step.oops_without_guest)
    text += " (no_guest oops)";
  if (!condition.empty())
    text += " if " + condition;
  return text;
}

const StrategyVocabulary& strategy_vocabulary() {
  static const StrategyVocabulary vocabulary = [] {
    StrategyVocabulary v;
    auto add = [&](std::vector<std::string>& names, const auto& entries) {
      for (const Entry& entry : entries) {
        names.emplace_back(entry.name);
        v.descriptions.emplace(entry.name, entry.description);
      }
    };
    add(v.locks, kMutexes);
    add(v.locks, kRwsems);
    for (const Entry& entry : kRwsems)
      v.rwsems.emplace_back(entry.name);
    for (const char* name : kGuestLocks)
      v.guest_locks.emplace_back(name);
    add(v.ops, kOps);
    add(v.effects, kEffects);
    add(v.conditions, kConditions);
    add(v.iterators, kIterators);
    for (const char* name : kErrnos)
      v.errnos.emplace_back(name);
    return v;
  }();
  return vocabulary;
}

const OpSteps& Strategy::op(std::string_view name) const {
  auto it = ops_.find(std::string(name));
  if (it == ops_.end())
    throw std::invalid_argument("Strategy::op(): unknown operation '" + std::string(name) + "' in strategy '" + name_ +
                                "'; valid: " + join(strategy_vocabulary().ops));
  return it->second;
}

Strategy load_strategy_text(std::string_view text, const std::string& file_name) {
  return StrategyReader::read(text, file_name, 0);
}

Strategy load_strategy_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError(file.string(), "cannot read the strategy file");
  std::stringstream text;
  text << in.rdbuf();
  return load_strategy_text(text.str(), file.string());
}

const StrategyRegistry& strategy_registry() {
  static const StrategyRegistry registry = [] {
    StrategyRegistry r("locking strategy");
    for (const detail::EmbeddedFile& file : detail::embedded_strategy_files()) {
      Strategy strategy = load_strategy_text(file.text, std::string(file.path));
      std::string description = strategy.description();
      r.add({strategy.name(), std::move(description), {}, [strategy] { return strategy; }});
    }
    return r;
  }();
  return registry;
}

Strategy builtin_strategy(std::string_view name) {
  return strategy_registry().find(name).make();
}

Strategy resolve_strategy(const ConfigNode& run_table, std::string_view key) {
  std::string value = run_table.string(key);
  bool is_path =
      value.find('/') != std::string::npos || (value.size() >= 5 && value.compare(value.size() - 5, 5, ".toml") == 0);
  if (!is_path) {
    try {
      return strategy_registry().find(value).make();
    } catch (const std::invalid_argument& e) {
      run_table.fail(key, std::string(e.what()) + "; or a strategy file (a path with '/' or ending in .toml)");
    }
  }
  std::filesystem::path file = run_table.path_value(key);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    run_table.fail(key, "cannot read strategy file '" + file.string() + "': no such file");
  return load_strategy_file(file);
}

} // namespace apq
