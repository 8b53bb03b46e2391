// Locking strategies as data: the five built-ins load and carry the kernel facts the seed reproductions and the
// version-exact Linux strategies rely on (naive-mutex's ABBA, v12's trylocks, the ordered assign, the lock orders of
// 6.1 and 6.13), and every mistake in a strategy file, extends included, is reported at its file:line:col.
#include "models/strategy.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

namespace apq {
namespace {

using test::error_of;

// ---- helpers ---------------------------------------------------------------------------------------------------

// `head` completed with a reset mechanism and every operation it does not define, each with no steps, so that a test
// writes only the part it is about and the line numbers in it are those of the file.
std::string complete(std::string head) {
  if (head.find("[reset]") == std::string::npos && head.find("extends") == std::string::npos)
    head += "\n[reset]\nmechanism = \"sequential\"\n";
  for (const std::string& op : strategy_vocabulary().ops)
    if (head.find("[ops." + op + "]") == std::string::npos && head.find("extends") == std::string::npos)
      head += "\n[ops." + op + "]\nsteps = []\n";
  return head;
}

Strategy load(const std::string& head) {
  return load_strategy_text(complete(head), "t.toml");
}

std::string load_error(const std::string& head) {
  return error_of([&] { load(head); });
}

// The steps of an operation in the order the file writes them, group and loop bodies inline (they are balanced,
// so the locks held before a step are the locks taken and not released before it in this order).
std::vector<const Step*> flat(const OpSteps& op) {
  std::vector<const Step*> out;
  std::function<void(const std::vector<Step>&)> walk = [&](const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      out.push_back(&step);
      walk(step.body);
    }
  };
  walk(op.steps);
  return out;
}

bool takes(const Step& step) {
  return step.kind == StepKind::lock || step.kind == StepKind::trylock;
}

// The lock classes an operation holds just before its step `index` of flat(), in the order taken.
std::vector<std::string> held_before(const OpSteps& op, std::size_t index) {
  std::vector<std::string> held;
  const auto steps = flat(op);
  for (std::size_t i = 0; i < index; ++i) {
    if (takes(*steps[i]))
      held.push_back(steps[i]->target);
    if (steps[i]->kind == StepKind::unlock)
      held.erase(std::find(held.begin(), held.end(), steps[i]->target));
  }
  return held;
}

// The index in flat() of the first step of `kind` on `target`; fails the test if there is none.
std::size_t index_of_step(const OpSteps& op, StepKind kind, const std::string& target) {
  const auto steps = flat(op);
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i]->kind == kind && steps[i]->target == target)
      return i;
  ADD_FAILURE() << op.name << " has no step " << static_cast<int>(kind) << " " << target;
  return steps.size();
}

const Step& step_at(const OpSteps& op, std::size_t index) {
  return *flat(op).at(index);
}

std::vector<std::string> lock_sequence(const OpSteps& op) {
  std::vector<std::string> locks;
  for (const Step* step : flat(op))
    if (takes(*step))
      locks.push_back(step->target);
  return locks;
}

// Lockdep's view of a strategy: an edge held -> taken for each blocking lock (a trylock adds none), following calls
// inline and every branch. Returns true if the edges of all operations together contain a cycle.
bool has_lock_order_cycle(const Strategy& strategy) {
  std::map<std::string, std::set<std::string>> edges;
  std::function<void(const std::vector<Step>&, std::vector<std::string>&)> walk = [&](const std::vector<Step>& steps,
                                                                                      std::vector<std::string>& held) {
    for (const Step& step : steps) {
      if (step.kind == StepKind::lock)
        for (const std::string& h : held)
          if (h != step.target)
            edges[h].insert(step.target);
      if (takes(step))
        held.push_back(step.target);
      if (step.kind == StepKind::unlock)
        held.erase(std::find(held.begin(), held.end(), step.target));
      if (step.kind == StepKind::group || step.kind == StepKind::each) {
        std::vector<std::string> inner = held;
        walk(step.body, inner);
      }
      if (step.kind == StepKind::call) {
        std::vector<std::string> inner = held;
        walk(strategy.op(step.target).steps, inner);
      }
    }
  };
  for (const auto& [name, op] : strategy.ops()) {
    std::vector<std::string> held;
    walk(op.steps, held);
  }
  std::set<std::string> done, active;
  std::function<bool(const std::string&)> cyclic = [&](const std::string& lock) {
    if (active.count(lock))
      return true;
    if (done.count(lock))
      return false;
    active.insert(lock);
    for (const std::string& next : edges[lock])
      if (cyclic(next))
        return true;
    active.erase(lock);
    done.insert(lock);
    return false;
  };
  for (const std::string& lock : strategy_vocabulary().locks)
    if (cyclic(lock))
      return true;
  return false;
}

std::filesystem::path repo_root() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::vector<std::string> kBuiltins = {"linux-6.1", "linux-6.13", "naive-mutex", "ordered", "v12-trylock"};

// ---- built-ins -------------------------------------------------------------------------------------------------

