// Locking strategies of the vfio_ap control plane, as data: for each operation (apmask store, assign adapter, guest
// start, ...) a strategy file lists the steps it takes (lock, trylock, unlock, work, call, effect). C++ holds the
// mechanisms (the kernel locks, the effects); the files hold the policy, so comparing the 2020 trylock proposal with
// the 6.0 split locks, or with a proposal of one's own, is a matter of editing TOML.
//
// Failure semantics (carried out by the control plane's interpreter, documented in configs/strategies/README.md):
//  - a `trylock` that finds its lock held, or an `effect` that fails, ends the operation: it releases every lock it
//    holds, most recent first (a kernel function's `goto out_unlock`), and returns the errno (the step's `busy` or
//    `errno`, else the effect's default);
//  - a `call` runs another operation inline, in the same actor; if the callee fails, the caller fails the same way
//    with the same errno;
//  - `kvm` and `pqap_hook` are the locks of the operation's guest (the guest attached to its mdev; for set_kvm the
//    guest being attached). With no such guest a lock step on them is skipped, as the kernel's
//    `if (matrix_mdev->kvm)`, and so is the matching unlock, even if the guest was attached or detached meanwhile.
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

enum class StepKind { lock, trylock, unlock, work, call, effect };

/** "lock", "trylock", ... (the TOML key of the step). */
std::string_view step_kind_name(StepKind kind);

/** One step of an operation. */
struct Step {
  StepKind kind = StepKind::work;
  std::string target;   ///< lock class (lock, trylock, unlock), operation (call) or effect name; empty for work
  std::string error;    ///< errno name: a trylock's `busy` (EBUSY when omitted), an effect's `errno` override
                        ///< (empty = the effect's default)
  DistributionPtr work; ///< time spent holding what is held (work steps only)
  std::string where;    ///< "file:line:col" of the step in its strategy file
};

/** "lock matrix", "trylock matrix (busy EBUSY)", "work 2us", "call in_use", "effect check_sharing (errno EBUSY)". */
std::string describe_step(const Step& step);

/** The steps of one operation, in order. */
struct OpSteps {
  std::string name;
  std::vector<Step> steps;
  std::string where; ///< "file:line:col" of the [ops.NAME] table
};

/** The fixed names a strategy may use. Every strategy defines every operation. */
struct StrategyVocabulary {
  std::vector<std::string> locks;
  std::vector<std::string> ops;
  std::vector<std::string> effects;
  std::vector<std::string> errnos;
  /** One line per lock, operation and effect, for `apqsim list` and error messages. */
  std::map<std::string, std::string, std::less<>> descriptions;
};

const StrategyVocabulary& strategy_vocabulary();

/** A validated locking strategy: every operation of the vocabulary, each with steps that name known locks, ops,
 *  effects and errnos, lock and unlock in pairs, never relock what they hold, and call no cycle. */
class Strategy {
public:
  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  /** Where the design comes from (patch, message id, kernel version), as the file's `source` says; may be empty. */
  const std::string& source() const { return source_; }
  /** The file it was read from ("configs/strategies/v12-trylock.toml" for a built-in). */
  const std::string& source_file() const { return source_file_; }
  /** The steps of operation `name`; throws std::invalid_argument for a name outside the vocabulary. */
  const OpSteps& op(std::string_view name) const;
  const std::map<std::string, OpSteps>& ops() const { return ops_; }

private:
  friend Strategy load_strategy_text(std::string_view toml, const std::string& file_name);
  Strategy() = default;

  std::string name_;
  std::string description_;
  std::string source_;
  std::string source_file_;
  std::map<std::string, OpSteps> ops_;
};

/** Reads and validates a strategy file; every mistake is a ConfigError "FILE:LINE:COL: error: ...". */
Strategy load_strategy_file(const std::filesystem::path& file);
/** The same from text; `file_name` names it in locations and messages. */
Strategy load_strategy_text(std::string_view toml, const std::string& file_name);

using StrategyRegistry = Registry<Strategy()>;

/** The built-in strategies: one entry per .toml file of configs/strategies/, embedded at build time, named and
 *  described by the file itself (mainline-6.0, naive-mutex, ordered, v12-trylock). */
const StrategyRegistry& strategy_registry();

/** The built-in strategy `name`; an unknown name throws std::invalid_argument listing the valid ones. */
Strategy builtin_strategy(std::string_view name);

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
