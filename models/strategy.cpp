#include "models/strategy.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace apq {
namespace {

// ---- vocabulary ------------------------------------------------------------------------------------------------

struct Term {
  const char* name;
  const char* description;
};

// Kernel names are those of drivers/s390/crypto/{ap_bus.c,vfio_ap_ops.c}; see ../shared/domain/kernel-ap-vfio.md §2.
constexpr Term kLocks[] = {
    {"ap_perms", "ap_perms_mutex (ap_bus.c): the host's apmask/aqmask"},
    {"ap_scan", "ap_scan_bus_mutex (ap_bus.c, recent kernels): one AP bus scan at a time"},
    {"matrix", "matrix_dev->lock (vfio_ap up to 5.19): all vfio_ap state"},
    {"guests", "matrix_dev->guests_lock (6.0+): use of matrix_mdev->kvm, the mdev list"},
    {"mdevs", "matrix_dev->mdevs_lock (6.0+): every matrix_mdev field"},
    {"kvm", "kvm->lock of the op's guest, needed to update its APCB (skipped when the op has no guest)"},
    {"pqap_hook",
     "kvm->arch.crypto.pqap_hook_rwsem of the op's guest, modelled as a mutex (skipped when the op has no guest)"},
};

constexpr Term kOps[] = {
    {"apmask_store", "write to /sys/bus/ap/apmask (apmask_store); the context carries the requested change"},
    {"aqmask_store", "write to /sys/bus/ap/aqmask (aqmask_store); the context carries the requested change"},
    {"in_use", "vfio_ap's in_use callback (vfio_ap_mdev_resource_in_use), called by the mask stores"},
    {"assign_adapter", "mdev sysfs assign_adapter (assign_adapter_store)"},
    {"unassign_adapter", "mdev sysfs unassign_adapter (unassign_adapter_store)"},
    {"assign_domain", "mdev sysfs assign_domain (assign_domain_store)"},
    {"unassign_domain", "mdev sysfs unassign_domain (unassign_domain_store)"},
    {"assign_control_domain", "mdev sysfs assign_control_domain (assign_control_domain_store)"},
    {"unassign_control_domain", "mdev sysfs unassign_control_domain (unassign_control_domain_store)"},
    {"probe_queue", "vfio_ap binds one queue (ap_device_probe -> vfio_ap_mdev_probe_queue): reprobe, card online"},
    {"remove_queue", "vfio_ap unbinds one queue (vfio_ap_mdev_remove_queue): reprobe, card offline"},
    {"pqap_aqic", "a guest vCPU's PQAP(AQIC) intercept for one queue (handle_pqap): a plugged queue gets its IRQ"},
    {"set_kvm", "guest start: the mdev gets its guest (vfio_ap_mdev_set_kvm)"},
    {"unset_kvm", "guest stop: the mdev loses its guest (vfio_ap_mdev_unset_kvm)"},
    {"vfio_reset", "VFIO_DEVICE_RESET ioctl (vfio_ap_mdev_ioctl)"},
    {"config_changed", "AP bus on_config_changed callback, once per mdev: the host's AP configuration changed"},
    {"scan_complete", "AP bus on_scan_complete callback, once per mdev: the scan after a change finished"},
};

constexpr Term kEffects[] = {
    {"check_in_use", "fails (EBUSY) if a queue the pending mask change takes from vfio_ap is assigned to an mdev"},
    {"commit_masks", "applies the pending apmask/aqmask to the host"},
    {"reprobe", "runs remove_queue / probe_queue for each queue whose driver binding changed (ap_bus_revise_bindings)"},
    {"check_host_ownership", "fails (EADDRNOTAVAIL) if an APQN the assignment adds is reserved for host drivers "
                             "(ap_apqn_in_matrix_owned_by_def_drv)"},
    {"check_bound", "fails (EADDRNOTAVAIL) if a queue the assignment adds is not driven by vfio_ap: the 2020 series' "
                    "vfio_ap_mdev_verify_queues_reserved_for_apid, which reads the driver binding, not ap_perms"},
    {"check_sharing", "fails (EADDRINUSE) if an APQN the assignment adds is in another mdev"},
    {"assign", "adds the op's adapter, domain or control domain to the mdev's matrix"},
    {"unassign", "removes the op's adapter, domain or control domain from the mdev's matrix"},
    {"update_guest_apcb", "filters the matrix and, if a guest is attached, pushes the new APCB (hot plug/unplug)"},
    {"reset_removed_queues", "resets (ZAPQ, then 20 ms polls until done) the queues that left the guest's APCB"},
    {"reset_all_queues", "resets every queue of the mdev"},
    {"attach_kvm", "sets the mdev's guest and PQAP hook, pushes the shadow APCB"},
    {"detach_kvm", "clears the guest's masks, the mdev's guest and the PQAP hook"},
    {"enable_irq", "AQIC with the GISA for the op's queue (pins the NIB, registers the GISC)"},
    {"disable_irq", "AQIC ir=0 for the op's queue, then the wait for IR to clear"},
    {"unplug_removed", "drops from the guest what the host's AP configuration lost"},
    {"plug_added", "plugs into the guest what the host's AP configuration gained"},
};

constexpr const char* kErrnos[] = {"EBUSY",         "EAGAIN", "EINVAL", "ENODEV",      "EADDRINUSE",
                                   "EADDRNOTAVAIL", "EIO",    "EPERM",  "ERESTARTSYS", "EOPNOTSUPP"};

// Effects that run operations themselves: the reprobe binds and unbinds queues through probe_queue and remove_queue
// in the caller's context (device_reprobe is synchronous), so they count as calls for cycles and held locks.
const std::vector<std::string>& ops_run_by_effect(std::string_view effect) {
  static const std::vector<std::string> reprobe{"remove_queue", "probe_queue"};
  static const std::vector<std::string> none;
  return effect == "reprobe" ? reprobe : none;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

// ---- parsing one step ------------------------------------------------------------------------------------------

constexpr StepKind kKinds[] = {StepKind::lock, StepKind::trylock, StepKind::unlock,
                               StepKind::work, StepKind::call,    StepKind::effect};

constexpr std::string_view kStepShapes = "{ lock = LOCK }, { trylock = LOCK, busy = ERRNO }, { unlock = LOCK }, "
                                         "{ work = DURATION }, { call = OP }, { effect = EFFECT, errno = ERRNO }";

// A name from one of the vocabulary's lists, failing located at the value with the valid names.
std::string vocabulary_name(const ConfigNode& step, std::string_view key, const std::vector<std::string>& valid,
                            std::string_view what) {
  std::string name = step.string(key);
  if (!contains(valid, name))
    step.fail(key, unknown_name_message(what, name, valid));
  return name;
}

std::optional<StepKind> kind_named(std::string_view key) {
  for (StepKind kind : kKinds)
    if (step_kind_name(kind) == key)
      return kind;
  return std::nullopt;
}

Step parse_step(const ConfigNode& node) {
  const StrategyVocabulary& vocabulary = strategy_vocabulary();
  Step step;
  step.where = node.where();
  // The keys by hand rather than reject_unknown_keys(): a misplaced `busy` deserves a better message than a list.
  std::string kind;
  for (const std::string& key : node.keys()) {
    if (auto named = kind_named(key)) {
      if (!kind.empty())
        node.fail(key, "a step does one thing, this one has both '" + kind + "' and '" + key + "'; write two steps");
      kind = key;
      step.kind = *named;
    } else if (key != "busy" && key != "errno") {
      node.fail(key, "unknown key '" + key + "' in a step; a step is one of " + std::string(kStepShapes));
    }
  }
  if (kind.empty())
    node.fail("a step needs one of lock, trylock, unlock, work, call, effect: " + std::string(kStepShapes));

  if (node.has("busy") && step.kind != StepKind::trylock)
    node.fail("busy", "'busy' (the errno of a trylock that finds its lock held) only goes with trylock");
  if (node.has("errno") && step.kind != StepKind::effect)
    node.fail("errno", "'errno' (the errno of a failing effect) only goes with effect");

  switch (step.kind) {
  case StepKind::lock:
  case StepKind::unlock:
    step.target = vocabulary_name(node, kind, vocabulary.locks, "lock");
    break;
  case StepKind::trylock:
    step.target = vocabulary_name(node, kind, vocabulary.locks, "lock");
    // mutex_trylock() failures return whatever the caller chose; the 2020 series chose -EBUSY.
    step.error = node.has("busy") ? vocabulary_name(node, "busy", vocabulary.errnos, "errno") : "EBUSY";
    break;
  case StepKind::call:
    step.target = vocabulary_name(node, kind, vocabulary.ops, "operation");
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
  }
  return step;
}

// ---- checks across steps and operations --------------------------------------------------------------------------

// A lock taken by an operation, with where, for messages.
struct Held {
  std::string lock;
  std::string where;
};

// Lock tracking in step order, within one operation (a call is checked on its own here; check_calls_under_locks() looks
// across calls).
void check_locking(const OpSteps& op) {
  std::vector<Held> held;
  auto find = [&](const std::string& lock) {
    return std::find_if(held.begin(), held.end(), [&](const Held& h) { return h.lock == lock; });
  };
  for (const Step& step : op.steps) {
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock) {
      if (auto it = find(step.target); it != held.end())
        throw ConfigError(step.where, "ops." + op.name + ": " + std::string(step_kind_name(step.kind)) + " of '" +
                                          step.target + "', which this operation already holds (taken at " + it->where +
                                          "): the kernel would deadlock on itself, and SimGrid 3.32 cannot "
                                          "relock a mutex");
      held.push_back({step.target, step.where});
    } else if (step.kind == StepKind::unlock) {
      auto it = find(step.target);
      if (it == held.end())
        throw ConfigError(step.where, "ops." + op.name + ": unlock of '" + step.target +
                                          "', which this operation does not hold at this point");
      held.erase(it);
    }
  }
  if (!held.empty())
    throw ConfigError(held.front().where, "ops." + op.name + ": '" + held.front().lock +
                                              "' is still held at the end of the operation; add { unlock = \"" +
                                              held.front().lock + "\" }");
}

// An operation run by a step: by `call`, or by an effect that runs operations (reprobe).
struct Edge {
  std::string callee;
  const Step* step;
};

std::vector<Edge> edges_of(const OpSteps& op) {
  std::vector<Edge> edges;
  for (const Step& step : op.steps) {
    if (step.kind == StepKind::call)
      edges.push_back({step.target, &step});
    if (step.kind == StepKind::effect)
      for (const std::string& callee : ops_run_by_effect(step.target))
        edges.push_back({callee, &step});
  }
  return edges;
}

std::string edge_label(const Edge& edge) {
  return edge.step->kind == StepKind::call ? edge.callee : edge.callee + " (run by " + edge.step->target + ")";
}

// No operation may reach itself through calls: the kernel has no such recursion and the interpreter would not end.
void check_call_cycles(const std::map<std::string, OpSteps>& ops) {
  enum class Mark { none, active, done };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    mark[name] = Mark::active;
    path.push_back(name);
    for (const Edge& edge : edges_of(ops.at(name))) {
      if (mark[edge.callee] == Mark::active) {
        if (edge.callee == name)
          throw ConfigError(edge.step->where,
                            "ops." + name + ": the operation calls itself (" + edge_label(edge) + ")");
        auto start = std::find(path.begin(), path.end(), edge.callee);
        std::string cycle;
        for (auto it = start; it != path.end(); ++it)
          cycle += *it + " -> ";
        throw ConfigError(edge.step->where, "ops." + name + ": call cycle " + cycle + edge_label(edge));
      }
      if (mark[edge.callee] == Mark::none)
        visit(edge.callee);
    }
    path.pop_back();
    mark[name] = Mark::done;
  };
  for (const auto& term : kOps)
    if (mark[term.name] == Mark::none)
      visit(term.name);
}

