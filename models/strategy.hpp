// Locking strategies of the vfio_ap control plane, as data: for each operation (apmask store, assign adapter, guest
// start, bus scan, ...) a strategy file lists the steps it takes (lock, trylock, down_read, work, call, effect),
// which of them run only under a condition on the state, and which run once per mdev or per queue device. C++
// holds the mechanisms (the kernel locks, the effects, the conditions); the files hold the policy of one kernel
// version or proposal, so comparing the 2020 trylock proposal with Linux 6.1 or 6.13, or with a proposal of one's
// own, is a matter of editing TOML (configs/strategies/README.md).
//
// Failure semantics (carried out by the control plane's interpreter, documented in configs/strategies/README.md):
//  - a `trylock` that finds its lock taken, or an `effect` that fails, ends the operation: it releases every lock
//    it holds, most recent first (a kernel function's `goto out_unlock`), and returns the errno (the step's `busy`
//    or `errno`, else the effect's default); a trylock with busy = "skip" ends it the same way with success;
//  - a `call` runs another operation inline, in the same task; if the callee fails, the caller fails with the
//    call step's `errno`, else with the callee's;
//  - `kvm` and `pqap_hook` are the locks of the operation's guest (the guest attached to its mdev; for set_kvm and
//    the vCPU intercept the guest itself). With no such guest a lock step on them is skipped, as the kernel's
//    `if (matrix_mdev->kvm)`, and so is the matching unlock; a step marked no_guest = "oops" dereferences the NULL
//    pointer instead, as vfio_ap_mdev_cfg_remove() does in 6.1 and 6.13: the kernel-bug monitor reports it.
#pragma once

#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/registry.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace apq {

/** lock/trylock/unlock take a mutex; down_read/down_write/up_read/up_write an rw_semaphore. `group` runs its steps
 *  under a condition, `each` once per item of an iterator. */
enum class StepKind { lock, trylock, unlock, work, call, effect, group, each };
/** How a lock step takes a lock: write for mutex_lock() and down_write(), read for down_read(). */
enum class StepMode { write, read };

/** A condition on the state: a registered name, possibly negated ("!apcb_changed"). */
struct ConditionTerm {
  std::string name;
  bool negated = false;
};

/** One step of an operation. */
struct Step {
  StepKind kind = StepKind::work;
  StepMode mode = StepMode::write;
  std::string target; ///< lock class, operation (call), effect, or iterator (each); empty for work and group
  std::string error;  ///< trylock `busy` (EBUSY when omitted, or "skip"), effect/call `errno` (empty = default)
  bool oops_without_guest = false; ///< kvm/pqap_hook lock with no_guest = "oops"
  DistributionPtr work;            ///< time spent holding what is held (work steps only)
  std::vector<ConditionTerm> when; ///< all must hold for the step (or group) to run; empty = always
  std::vector<Step> body;          ///< group and each
  std::string where;               ///< "file:line:col" of the step in its strategy file
};

/** The TOML key of a step: "lock", "down_read", "up_write", "if" (a group), "each", ... */
std::string_view step_key(const struct Step& step);

/** "lock matrix", "down_read pqap_hook", "trylock ap_scan (busy skip)", "work 2us", "if apcb_changed: 2 steps". */
std::string describe_step(const Step& step);

/** The steps of one operation, in order. */
struct OpSteps {
  std::string name;
  std::vector<Step> steps;
  std::string where; ///< "file:line:col" of the [ops.NAME] table
};

/** How vfio_ap resets queues (vfio_ap_mdev_reset_queue and its callers), a property of the kernel version. */
struct ResetMechanism {
  enum class Kind {
    /** 2020..6.5: queue by queue: ZAPQ; on RESET_IN_PROGRESS sleep one interval and retry (zapq_retries times);
     *  then up to `checks` x (sleep one interval, TAPQ) until the queue is empty with interrupts off; then WARN
     *  and carry on. */
    sequential,
    /** 6.6+: ZAPQ every queue, then flush_work() each: a work item sleeps one interval and TAPQs until the reset
     *  is done, with no cap, re-issuing ZAPQ if the first found a reset in progress. */
    overlapped,
  };
  Kind kind = Kind::sequential;
  int zapq_retries = 1;
  int checks = 2;
  std::string where;
};