TEST(Strategy, BuiltinsLoadAndAreNamedAfterTheirFiles) {
  std::vector<std::string> names;
  for (const auto& entry : strategy_registry().entries())
    names.push_back(entry.name);
  EXPECT_EQ(names, kBuiltins);
  for (const std::string& name : names) {
    Strategy strategy = builtin_strategy(name);
    EXPECT_EQ(strategy.name(), name);
    EXPECT_EQ(strategy.source_file(), "configs/strategies/" + name + ".toml");
    EXPECT_FALSE(strategy.description().empty()) << name;
    EXPECT_FALSE(strategy.source().empty()) << name;
    EXPECT_TRUE(strategy.extends().empty()) << name;
    EXPECT_FALSE(strategy.cfg_change_signal()) << name << ": no built-in kernel has the 6.15 eventfd";
    EXPECT_EQ(strategy_registry().find(name).description, strategy.description());
    EXPECT_EQ(strategy.ops().size(), strategy_vocabulary().ops.size()) << name;
    for (const std::string& op : strategy_vocabulary().ops) {
      EXPECT_EQ(strategy.op(op).name, op);
      EXPECT_FALSE(strategy.op(op).steps.empty()) << name << " " << op;
      EXPECT_EQ(strategy.op(op).where.rfind("configs/strategies/" + name + ".toml:", 0), 0u) << strategy.op(op).where;
    }
  }
}

TEST(Strategy, EachLinuxStrategyNamesItsTreeAndCommit) {
  EXPECT_NE(builtin_strategy("linux-6.1").source().find("torvalds/linux 2dbddbe35860820d229c39e9ff8963ce096b6646"),
            std::string::npos);
  EXPECT_NE(builtin_strategy("linux-6.13").source().find("gregkh/linux 02e72909453dee2f8a09f78819f9a9cb902dfbdc"),
            std::string::npos);
  for (const char* name : {"linux-6.1", "linux-6.13"}) {
    const std::string text = read_text(repo_root() / "configs/strategies" / (std::string(name) + ".toml"));
    EXPECT_EQ(text.rfind("# " + std::string(name) + ": ", 0), 0u) << "the header comes first";
    // Each operation says which kernel function it follows.
    for (const std::string& op : strategy_vocabulary().ops) {
      const std::size_t table = text.find("[ops." + op + "]\n#");
      EXPECT_NE(table, std::string::npos) << name << " " << op << " has no comment";
    }
  }
}

TEST(Strategy, EmbeddedTextIsTheFileInTheRepository) {
  // The build embeds configs/strategies/*.toml; users read the files, the binary runs the embedded copies.
  ASSERT_EQ(detail::embedded_strategy_files().size(), kBuiltins.size());
  for (const auto& file : detail::embedded_strategy_files()) {
    EXPECT_EQ(read_text(repo_root() / file.path), file.text) << file.path;
    Strategy from_disk = load_strategy_file(repo_root() / file.path);
    Strategy builtin = builtin_strategy(from_disk.name());
    for (const auto& [name, op] : builtin.ops())
      EXPECT_EQ(flat(from_disk.op(name)).size(), flat(op).size()) << name;
  }
}

TEST(Strategy, UnknownBuiltinListsTheValidOnes) {
  EXPECT_EQ(error_of([] { builtin_strategy("mutex"); }),
            "unknown locking strategy 'mutex'; valid: linux-6.1, linux-6.13, naive-mutex, ordered, v12-trylock");
  EXPECT_THROW(builtin_strategy("mutex"), std::invalid_argument);
  EXPECT_EQ(builtin_strategy("V12-TRYLOCK").name(), "v12-trylock");
  EXPECT_EQ(error_of([] { builtin_strategy("ordered").op("assign"); }).rfind("Strategy::op(): unknown operation", 0),
            0u);
}

TEST(Strategy, NaiveMutexHasTheAbbaOfV12PatchSeven) {
  Strategy s = builtin_strategy("naive-mutex");
  // 1) apmask_store takes ap_perms and, still holding it, 3) calls in_use, which blocks on matrix.
  const OpSteps& apmask = s.op("apmask_store");
  EXPECT_EQ(held_before(apmask, index_of_step(apmask, StepKind::call, "in_use")),
            (std::vector<std::string>{"ap_perms"}));
  const OpSteps& in_use = s.op("in_use");
  EXPECT_TRUE(held_before(in_use, index_of_step(in_use, StepKind::lock, "matrix")).empty());
  // 2) assign_adapter takes matrix and, still holding it, 4) blocks on ap_perms around check_host_ownership.
  for (const char* name : {"assign_adapter", "assign_domain"}) {
    const OpSteps& assign = s.op(name);
    EXPECT_EQ(held_before(assign, index_of_step(assign, StepKind::lock, "ap_perms")),
              (std::vector<std::string>{"matrix"}))
        << name;
    EXPECT_EQ(held_before(assign, index_of_step(assign, StepKind::effect, "check_host_ownership")),
              (std::vector<std::string>{"matrix", "ap_perms"}))
        << name;
  }
  EXPECT_TRUE(has_lock_order_cycle(s));
}

