// Locking strategies as data: the four built-ins load and carry the kernel facts the seed reproductions rely on
// (naive-mutex's ABBA, v12's trylocks, the ordered assign), and every mistake in a strategy file is reported at its
// file:line:col.
#include "models/strategy.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace apq {
namespace {

using test::error_of;

// ---- helpers ---------------------------------------------------------------------------------------------------

// `head` completed with every operation it does not define, each with no steps, so that a test writes only the part
// it is about and the line numbers in it are those of the file.
std::string complete(std::string head) {
  for (const std::string& op : strategy_vocabulary().ops)
    if (head.find("[ops." + op + "]") == std::string::npos)
      head += "\n[ops." + op + "]\nsteps = []\n";
  return head;
}

Strategy load(const std::string& head) {
  return load_strategy_text(complete(head), "t.toml");
}

std::string load_error(const std::string& head) {
  return error_of([&] { load(head); });
}

// The lock classes an operation holds just before its step `index`, in the order taken.
std::vector<std::string> held_before(const OpSteps& op, std::size_t index) {
  std::vector<std::string> held;
  for (std::size_t i = 0; i < index; ++i) {
    const Step& step = op.steps[i];
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
      held.push_back(step.target);
    if (step.kind == StepKind::unlock)
      held.erase(std::find(held.begin(), held.end(), step.target));
  }
  return held;
}

// The index of the first step of `kind` on `target`; fails the test if there is none.
std::size_t index_of_step(const OpSteps& op, StepKind kind, const std::string& target) {
  for (std::size_t i = 0; i < op.steps.size(); ++i)
    if (op.steps[i].kind == kind && op.steps[i].target == target)
      return i;
  ADD_FAILURE() << op.name << " has no step " << step_kind_name(kind) << " " << target;
  return op.steps.size();
}

std::vector<std::string> lock_sequence(const OpSteps& op) {
  std::vector<std::string> locks;
  for (const Step& step : op.steps)
    if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
      locks.push_back(step.target);
  return locks;
}

// Lockdep's view of a strategy: an edge held -> taken for each blocking lock (a trylock adds none), following calls
// inline. Returns true if the edges of all operations together contain a cycle, i.e. a possible deadlock.
bool has_lock_order_cycle(const Strategy& strategy) {
  std::map<std::string, std::set<std::string>> edges;
  std::function<void(const OpSteps&, std::vector<std::string>)> walk = [&](const OpSteps& op,
                                                                           std::vector<std::string> held) {
    for (const Step& step : op.steps) {
      if (step.kind == StepKind::lock)
        for (const std::string& h : held)
          edges[h].insert(step.target);
      if (step.kind == StepKind::lock || step.kind == StepKind::trylock)
        held.push_back(step.target);
      if (step.kind == StepKind::unlock)
        held.erase(std::find(held.begin(), held.end(), step.target));
      if (step.kind == StepKind::call)
        walk(strategy.op(step.target), held);
    }
  };
  for (const auto& [name, op] : strategy.ops())
    walk(op, {});
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

// ---- built-ins -------------------------------------------------------------------------------------------------

TEST(Strategy, BuiltinsLoadAndAreNamedAfterTheirFiles) {
  std::vector<std::string> names;
  for (const auto& entry : strategy_registry().entries())
    names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mainline-6.0", "naive-mutex", "ordered", "v12-trylock"}));
  for (const std::string& name : names) {
    Strategy strategy = builtin_strategy(name);
    EXPECT_EQ(strategy.name(), name);
    EXPECT_EQ(strategy.source_file(), "configs/strategies/" + name + ".toml");
    EXPECT_FALSE(strategy.description().empty()) << name;
    EXPECT_FALSE(strategy.source().empty()) << name;
    EXPECT_EQ(strategy_registry().find(name).description, strategy.description());
    EXPECT_EQ(strategy.ops().size(), strategy_vocabulary().ops.size()) << name;
    for (const std::string& op : strategy_vocabulary().ops) {
      EXPECT_EQ(strategy.op(op).name, op);
      EXPECT_FALSE(strategy.op(op).steps.empty()) << name << " " << op;
      EXPECT_EQ(strategy.op(op).where.rfind("configs/strategies/" + name + ".toml:", 0), 0u) << strategy.op(op).where;
    }
  }
}

TEST(Strategy, EmbeddedTextIsTheFileInTheRepository) {
  // The build embeds configs/strategies/*.toml; users read the files, the binary runs the embedded copies.
  ASSERT_EQ(detail::embedded_strategy_files().size(), 4u);
  for (const auto& file : detail::embedded_strategy_files()) {
    EXPECT_EQ(read_text(repo_root() / file.path), file.text) << file.path;
    Strategy from_disk = load_strategy_file(repo_root() / file.path);
    Strategy builtin = builtin_strategy(from_disk.name());
    for (const auto& [name, op] : builtin.ops())
      EXPECT_EQ(from_disk.op(name).steps.size(), op.steps.size()) << name;
  }
}

TEST(Strategy, UnknownBuiltinListsTheValidOnes) {
  EXPECT_EQ(error_of([] { builtin_strategy("mutex"); }),
            "unknown locking strategy 'mutex'; valid: mainline-6.0, naive-mutex, ordered, v12-trylock");
  EXPECT_THROW(builtin_strategy("mutex"), std::invalid_argument);
  EXPECT_EQ(builtin_strategy("V12-TRYLOCK").name(), "v12-trylock");
  EXPECT_EQ(error_of([] { builtin_strategy("ordered").op("assign"); }).rfind("Strategy::op(): unknown operation", 0),
            0u);
}

TEST(Strategy, NaiveMutexHasTheAbbaOfV12PatchSeven) {
  Strategy s = builtin_strategy("naive-mutex");
  // 1) apmask_store takes ap_perms and, still holding it, 3) calls in_use, which blocks on matrix.
  const OpSteps& apmask = s.op("apmask_store");
  std::size_t call = index_of_step(apmask, StepKind::call, "in_use");
  EXPECT_EQ(held_before(apmask, call), (std::vector<std::string>{"ap_perms"}));
  const OpSteps& in_use = s.op("in_use");
  std::size_t lock = index_of_step(in_use, StepKind::lock, "matrix");
  EXPECT_TRUE(held_before(in_use, lock).empty());
  // 2) assign_adapter takes matrix and, still holding it, 4) blocks on ap_perms around check_host_ownership.
  for (const char* name : {"assign_adapter", "assign_domain"}) {
    const OpSteps& assign = s.op(name);
    std::size_t perms = index_of_step(assign, StepKind::lock, "ap_perms");
    EXPECT_EQ(held_before(assign, perms), (std::vector<std::string>{"matrix"})) << name;
    std::size_t check = index_of_step(assign, StepKind::effect, "check_host_ownership");
    EXPECT_EQ(held_before(assign, check), (std::vector<std::string>{"matrix", "ap_perms"})) << name;
  }
  EXPECT_TRUE(has_lock_order_cycle(s));
}

TEST(Strategy, V12TrylocksMatrixAndAssignIgnoresApPerms) {
  Strategy s = builtin_strategy("v12-trylock");
  const OpSteps& in_use = s.op("in_use");
  ASSERT_FALSE(in_use.steps.empty());
  EXPECT_EQ(describe_step(in_use.steps.front()), "trylock matrix (busy EBUSY)");
  EXPECT_EQ(describe_step(in_use.steps.back()), "unlock matrix"); // released before returning to apmask_store
  for (const char* name : {"assign_adapter", "assign_domain", "assign_control_domain"}) {
    const OpSteps& assign = s.op(name);
    std::size_t trylock = index_of_step(assign, StepKind::trylock, "matrix");
    EXPECT_EQ(assign.steps[trylock].error, "EBUSY") << name;
    for (const Step& step : assign.steps) {
      EXPECT_NE(step.target, "ap_perms") << name;
      EXPECT_NE(step.target, "check_host_ownership") << name;
      if (step.target == "check_sharing") {
        EXPECT_EQ(step.error, "EBUSY") << name;
      }
    }
  }
  // The stolen-queue window: commit under ap_perms after in_use returned, the reprobe after the unlock.
  const OpSteps& apmask = s.op("apmask_store");
  std::size_t call = index_of_step(apmask, StepKind::call, "in_use");
  std::size_t commit = index_of_step(apmask, StepKind::effect, "commit_masks");
  std::size_t unlock = index_of_step(apmask, StepKind::unlock, "ap_perms");
  std::size_t reprobe = index_of_step(apmask, StepKind::effect, "reprobe");
  EXPECT_LT(call, commit);
  EXPECT_EQ(held_before(apmask, commit), (std::vector<std::string>{"ap_perms"}));
  EXPECT_LT(commit, unlock);
  EXPECT_LT(unlock, reprobe);
  EXPECT_TRUE(held_before(apmask, reprobe).empty());
  EXPECT_FALSE(has_lock_order_cycle(s)); // trylocks add no order edge
}

TEST(Strategy, OrderedAndMainlineHoldApPermsAcrossTheWholeAssign) {
  for (const char* name : {"ordered", "mainline-6.0"}) {
    Strategy s = builtin_strategy(name);
    for (const char* op_name : {"assign_adapter", "assign_domain"}) {
      const OpSteps& assign = s.op(op_name);
      EXPECT_EQ(lock_sequence(assign).front(), "ap_perms") << name << " " << op_name;
      for (const char* effect : {"check_host_ownership", "check_sharing", "assign"}) {
        std::vector<std::string> held = held_before(assign, index_of_step(assign, StepKind::effect, effect));
        EXPECT_NE(std::find(held.begin(), held.end(), "ap_perms"), held.end()) << name << " " << effect;
      }
      for (const Step& step : assign.steps)
        EXPECT_NE(step.kind, StepKind::trylock) << name;
    }
    for (const Step& step : s.op("in_use").steps)
      EXPECT_NE(step.kind, StepKind::trylock) << name; // in_use blocks
    EXPECT_FALSE(has_lock_order_cycle(s)) << name;
  }
}

TEST(Strategy, MainlineTakesTheSplitLocksInOrder) {
  Strategy s = builtin_strategy("mainline-6.0");
  using Locks = std::vector<std::string>;
  EXPECT_EQ(lock_sequence(s.op("assign_adapter")), (Locks{"ap_perms", "guests", "kvm", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("assign_domain")), (Locks{"ap_perms", "guests", "kvm", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("assign_control_domain")), (Locks{"guests", "kvm", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("unassign_adapter")), (Locks{"guests", "kvm", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("in_use")), (Locks{"guests", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("set_kvm")), (Locks{"guests", "kvm", "pqap_hook", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("unset_kvm")), (Locks{"guests", "kvm", "pqap_hook", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("pqap_aqic")), (Locks{"pqap_hook", "mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("vfio_reset")), (Locks{"mdevs"}));
  EXPECT_EQ(lock_sequence(s.op("probe_queue")), (Locks{"ap_perms", "guests", "kvm", "mdevs"}));
  // The resets run under every lock, as flush_work() does in the kernel.
  const OpSteps& unassign = s.op("unassign_adapter");
  EXPECT_EQ(held_before(unassign, index_of_step(unassign, StepKind::effect, "reset_removed_queues")),
            (Locks{"guests", "kvm", "mdevs"}));
  const OpSteps& unset = s.op("unset_kvm");
  EXPECT_EQ(held_before(unset, index_of_step(unset, StepKind::effect, "reset_all_queues")),
            (Locks{"guests", "kvm", "pqap_hook", "mdevs"}));
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
[ops.apmask_store]
steps = [
  { trylock = "ap_perms" },
  { work = { dist = "exponential", mean = "3us" } },
  { call = "in_use" },
  { effect = "commit_masks", errno = "EIO" },
  { unlock = "ap_perms" },
  { lock = "ap_scan" },
  { work = "1ms" },
  { unlock = "ap_scan" },
]
)");
  EXPECT_EQ(s.name(), "mine");
  EXPECT_EQ(s.description(), "all step kinds");
  EXPECT_EQ(s.source(), "nowhere");
  EXPECT_EQ(s.source_file(), "t.toml");
  const OpSteps& op = s.op("apmask_store");
  EXPECT_EQ(op.where, "t.toml:4:1");
  ASSERT_EQ(op.steps.size(), 8u);
  EXPECT_EQ(describe_step(op.steps[0]), "trylock ap_perms (busy EBUSY)"); // busy defaults to EBUSY
  EXPECT_EQ(op.steps[0].where, "t.toml:6:3");
  EXPECT_DOUBLE_EQ(op.steps[1].work->mean(), 3e-6);
  EXPECT_DOUBLE_EQ(op.steps[1].work->cv(), 1.0);
  EXPECT_EQ(describe_step(op.steps[2]), "call in_use");
  EXPECT_EQ(describe_step(op.steps[3]), "effect commit_masks (errno EIO)");
  EXPECT_EQ(op.steps[3].error, "EIO");
  EXPECT_DOUBLE_EQ(op.steps[6].work->mean(), 1e-3);
  EXPECT_TRUE(s.op("in_use").steps.empty());
}

TEST(StrategyFile, TopLevelMistakes) {
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\ncolour = \"blue\"\n"),
            "t.toml:3:1: error: unknown key 'colour' at top level; valid keys: description, name, ops, source");
  EXPECT_EQ(load_error("description = \"d\"\n"), "t.toml:1:1: error: missing required key 'name'");
  EXPECT_EQ(load_error("name = \"\"\ndescription = \"d\"\n"), "t.toml:1:8: error: name: must not be empty");
  EXPECT_EQ(error_of([] { load_strategy_text("name = \"t\"\ndescription = \"d\"\n", "t.toml"); }),
            "t.toml:1:1: error: missing required key 'ops'");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \n").rfind("t.toml:2:", 0), 0u); // TOML syntax
}

TEST(StrategyFile, UnknownAndMissingOperations) {
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.assign_adaptor]\nsteps = []\n")
                .rfind("t.toml:3:1: error: ops.assign_adaptor: unknown operation 'assign_adaptor'; did you mean 'assign_adapter'? valid: "
                       "apmask_store, aqmask_store, in_use, assign_adapter,",
                       0),
            0u);
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = []\nnote = 1\n"),
            "t.toml:5:1: error: unknown key 'note' in ops.in_use; valid keys: steps");
  std::string missing = error_of([] {
    load_strategy_text("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = []\n[ops.vfio_reset]\nsteps = []\n",
                       "t.toml");
  });
  EXPECT_EQ(
      missing.rfind("t.toml:3:1: error: ops: missing operations: apmask_store, aqmask_store, assign_adapter, ", 0), 0u)
      << missing;
  EXPECT_NE(missing.find("scan_complete (a strategy defines every operation"), std::string::npos) << missing;
  EXPECT_EQ(missing.find("in_use,"), std::string::npos);
}

TEST(StrategyFile, StepShapeMistakes) {
  auto step_error = [](const std::string& step) {
    return load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = [\n  " + step + ",\n]\n");
  };
  EXPECT_EQ(step_error("{ grab = \"matrix\" }"),
            "t.toml:5:12: error: ops.in_use.steps[0].grab: unknown key 'grab' in a step; a step is one of "
            "{ lock = LOCK }, { trylock = LOCK, busy = ERRNO }, { unlock = LOCK }, { work = DURATION }, "
            "{ call = OP }, { effect = EFFECT, errno = ERRNO }");
  EXPECT_EQ(step_error("{ lock = \"matrix\", work = \"1us\" }"),
            "t.toml:5:29: error: ops.in_use.steps[0].work: a step does one thing, this one has both 'lock' and "
            "'work'; write two steps");
  EXPECT_EQ(step_error("{}").rfind("t.toml:5:3: error: ops.in_use.steps[0]: a step needs one of lock, trylock, ", 0),
            0u);
  EXPECT_EQ(step_error("{ lock = \"matrix\", busy = \"EBUSY\" }"),
            "t.toml:5:29: error: ops.in_use.steps[0].busy: 'busy' (the errno of a trylock that finds its lock held) "
            "only goes with trylock");
  EXPECT_EQ(step_error("{ work = \"1us\", errno = \"EIO\" }"),
            "t.toml:5:27: error: ops.in_use.steps[0].errno: 'errno' (the errno of a failing effect) only goes with "
            "effect");
  EXPECT_EQ(step_error("{ lock = 3 }"),
            "t.toml:5:12: error: ops.in_use.steps[0].lock: expected a string, got the integer 3");
  EXPECT_EQ(load_error("name = \"t\"\ndescription = \"d\"\n[ops.in_use]\nsteps = \"lock matrix\"\n"),
            "t.toml:4:9: error: ops.in_use.steps: expected an array of tables, got the string \"lock matrix\"");
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
                .rfind("t.toml:5:14: error: ops.in_use.steps[0].effect: unknown effect 'steal'; valid: check_in_use, "
                       "commit_masks, reprobe, ",
                       0),
            0u);
  EXPECT_EQ(step_error("{ trylock = \"matrix\", busy = \"EWOULDBLOCK\" }"),
            "t.toml:5:32: error: ops.in_use.steps[0].busy: unknown errno 'EWOULDBLOCK'; valid: EBUSY, EAGAIN, EINVAL, "
            "ENODEV, EADDRINUSE, EADDRNOTAVAIL, EIO, EPERM, ERESTARTSYS, EOPNOTSUPP");
  EXPECT_EQ(step_error("{ effect = \"check_in_use\", errno = \"ebusy\" }")
                .rfind("t.toml:5:38: error: ops.in_use.steps[0].errno: unknown errno 'ebusy'; did you mean 'EBUSY'? valid: EBUSY,", 0),
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
  EXPECT_EQ(step_error("{ work = { dist = \"exponential\", mean = \"1us\", shape = 2 } }")
                .rfind("t.toml:5:50: error: unknown key 'shape' in ops.in_use.steps[0].work", 0),
            0u);
}

TEST(StrategyFile, LockPairingIsCheckedPerOperation) {
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
  { unlock = "matrix" },
  { unlock = "matrix" },
]
)"),
            "t.toml:7:3: error: ops.in_use: unlock of 'matrix', which this operation does not hold at this point");
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
            "t.toml:5:3): the kernel would deadlock on itself, and SimGrid 3.32 cannot relock a mutex");
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
  // Unlocking out of order is allowed: the kernel does it (vfio_ap_mdev_set_kvm() up to 5.19).
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
            "t.toml:4:10: error: ops.in_use: the operation calls itself (in_use)");
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.apmask_store]
steps = [{ call = "in_use" }]
[ops.in_use]
steps = [{ work = "1us" }, { call = "apmask_store" }]
)"),
            "t.toml:6:28: error: ops.in_use: call cycle apmask_store -> in_use -> apmask_store");
  // The reprobe runs remove_queue and probe_queue, so a probe that reprobes would never end.
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.probe_queue]
steps = [{ effect = "reprobe" }]
)"),
            "t.toml:4:10: error: ops.probe_queue: the operation calls itself (probe_queue (run by reprobe))");
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
            "it runs) takes at t.toml:6:10: a self-deadlock; release 'matrix' first");
  // ap_bus_revise_bindings() runs after ap_perms_mutex is released because ap_device_probe() takes it.
  EXPECT_EQ(load_error(R"(name = "t"
description = "d"
[ops.apmask_store]
steps = [{ lock = "ap_perms" }, { effect = "reprobe" }, { unlock = "ap_perms" }]
[ops.probe_queue]
steps = [{ lock = "ap_perms" }, { unlock = "ap_perms" }]
)"),
            "t.toml:4:33: error: ops.apmask_store: reprobe runs probe_queue while holding 'ap_perms', which "
            "probe_queue (or an operation it runs) takes at t.toml:6:10: a self-deadlock; release 'ap_perms' first");
}

// ---- files and scenarios ---------------------------------------------------------------------------------------

TEST(StrategyFile, ReadsAFileAndNamesItInErrors) {
  test::TempFile file("bad_strategy.toml", "name = \"t\"\ndescription = \"d\"\nops = 3\n");
  EXPECT_EQ(error_of([&] { load_strategy_file(file.path()); }),
            file.path().string() + ":3:7: error: ops: expected a table, got the integer 3");
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
    EXPECT_NE(error.find("scenario.toml:2:12: error: run.strategy: unknown locking strategy 'orderd'; did you mean 'ordered'? valid: "
                         "mainline-6.0, naive-mutex, ordered, v12-trylock; or a strategy file"),
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
  EXPECT_EQ(v.ops.size(), 17u);
  EXPECT_EQ(v.effects.size(), 17u);
  EXPECT_EQ(v.errnos.size(), 10u);
  for (const auto* names : {&v.locks, &v.ops, &v.effects})
    for (const std::string& name : *names)
      EXPECT_FALSE(v.descriptions.at(name).empty()) << name;
}

} // namespace
} // namespace apq