/** One name of the vocabulary with the line `apqsim list` shows. */
struct Term {
  std::string name;
  std::string description;
};

/** The fixed names a strategy may use. Every strategy defines every operation. */
struct StrategyVocabulary {
  std::vector<std::string> locks;
  std::vector<std::string> rwsems;      ///< the locks that are rw_semaphores (the others are mutexes)
  std::vector<std::string> guest_locks; ///< locks of the operation's guest (kvm, pqap_hook)
  std::vector<std::string> ops;
  std::vector<std::string> effects;
  std::vector<std::string> conditions;
  std::vector<std::string> iterators;
  std::vector<std::string> errnos;
  /** One line per lock, operation, effect, condition and iterator, for `apqsim list` and error messages. */
  std::map<std::string, std::string, std::less<>> descriptions;
};

const StrategyVocabulary& strategy_vocabulary();

/** A validated locking strategy: every operation of the vocabulary, each with steps that name known locks, ops,
 *  effects, conditions and errnos, lock and unlock in pairs (groups and loops balanced), never relock what they
 *  hold, and call no cycle. */
class Strategy {
public:
  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  /** Where the design comes from (kernel tree and commit, patch, message id), as the file's `source` says. */
  const std::string& source() const { return source_; }
  /** The file it was read from ("configs/strategies/v12-trylock.toml" for a built-in). */
  const std::string& source_file() const { return source_file_; }
  /** The strategy this one extends ("" for none), as its file names it. */
  const std::string& extends() const { return extends_; }
  const ResetMechanism& reset() const { return reset_; }
  /** Linux 6.15+: every APCB update signals the mdev's config-change eventfd (signal_guest_ap_cfg_changed). */
  bool cfg_change_signal() const { return cfg_change_signal_; }
  /** The steps of operation `name`; throws std::invalid_argument for a name outside the vocabulary. */
  const OpSteps& op(std::string_view name) const;
  const std::map<std::string, OpSteps>& ops() const { return ops_; }

private:
  friend Strategy load_strategy_text(std::string_view toml, const std::string& file_name);
  friend class StrategyReader;
  Strategy() = default;

  std::string name_;
  std::string description_;
  std::string source_;
  std::string source_file_;
  std::string extends_;
  ResetMechanism reset_;
  bool cfg_change_signal_ = false;
  std::map<std::string, OpSteps> ops_;
};

/** Reads and validates a strategy file; every mistake is a ConfigError "FILE:LINE:COL: error: ...". An
 *  `extends` naming a file is resolved relative to this file. */
Strategy load_strategy_file(const std::filesystem::path& file);
/** The same from text; `file_name` names it in locations and messages and anchors a relative `extends`. */
Strategy load_strategy_text(std::string_view toml, const std::string& file_name);

using StrategyRegistry = Registry<Strategy()>;

/** The built-in strategies: one entry per .toml file of configs/strategies/, embedded at build time, named and
 *  described by the file itself (linux-6.1, linux-6.13, naive-mutex, ordered, v12-trylock). */
const StrategyRegistry& strategy_registry();

/** The built-in strategy `name`; an unknown name throws std::invalid_argument listing the valid ones. */
Strategy builtin_strategy(std::string_view name);

/** The built-in a scenario runs when its [run] names none. */
inline constexpr std::string_view kDefaultStrategy = "linux-6.13";

/** The strategy that the string `key` of `run_table` names: a built-in, or, when the value contains '/' or ends in
 *  ".toml", a strategy file resolved relative to the scenario file that holds the value. Errors are located at the
 *  value (unknown name, missing file) or inside the strategy file. */
Strategy resolve_strategy(const ConfigNode& run_table, std::string_view key);

namespace detail {

/** A .toml file of configs/strategies/: its repo-relative path and its text. */
struct EmbeddedFile {
  std::string_view path;
  std::string_view text;
};

/** Every .toml file of configs/strategies/, sorted by path; defined by the source models/CMakeLists.txt generates. */
const std::vector<EmbeddedFile>& embedded_strategy_files();

} // namespace detail
} // namespace apq