TEST(Strategy, V12TrylocksMatrixAndAssignIgnoresApPerms) {
  Strategy s = builtin_strategy("v12-trylock");
  const OpSteps& in_use = s.op("in_use");
  EXPECT_EQ(describe_step(in_use.steps.front()), "trylock matrix (busy EBUSY)");
  EXPECT_EQ(describe_step(in_use.steps.back()), "unlock matrix"); // released before returning to apmask_store
  for (const char* name : {"assign_adapter", "assign_domain", "assign_control_domain"}) {
    const OpSteps& assign = s.op(name);
    EXPECT_EQ(step_at(assign, index_of_step(assign, StepKind::trylock, "matrix")).error, "EBUSY") << name;
    for (const Step* step : flat(assign)) {
      EXPECT_NE(step->target, "ap_perms") << name;
      EXPECT_NE(step->target, "check_host_ownership") << name;
      if (step->target == "check_sharing") {
        EXPECT_EQ(step->error, "EBUSY") << name;
      }
    }
  }
  // 07/17's check reads the driver binding: an absent queue fails (check_bound), ap_perms is not consulted.
  EXPECT_LT(index_of_step(s.op("assign_adapter"), StepKind::effect, "check_bound"),
            flat(s.op("assign_adapter")).size());
  // The stolen-queue window: commit under ap_perms after in_use returned, the reprobe after the unlock.
  const OpSteps& apmask = s.op("apmask_store");
  const std::size_t call = index_of_step(apmask, StepKind::call, "in_use");
  const std::size_t commit = index_of_step(apmask, StepKind::effect, "commit_masks");
  const std::size_t unlock = index_of_step(apmask, StepKind::unlock, "ap_perms");
  const std::size_t reprobe = index_of_step(apmask, StepKind::call, "revise_bindings");
  EXPECT_LT(call, commit);
  EXPECT_EQ(held_before(apmask, commit), (std::vector<std::string>{"ap_perms"}));
  EXPECT_LT(commit, unlock);
  EXPECT_LT(unlock, reprobe);
  EXPECT_TRUE(held_before(apmask, reprobe).empty());
  EXPECT_FALSE(has_lock_order_cycle(s)); // trylocks add no order edge
}

TEST(Strategy, InUseIsCalledOnlyWhenAStoreReservesNewIds) {
  // apmask_commit()/aqmask_commit(): bitmap_andnot(reserved, new, old) decides; a store that gives ids back never
  // calls in_use (v12 06/17 and Linux alike), and any in_use error becomes -EBUSY.
  for (const std::string& name : kBuiltins) {
    Strategy s = builtin_strategy(name);
    for (const char* store : {"apmask_store", "aqmask_store"}) {
      const OpSteps& op = s.op(store);
      const std::size_t call = index_of_step(op, StepKind::call, "in_use");
      const Step& group = *std::find_if(op.steps.begin(), op.steps.end(), [](const Step& st) {
        return st.kind == StepKind::group && !st.body.empty() && st.body.front().target == "in_use";
      });
      ASSERT_EQ(group.when.size(), 1u) << name << " " << store;
      EXPECT_EQ(group.when[0].name, "reserves_new") << name;
      EXPECT_FALSE(group.when[0].negated);
      EXPECT_EQ(step_at(op, call).error, "EBUSY") << name << " " << store;
    }
  }
}

TEST(Strategy, OrderedAndLinuxHoldApPermsAcrossTheWholeAssign) {
  for (const char* name : {"ordered", "linux-6.1", "linux-6.13"}) {
    Strategy s = builtin_strategy(name);
    for (const char* op_name : {"assign_adapter", "assign_domain"}) {
      const OpSteps& assign = s.op(op_name);
      EXPECT_EQ(lock_sequence(assign).front(), "ap_perms") << name << " " << op_name;
      for (const char* effect : {"check_host_ownership", "check_sharing", "assign"}) {
        std::vector<std::string> held = held_before(assign, index_of_step(assign, StepKind::effect, effect));
        EXPECT_NE(std::find(held.begin(), held.end(), "ap_perms"), held.end()) << name << " " << effect;
      }
      for (const Step* step : flat(assign))
        EXPECT_NE(step->kind, StepKind::trylock) << name;
    }
    for (const Step* step : flat(s.op("in_use")))
      EXPECT_NE(step->kind, StepKind::trylock) << name; // in_use blocks
    EXPECT_FALSE(has_lock_order_cycle(s)) << name;
  }
}