// The locks an operation takes, itself or through what it calls, with where the first one is taken.
using LockSites = std::map<std::string, std::string>;

const LockSites& locks_taken(const std::map<std::string, OpSteps>& ops, const std::string& name,
                             std::map<std::string, LockSites>& memo) {
  if (auto it = memo.find(name); it != memo.end())
    return it->second;
  LockSites sites;
  for (const Step& step : ops.at(name).steps)
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
      sites.emplace(step.target, step.where);
  for (const Edge& edge : edges_of(ops.at(name)))
    for (const auto& [lock, where] : locks_taken(ops, edge.callee, memo))
      sites.emplace(lock, where);
  return memo[name] = std::move(sites);
}

// A call made while holding a lock that the callee takes is a self-deadlock, as a recursive lock is. The check works
// on lock classes, as lockdep does: two guests' kvm->lock count as one.
void check_calls_under_locks(const std::map<std::string, OpSteps>& ops) {
  std::map<std::string, LockSites> memo;
  for (const auto& [name, op] : ops) {
    std::vector<std::string> held;
    for (const Step& step : op.steps) {
      if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
        held.push_back(step.target);
      if (step.kind == StepKind::unlock)
        held.erase(std::find(held.begin(), held.end(), step.target));
      std::vector<std::string> callees;
      if (step.kind == StepKind::call)
        callees.push_back(step.target);
      if (step.kind == StepKind::effect)
        callees = ops_run_by_effect(step.target);
      for (const std::string& callee : callees) {
        const LockSites& taken = locks_taken(ops, callee, memo);
        for (const std::string& lock : held) {
          auto site = taken.find(lock);
          if (site == taken.end())
            continue;
          std::string how = step.kind == StepKind::call ? "calls " + callee : step.target + " runs " + callee;
          throw ConfigError(step.where, "ops." + name + ": " + how + " while holding '" + lock + "', which " + callee +
                                            " (or an operation it runs) takes at " + site->second +
                                            ": a self-deadlock; release '" + lock + "' first");
        }
      }
    }
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

} // namespace

// ---- public ----------------------------------------------------------------------------------------------------

std::string_view step_kind_name(StepKind kind) {
  switch (kind) {
  case StepKind::lock:
    return "lock";
  case StepKind::trylock:
    return "trylock";
  case StepKind::unlock:
    return "unlock";
  case StepKind::work:
    return "work";
  case StepKind::call:
    return "call";
  case StepKind::effect:
    return "effect";
  }
  return "?";
}

std::string describe_step(const Step& step) {
  std::string text(step_kind_name(step.kind));
  if (step.kind == StepKind::work)
    return text + " " + (step.work ? step.work->describe() : "?");
  text += " " + step.target;
  if (step.kind == StepKind::trylock)
    text += " (busy " + step.error + ")";
  if (step.kind == StepKind::effect && !step.error.empty())
    text += " (errno " + step.error + ")";
  return text;
}

const StrategyVocabulary& strategy_vocabulary() {
  static const StrategyVocabulary vocabulary = [] {
    StrategyVocabulary v;
    auto add = [&](std::vector<std::string>& names, const auto& terms) {
      for (const Term& term : terms) {
        names.emplace_back(term.name);
        v.descriptions.emplace(term.name, term.description);
      }
    };
    add(v.locks, kLocks);
    add(v.ops, kOps);
    add(v.effects, kEffects);
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
  const StrategyVocabulary& vocabulary = strategy_vocabulary();
  const toml::table document = parse_document(text, file_name);
  ConfigNode root(document, "", file_name);

  Strategy strategy;
  strategy.source_file_ = file_name;
  strategy.name_ = root.string("name");
  if (strategy.name_.empty())
    root.fail("name", "must not be empty");
  strategy.description_ = root.string("description");
  strategy.source_ = root.string_or("source", "");
  ConfigNode ops = root.table("ops");
  root.reject_unknown_keys();

  for (const std::string& name : ops.keys()) {
    if (!contains(vocabulary.ops, name))
      ops.fail(name, unknown_name_message("operation", name, vocabulary.ops));
    ConfigNode op_node = ops.table(name);
    OpSteps op{name, {}, op_node.where()};
    for (const ConfigNode& step : op_node.tables("steps"))
      op.steps.push_back(parse_step(step));
    op_node.reject_unknown_keys();
    check_locking(op);
    strategy.ops_.emplace(name, std::move(op));
  }

  std::vector<std::string> missing;
  for (const std::string& name : vocabulary.ops)
    if (!strategy.ops_.count(name))
      missing.push_back(name);
  if (!missing.empty())
    ops.fail("missing operations: " + join(missing) + " (a strategy defines every operation; copy them from a " +
             "built-in in configs/strategies/)");

  check_call_cycles(strategy.ops_);
  check_calls_under_locks(strategy.ops_);
  return strategy;
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