TEST(Strategy, LinuxTakesTheSplitLocksInTheOrderOfItsVersion) {
  using Locks = std::vector<std::string>;
  for (const char* name : {"linux-6.1", "linux-6.13"}) {
    SCOPED_TRACE(name);
    Strategy s = builtin_strategy(name);
    EXPECT_EQ(lock_sequence(s.op("assign_adapter")), (Locks{"ap_perms", "guests", "kvm", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("assign_domain")), (Locks{"ap_perms", "guests", "kvm", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("assign_control_domain")), (Locks{"guests", "kvm", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("unassign_adapter")), (Locks{"guests", "kvm", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("in_use")), (Locks{"guests", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("pqap_aqic")), (Locks{"pqap_hook", "mdevs"}));
    EXPECT_EQ(step_at(s.op("pqap_aqic"), 0).mode, StepMode::read); // down_read in priv.c handle_pqap()
    EXPECT_EQ(lock_sequence(s.op("vfio_reset")), (Locks{"mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("probe_queue")), (Locks{"guests", "kvm", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("device_probe")), (Locks{"ap_perms"}));
    EXPECT_EQ(lock_sequence(s.op("mdev_remove")), (Locks{"guests", "mdevs"}));
    EXPECT_EQ(lock_sequence(s.op("sysfs_show")), (Locks{"mdevs"}));
    // The resets run under every lock, as flush_work() does in the kernel.
    const OpSteps& unassign = s.op("unassign_adapter");
    EXPECT_EQ(held_before(unassign, index_of_step(unassign, StepKind::effect, "reset_unplugged")),
              (Locks{"guests", "kvm", "mdevs"}));
    // vfio_ap_mdev_cfg_remove() and vfio_ap_mdev_hot_plug_cfg() lock matrix_mdev->kvm->lock with no NULL check.
    for (const char* op : {"config_changed", "scan_complete"}) {
      const Step& kvm = step_at(s.op(op), index_of_step(s.op(op), StepKind::lock, "kvm"));
      EXPECT_TRUE(kvm.oops_without_guest) << op;
      EXPECT_EQ(held_before(s.op(op), index_of_step(s.op(op), StepKind::lock, "kvm")), (Locks{"guests"})) << op;
    }
  }
  // 6.1: set_kvm/unset_kvm take pqap_hook_rwsem for writing alone, then guests -> kvm -> mdevs.
  Strategy v61 = builtin_strategy("linux-6.1");
  EXPECT_EQ(lock_sequence(v61.op("set_kvm")), (Locks{"pqap_hook", "guests", "kvm", "mdevs"}));
  EXPECT_TRUE(held_before(v61.op("set_kvm"), index_of_step(v61.op("set_kvm"), StepKind::lock, "guests")).empty());
  EXPECT_EQ(lock_sequence(v61.op("unset_kvm")), (Locks{"pqap_hook", "guests", "kvm", "mdevs"}));
  EXPECT_EQ(v61.reset().kind, ResetMechanism::Kind::sequential);
  EXPECT_EQ(v61.reset().zapq_retries, 1);
  EXPECT_EQ(v61.reset().checks, 2);
  EXPECT_EQ(lock_sequence(v61.op("dma_unmap")), Locks{});
  // 6.13: get_update_locks_for_kvm() takes it between kvm->lock and mdevs_lock.
  Strategy v613 = builtin_strategy("linux-6.13");
  EXPECT_EQ(lock_sequence(v613.op("set_kvm")), (Locks{"guests", "kvm", "pqap_hook", "mdevs"}));
  EXPECT_EQ(lock_sequence(v613.op("unset_kvm")), (Locks{"guests", "kvm", "pqap_hook", "mdevs"}));
  EXPECT_EQ(v613.reset().kind, ResetMechanism::Kind::overlapped);
  EXPECT_EQ(lock_sequence(v613.op("dma_unmap")), (Locks{"mdevs"}));
  // The periodic scan skips when another scan holds ap_scan_bus_mutex; 6.1's work item waits.
  EXPECT_EQ(describe_step(v613.op("periodic_scan").steps.front()), "trylock ap_scan (busy skip)");
  EXPECT_EQ(describe_step(v61.op("periodic_scan").steps.front()), "lock ap_scan");
}

TEST(Strategy, StepsCarryTheirLocationAndWork) {
  Strategy s = builtin_strategy("naive-mutex");
  const Step& first = s.op("apmask_store").steps.front();
  EXPECT_EQ(first.kind, StepKind::lock);
  EXPECT_EQ(first.where.rfind("configs/strategies/naive-mutex.toml:", 0), 0u);
  const Step& parse = s.op("apmask_store").steps[1];
  ASSERT_EQ(parse.kind, StepKind::work);
  EXPECT_DOUBLE_EQ(parse.work->mean(), 2e-6);
  EXPECT_EQ(describe_step(parse), "work " + parse.work->describe());
}

// ---- the file format -------------------------------------------------------------------------------------------

TEST(StrategyFile, ReadsEveryStepKind) {
  Strategy s = load(R"(name = "mine"
description = "all step kinds"
source = "nowhere"
cfg_change_signal = true
[reset]
mechanism = "overlapped"
[ops.apmask_store]
steps = [
  { trylock = "ap_perms" },
  { work = { dist = "exponential", mean = "3us" } },
  { call = "in_use", errno = "EBUSY" },
  { effect = "commit_masks", errno = "EIO" },
  { unlock = "ap_perms" },
  { if = ["mask_changed", "!waited"], steps = [
    { lock = "ap_scan" },
    { work = "1ms", if = "apcb_changed" },
    { unlock = "ap_scan" },
  ] },
  { each = "mdev", steps = [
    { down_read = "pqap_hook" },
    { lock = "kvm", no_guest = "oops" },
    { unlock = "kvm" },
    { up_read = "pqap_hook" },
    { down_write = "pqap_hook" },
    { up_write = "pqap_hook" },
  ] },
  { trylock = "ap_scan", busy = "skip" },
  { unlock = "ap_scan" },
]
)");
  EXPECT_EQ(s.name(), "mine");
  EXPECT_EQ(s.description(), "all step kinds");
  EXPECT_EQ(s.source(), "nowhere");
  EXPECT_EQ(s.source_file(), "t.toml");
  EXPECT_TRUE(s.cfg_change_signal());
  EXPECT_EQ(s.reset().kind, ResetMechanism::Kind::overlapped);
  const OpSteps& op = s.op("apmask_store");
  EXPECT_EQ(op.where, "t.toml:7:1");
  ASSERT_EQ(op.steps.size(), 9u);
  EXPECT_EQ(describe_step(op.steps[0]), "trylock ap_perms (busy EBUSY)"); // busy defaults to EBUSY
  EXPECT_EQ(op.steps[0].where, "t.toml:9:3");
  EXPECT_DOUBLE_EQ(op.steps[1].work->mean(), 3e-6);
  EXPECT_DOUBLE_EQ(op.steps[1].work->cv(), 1.0);
  EXPECT_EQ(describe_step(op.steps[2]), "call in_use (errno EBUSY)");
  EXPECT_EQ(describe_step(op.steps[3]), "effect commit_masks (errno EIO)");
  EXPECT_EQ(describe_step(op.steps[5]), "if mask_changed and !waited: 3 steps");
  EXPECT_EQ(op.steps[5].kind, StepKind::group);
  EXPECT_EQ(describe_step(op.steps[5].body[1]), "work " + op.steps[5].body[1].work->describe() + " if apcb_changed");
  EXPECT_EQ(describe_step(op.steps[6]), "each mdev: 6 steps");
  const std::vector<Step>& each = op.steps[6].body;
  EXPECT_EQ(describe_step(each[0]), "down_read pqap_hook");
  EXPECT_EQ(each[0].mode, StepMode::read);
  EXPECT_EQ(describe_step(each[1]), "lock kvm (no_guest oops)");
  EXPECT_EQ(describe_step(each[3]), "up_read pqap_hook");
  EXPECT_EQ(describe_step(each[4]), "down_write pqap_hook");
  EXPECT_EQ(each[4].mode, StepMode::write);
  EXPECT_EQ(describe_step(each[5]), "up_write pqap_hook");
  EXPECT_EQ(describe_step(op.steps[7]), "trylock ap_scan (busy skip)");
  EXPECT_TRUE(s.op("in_use").steps.empty());
}

TEST(StrategyFile, TopLevelMistakes) {
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\ncolour = \"blue\"\n"),
            "t.toml:3:1: error: unknown key 'colour' at top level; valid keys: cfg_change_signal, description, "
            "extends, name, ops, reset, source");
  EXPECT_EQ(load_error("description = \"d\"\n"), "t.toml:1:1: error: missing required key 'name'");
  EXPECT_EQ(load_error("name = \"\"\ndescription = \"d\"\n"), "t.toml:1:8: error: name: must not be empty");
  EXPECT_EQ(error_of([] { load_strategy_text("name = \"t\"\ndescription = \"d\"\n", "t.toml"); }),
            "t.toml:1:1: error: missing required key 'reset'");
  EXPECT_EQ(error_of([] {
              load_strategy_text("name = \"t\"\ndescription = \"d\"\n[reset]\nmechanism = \"sequential\"\n", "t.toml");
            }),
            "t.toml:1:1: error: missing required key 'ops'");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \n").rfind("t.toml:2:", 0), 0u); // TOML syntax
}

TEST(StrategyFile, ResetMechanismMistakes) {
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[reset]\nmechanism = \"lazy\"\n"),
            "t.toml:4:13: error: reset.mechanism: unknown reset mechanism 'lazy'; valid: sequential (queue by queue, "
            "2020..6.5), overlapped (ZAPQ all, then flush each, 6.6+)");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[reset]\nchecks = 0\n"),
            "t.toml:4:10: error: reset.checks: must be 1 or more");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[reset]\ninterval = \"20ms\"\n"),
            "t.toml:4:1: error: unknown key 'interval' in reset; valid keys: checks, mechanism, zapq_retries");
}

TEST(StrategyFile, UnknownAndMissingOperations) {
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.assign_adaptor]\nsteps = []\n")
                .rfind("t.toml:3:1: error: ops.assign_adaptor: unknown operation 'assign_adaptor'; did you mean "
                       "'assign_adapter'? valid: apmask_store, aqmask_store, in_use, revise_bindings,",
                       0),
            0u);
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = []\nnote = 1\n"),
            "t.toml:5:1: error: unknown key 'note' in ops.in_use; valid keys: steps");
  std::string missing = error_of([] {
    load_strategy_text("name = \"t\"\ndescription = \"d\"\n[reset]\nmechanism = \"sequential\"\n[ops.in_use]\nsteps = "
                       "[]\n[ops.vfio_reset]\nsteps = []\n",
                       "t.toml");
  });
  EXPECT_EQ(
      missing.rfind("t.toml:5:1: error: ops: missing operations: apmask_store, aqmask_store, revise_bindings, ", 0), 0u)
      << missing;
  EXPECT_NE(missing.find("scan_complete (a strategy defines every operation"), std::string::npos) << missing;
  EXPECT_EQ(missing.find("in_use,"), std::string::npos);
}

TEST(StrategyFile, StepShapeMistakes) {
  auto step_error = [](const std::string& step) {
    return load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = [\n  " + step + ",\n]\n");
  };
  EXPECT_EQ(step_error("{ grab = \"matrix\" }")
                .rfind("t.toml:5:12: error: ops.in_use.steps[0].grab: unknown key "
                       "'grab' in a step; a step is one of { lock = LOCK }, ",
                       0),
            0u);
  EXPECT_EQ(step_error("{ lock = \"matrix\", work = \"1us\" }"),
            "t.toml:5:29: error: ops.in_use.steps[0].work: a step does one thing, this one has both 'lock' and "
            "'work'; write two steps");
  EXPECT_EQ(step_error("{}").rfind("t.toml:5:3: error: ops.in_use.steps[0]: a step needs one of lock, trylock, ", 0),
            0u);
  EXPECT_EQ(step_error("{ lock = \"matrix\", busy = \"EBUSY\" }"),
            "t.toml:5:29: error: ops.in_use.steps[0].busy: 'busy' (what a trylock that finds its lock taken returns) "
            "only goes with trylock");
  EXPECT_EQ(step_error("{ work = \"1us\", errno = \"EIO\" }"),
            "t.toml:5:27: error: ops.in_use.steps[0].errno: 'errno' (the errno of a failing effect or callee) only "
            "goes with effect or call");
  EXPECT_EQ(step_error("{ lock = 3 }"),
            "t.toml:5:12: error: ops.in_use.steps[0].lock: expected a string, got the integer 3");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = \"lock matrix\"\n"),
            "t.toml:4:9: error: ops.in_use.steps: expected an array of tables, got the string \"lock matrix\"");
  EXPECT_EQ(step_error("{ steps = [] }"),
            "t.toml:5:13: error: ops.in_use.steps[0].steps: a group of steps needs a condition: { if = CONDITION, "
            "steps = [...] }, or iterate: { each = ITERATOR, steps = [...] }");
  EXPECT_EQ(step_error("{ each = \"mdev\" }"),
            "t.toml:5:12: error: ops.in_use.steps[0].each: 'each' needs the steps to run per item: { each = "
            "ITERATOR, steps = [...] }");
  EXPECT_EQ(step_error("{ work = \"1us\", steps = [] }"),
            "t.toml:5:27: error: ops.in_use.steps[0].steps: 'steps' only goes with a group ({ if = ..., steps = "
            "[...] }) or each");
}

TEST(StrategyFile, LockKindsAndConditionsAreChecked) {
  auto step_error = [](const std::string& step) {
    return load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = [\n  " + step + ",\n]\n");
  };
  EXPECT_EQ(step_error("{ lock = \"pqap_hook\" }"),
            "t.toml:5:12: error: ops.in_use.steps[0].lock: 'pqap_hook' is a rw_semaphore: take it with down_read or "
            "down_write, release it with up_read or up_write");
  EXPECT_EQ(step_error("{ down_read = \"mdevs\" }"),
            "t.toml:5:17: error: ops.in_use.steps[0].down_read: 'mdevs' is a mutex: take it with lock or trylock, "
            "release it with unlock");
  EXPECT_EQ(step_error("{ lock = \"mdevs\", no_guest = \"oops\" }"),
            "t.toml:5:32: error: ops.in_use.steps[0].no_guest: 'mdevs' is not a lock of the operation's guest; "
            "no_guest only goes with kvm, pqap_hook");
  EXPECT_EQ(step_error("{ lock = \"kvm\", no_guest = \"crash\" }"),
            "t.toml:5:30: error: ops.in_use.steps[0].no_guest: expected \"skip\" (the kernel's if (matrix_mdev->kvm)) "
            "or \"oops\" (no NULL check)");
  EXPECT_EQ(step_error("{ lock = \"kvm\", if = \"guest_attached\" }"),
            "t.toml:5:24: error: ops.in_use.steps[0].if: a lock step cannot be conditional on its own (its unlock "
            "would not match); put the lock, the steps it protects and its unlock in a group: { if = CONDITION, "
            "steps = [...] }");
  EXPECT_EQ(step_error("{ work = \"1us\", if = \"sunny\" }")
                .rfind("t.toml:5:24: error: ops.in_use.steps[0].if: unknown condition 'sunny'; valid: reserves_new, "
                       "mask_changed,",
                       0),
            0u);
  EXPECT_EQ(step_error("{ each = \"card\", steps = [] }"),
            "t.toml:5:12: error: ops.in_use.steps[0].each: unknown iterator 'card'; valid: mdev, queue_device, "
            "departed_device, new_device");
  EXPECT_EQ(step_error("{ trylock = \"matrix\", busy = \"later\" }"),
            "t.toml:5:32: error: ops.in_use.steps[0].busy: unknown errno 'later'; valid: skip, EBUSY, EAGAIN, "
            "EINVAL, ENODEV, EADDRINUSE, EADDRNOTAVAIL, EIO, EPERM, ERESTARTSYS, EOPNOTSUPP");
}

TEST(StrategyFile, UnknownNamesListTheValidOnes) {
  auto step_error = [](const std::string& step) {
    return load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = [\n  " + step + ",\n]\n");
  };
  EXPECT_EQ(step_error("{ lock = \"bkl\" }"),
            "t.toml:5:12: error: ops.in_use.steps[0].lock: unknown lock 'bkl'; valid: ap_perms, ap_scan, matrix, "
            "guests, mdevs, kvm, pqap_hook");
  EXPECT_EQ(step_error("{ call = \"frobnicate\" }")
                .rfind("t.toml:5:12: error: ops.in_use.steps[0].call: unknown operation 'frobnicate'; valid: "
                       "apmask_store, ",
                       0),
            0u);
  EXPECT_EQ(step_error("{ effect = \"steal\" }")
                .rfind("t.toml:5:14: error: ops.in_use.steps[0].effect: unknown effect 'steal'; valid: parse_mask, "
                       "check_in_use, commit_masks, ",
                       0),
            0u);
  EXPECT_EQ(step_error("{ effect = \"check_in_use\", errno = \"ebusy\" }")
                .rfind("t.toml:5:38: error: ops.in_use.steps[0].errno: unknown errno 'ebusy'; did you mean 'EBUSY'? "
                       "valid: EBUSY,",
                       0),
            0u);
}

TEST(StrategyFile, BadWorkDurations) {
  auto step_error = [](const std::string& step) {
    return load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = [\n  " + step + ",\n]\n");
  };
  EXPECT_EQ(step_error("{ work = \"fast\" }").rfind("t.toml:5:12: error: ops.in_use.steps[0].work: ", 0), 0u);
  EXPECT_EQ(step_error("{ work = 5 }")
                .rfind("t.toml:5:12: error: ops.in_use.steps[0].work: bad duration 5: a "
                       "number alone has no unit",
                       0),
            0u);
  EXPECT_EQ(step_error("{ work = \"-1us\" }").rfind("t.toml:5:12: error: ops.in_use.steps[0].work: ", 0), 0u);
  EXPECT_EQ(step_error("{ work = { dist = \"gamma\" } }")
                .rfind("t.toml:5:21: error: ops.in_use.steps[0].work.dist: unknown distribution 'gamma'", 0),
            0u);
}

TEST(StrategyFile, LockPairingIsCheckedPerOperationGroupAndLoop) {
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { lock = "matrix" },
  { unlock = "mdevs" },
]
)"),
            "t.toml:6:3: error: ops.in_use: unlock of 'mdevs', which this operation does not hold at this point");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { lock = "matrix" },
  { work = "1us" },
  { trylock = "matrix" },
]
)"),
            "t.toml:7:3: error: ops.in_use: trylock of 'matrix', which this operation already holds (taken at "
            "t.toml:5:3): the kernel would deadlock on itself");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { lock = "guests" },
  { lock = "mdevs" },
  { unlock = "guests" },
]
)"),
            "t.toml:6:3: error: ops.in_use: 'mdevs' is still held at the end of the operation; add "
            "{ unlock = \"mdevs\" }");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { down_read = "pqap_hook" },
  { up_write = "pqap_hook" },
]
)"),
            "t.toml:6:3: error: ops.in_use: up_write of 'pqap_hook', taken with down_read at t.toml:5:3");
  // A group that takes a lock and leaves without releasing it, or releases one it did not take, is refused: its
  // condition may not hold, and the unlock after it would then release what is not held.
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { if = "guest_attached", steps = [{ lock = "kvm" }] },
  { unlock = "kvm" },
]
)"),
            "t.toml:5:3: error: ops.in_use: a group or loop must release what it takes and keep what it finds held; "
            "it still holds kvm at its end");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [
  { lock = "mdevs" },
  { each = "mdev", steps = [{ unlock = "mdevs" }] },
]
)"),
            "t.toml:6:3: error: ops.in_use: a group or loop must release what it takes and keep what it finds held; "
            "it releases mdevs");
  // Unlocking out of order is allowed: the kernel does it.
  EXPECT_NO_THROW(load(R"(name = "t"
description = "d"
[ops.in_use]
steps = [{ lock = "kvm" }, { lock = "matrix" }, { unlock = "kvm" }, { unlock = "matrix" }]
)"));
}

TEST(StrategyFile, CallCycles) {
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.in_use]
steps = [{ call = "in_use" }]
)"),
            "t.toml:4:10: error: ops.in_use: the operation calls itself");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.apmask_store]
steps = [{ call = "in_use" }]
[ops.in_use]
steps = [{ work = "1us" }, { if = "waited", steps = [{ call = "apmask_store" }] }]
)"),
            "t.toml:6:54: error: ops.in_use: call cycle apmask_store -> in_use -> apmask_store");
}

TEST(StrategyFile, CallsUnderALockTheCalleeTakes) {
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.apmask_store]
steps = [{ lock = "matrix" }, { call = "in_use" }, { unlock = "matrix" }]
[ops.in_use]
steps = [{ lock = "matrix" }, { unlock = "matrix" }]
)"),
            "t.toml:4:31: error: ops.apmask_store: calls in_use while holding 'matrix', which in_use (or an operation "
            "it calls) takes at t.toml:6:10: a self-deadlock; release 'matrix' first");
  // ap_bus_revise_bindings() runs after ap_perms_mutex is released because ap_device_probe() takes it: a callee
  // taking it in a branch counts.
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.apmask_store]
steps = [{ lock = "ap_perms" }, { call = "revise_bindings" }, { unlock = "ap_perms" }]
[ops.revise_bindings]
steps = [{ each = "queue_device", steps = [{ call = "device_probe" }] }]
[ops.device_probe]
steps = [{ if = "binding_stale", steps = [{ lock = "ap_perms" }, { unlock = "ap_perms" }] }]
)"),
            "t.toml:4:33: error: ops.apmask_store: calls revise_bindings while holding 'ap_perms', which "
            "revise_bindings (or an operation it calls) takes at t.toml:8:43: a self-deadlock; release 'ap_perms' "
            "first");
}

// ---- extends ---------------------------------------------------------------------------------------------------

TEST(StrategyFile, ExtendsABuiltinAndOverridesOneOperation) {
  // The v13..v16 revisions of the series answered a failed trylock with -EAGAIN: a ten-line file says so.
  Strategy s = load_strategy_text(R"(name = "v16-eagain"
extends = "v12-trylock"
[ops.in_use]
steps = [
  { trylock = "matrix", busy = "EAGAIN" },
  { work = "10us" },
  { effect = "check_in_use" },
  { unlock = "matrix" },
]
)",
                                  "mine.toml");
  Strategy base = builtin_strategy("v12-trylock");
  EXPECT_EQ(s.name(), "v16-eagain");
  EXPECT_EQ(s.extends(), "v12-trylock");
  EXPECT_EQ(s.description(), base.description());
  EXPECT_EQ(s.source(), base.source());
  EXPECT_EQ(s.source_file(), "mine.toml");
  EXPECT_EQ(s.reset().kind, base.reset().kind);
  EXPECT_EQ(describe_step(s.op("in_use").steps.front()), "trylock matrix (busy EAGAIN)");
  EXPECT_EQ(s.op("in_use").where, "mine.toml:3:1");
  // The other operations are the built-in's, located in its file.
  EXPECT_EQ(s.op("assign_adapter").where, base.op("assign_adapter").where);
  EXPECT_EQ(flat(s.op("assign_adapter")).size(), flat(base.op("assign_adapter")).size());
}

TEST(StrategyFile, ExtendsAFileAndChecksTheResult) {
  test::TempFile base("base_strategy.toml", complete("name = \"base\"\ndescription = \"the base\"\n"));
  test::TempFile child("child_strategy.toml", "name = \"child\"\nextends = \"" + base.path().filename().string() +
                                                  "\"\ncfg_change_signal = true\n[reset]\nmechanism = "
                                                  "\"overlapped\"\n");
  Strategy s = load_strategy_file(child.path());
  EXPECT_EQ(s.name(), "child");
  EXPECT_EQ(s.description(), "the base");
  EXPECT_TRUE(s.cfg_change_signal());
  EXPECT_EQ(s.reset().kind, ResetMechanism::Kind::overlapped);
  EXPECT_EQ(s.reset().checks, 2); // the base's, kept
  // The merged strategy is checked as a whole: an override that calls under a lock the callee takes is refused.
  test::TempFile bad("bad_child.toml", "name = \"bad\"\nextends = \"linux-6.13\"\n[ops.apmask_store]\nsteps = [{ "
                                       "lock = \"guests\" }, { call = \"in_use\" }, { unlock = \"guests\" }]\n");
  const std::string error = error_of([&] { load_strategy_file(bad.path()); });
  EXPECT_EQ(error.rfind(bad.path().string() + ":4:31: error: ops.apmask_store: calls in_use while holding 'guests'", 0),
            0u)
      << error;
}

TEST(StrategyFile, ExtendsMistakes) {
  EXPECT_EQ(error_of([] { load_strategy_text("name = \"x\"\nextends = \"linux-9.9\"\n", "x.toml"); }),
            "x.toml:2:11: error: extends: unknown built-in strategy 'linux-9.9'; did you mean 'linux-6.1'? valid: "
            "linux-6.1, linux-6.13, "
            "naive-mutex, ordered, v12-trylock; or a strategy file (a path with '/' or ending in .toml)");
  // A file that extends itself.
  const std::filesystem::path loop =
      std::filesystem::temp_directory_path() / ("apq_loop_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(loop);
    out << "name = \"loop\"\nextends = \"" << loop.filename().string() << "\"\n";
  }
  const std::string error = error_of([&] { load_strategy_file(loop); });
  std::filesystem::remove(loop);
  EXPECT_NE(error.find("extends: more than 8 strategies extend one another here: is there a cycle?"), std::string::npos)
      << error;
  EXPECT_EQ(error_of([] { load_strategy_text("name = \"x\"\nextends = \"./none.toml\"\n", "/tmp/x.toml"); }),
            "/tmp/x.toml:2:11: error: extends: cannot read strategy file '/tmp/none.toml'");
}

// ---- files and scenarios ---------------------------------------------------------------------------------------

TEST(StrategyFile, ReadsAFileAndNamesItInErrors) {
  test::TempFile file("bad_strategy.toml",
                      "name = \"t\"\ndescription = \"d\"\n[reset]\nmechanism = \"sequential\"\n[ops]\nin_use = 3\n");
  EXPECT_EQ(error_of([&] { load_strategy_file(file.path()); }),
            file.path().string() + ":6:10: error: ops.in_use: expected a table, got the integer 3");
  EXPECT_EQ(error_of([] { load_strategy_file("/nonexistent/s.toml"); }),
            "/nonexistent/s.toml: error: cannot read the strategy file");
}

TEST(StrategyFile, ResolvesABuiltinOrAFileNextToTheScenario) {
  auto scenario = [](const std::string& value) {
    return test::parse_toml("[run]\nstrategy = \"" + value + "\"\n",
                            (std::filesystem::temp_directory_path() / "scenario.toml").string());
  };
  {
    auto doc = scenario("ordered");
    EXPECT_EQ(resolve_strategy(ConfigNode(doc).table("run"), "strategy").name(), "ordered");
  }
  {
    auto doc = scenario("orderd");
    std::string error = error_of([&] { resolve_strategy(ConfigNode(doc).table("run"), "strategy"); });
    EXPECT_NE(
        error.find("scenario.toml:2:12: error: run.strategy: unknown locking strategy 'orderd'; did you mean "
                   "'ordered'? valid: linux-6.1, linux-6.13, naive-mutex, ordered, v12-trylock; or a strategy file"),
        std::string::npos)
        << error;
  }
  {
    std::string text = complete("name = \"mine\"\ndescription = \"a user's strategy\"\n");
    test::TempFile file("my_strategy.toml", text);
    auto doc = scenario(file.path().filename().string());
    Strategy mine = resolve_strategy(ConfigNode(doc).table("run"), "strategy");
    EXPECT_EQ(mine.name(), "mine");
    EXPECT_EQ(mine.source_file(), file.path().string());
  }
  {
    auto doc = scenario("strategies/none.toml");
    std::string error = error_of([&] { resolve_strategy(ConfigNode(doc).table("run"), "strategy"); });
    EXPECT_NE(error.find("scenario.toml:2:12: error: run.strategy: cannot read strategy file '"), std::string::npos)
        << error;
  }
}

TEST(StrategyVocabulary, EveryNameIsDescribed) {
  const StrategyVocabulary& v = strategy_vocabulary();
  EXPECT_EQ(v.locks.size(), 7u);
  EXPECT_EQ(v.rwsems, (std::vector<std::string>{"pqap_hook"}));
  EXPECT_EQ(v.guest_locks, (std::vector<std::string>{"kvm", "pqap_hook"}));
  EXPECT_EQ(v.ops.size(), 26u);
  EXPECT_EQ(v.effects.size(), 40u);
  EXPECT_EQ(v.conditions.size(), 14u);
  EXPECT_EQ(v.iterators.size(), 4u);
  EXPECT_EQ(v.errnos.size(), 10u);
  for (const auto* names : {&v.locks, &v.ops, &v.effects, &v.conditions, &v.iterators})
    for (const std::string& name : *names)
      EXPECT_FALSE(v.descriptions.at(name).empty()) << name;
}

} // namespace
} // namespace apq
