// Located, typed access to one TOML table of a scenario: every error names file, line and column.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace apq {

/** A configuration error. what() is "FILE:LINE:COL: error: MESSAGE" (or "FILE: error: MESSAGE" when only the file
 *  is known, "error: MESSAGE" when nothing is). */
class ConfigError : public std::runtime_error {
public:
  ConfigError(const std::string& location, const std::string& message);
  const std::string& location() const { return location_; }
  const std::string& message() const { return message_; }

private:
  std::string location_;
  std::string message_;
};

/** "file:line:col" of a TOML node, or `fallback_file` alone when the node carries no position (e.g. a copied node).
 *  A value set on the command line carries its flag as its source ("--set run.seed=3"): that is its location. */
std::string location_of(const toml::node& node, std::string_view fallback_file = {});
std::string location_of(const toml::source_region& region, std::string_view fallback_file = {});

/** The source name that marks a value as set by `--set PATH=VALUE`: locations print it alone, without line:col. */
std::string command_line_source(std::string_view path, std::string_view value);

/** Scenario, include and strategy files larger than this are refused unless [limits] include_bytes says otherwise. */
inline constexpr std::uintmax_t kDefaultMaxConfigFileBytes = 16u << 20;

/** The text of a configuration file: it must be a regular file of at most `max_bytes`. A directory, a device (say
 *  /dev/zero), a FIFO, a larger or unreadable file throws ConfigError naming the file and the OS error, located at
 *  `location` when given (the `include` that names the file), else at the file: "cannot read WHAT FILE: why". */
std::string read_config_file(const std::filesystem::path& file, std::uintmax_t max_bytes = kDefaultMaxConfigFileBytes,
                             const std::string& location = {}, std::string_view what = "file");

/** A TOML table plus its dotted path ("guests[1].arrival") for messages.
 *
 *  Every getter counts its key as asked for, found or not; reject_unknown_keys() then reports any key of the
 *  table nobody asked for. The record of asked keys is shared by every ConfigNode built from the same root (copies
 *  and children alike), so several readers of one table (the scenario loader and a card-type factory) combine.
 *  The wrapped toml::table must outlive the node. Getters throw ConfigError located at the value for a wrong type
 *  or a bad unit, and at the table for a missing required key. A missing required key is reported as what it
 *  usually is when the table has a key nobody asked for that is a near miss of it: a typo ("unknown key 'horizn'
 *  in run; did you mean 'horizon'?", located at the typo). */
class ConfigNode {
public:
  /** `path` is the prefix used in messages (empty for the document root); `file` names the source when the
   *  TOML nodes carry none. */
  explicit ConfigNode(const toml::table& table, std::string path = {}, std::string file = {});

  bool has(std::string_view key) const;

  /** A string with a unit ("30s"); a bare TOML number is accepted only when it is 0. */
  double duration(std::string_view key) const;
  double duration_or(std::string_view key, double fallback) const;
  /** A string with a unit ("20k/s"); a bare TOML number is accepted only when it is 0. */
  double rate(std::string_view key) const;
  double rate_or(std::string_view key, double fallback) const;
  /** An integer or a floating-point TOML value. */
  double number(std::string_view key) const;
  double number_or(std::string_view key, double fallback) const;
  int64_t integer(std::string_view key) const;
  int64_t integer_or(std::string_view key, int64_t fallback) const;
  std::string string(std::string_view key) const;
  std::string string_or(std::string_view key, std::string fallback) const;
  bool boolean_or(std::string_view key, bool fallback) const;
  /** An array of strings, e.g. `ops = ["rsa_crt_2k", "rng"]`. */
  std::vector<std::string> strings(std::string_view key) const;

  ConfigNode table(std::string_view key) const;
  std::optional<ConfigNode> table_opt(std::string_view key) const;
  /** An array of tables ([[guests]]); element i has the path "key[i]". */
  std::vector<ConfigNode> tables(std::string_view key) const;
  /** The value itself (nullptr when absent), for shapes the getters do not cover. */
  const toml::node* raw(std::string_view key) const;
  /** A file path, resolved relative to the directory of the TOML file the value came from (a path set with --set:
   *  to the working directory). A directory or a device (/dev/zero) fails located at the value; a missing file is
   *  left to the caller, which knows what the file was for. */
  std::filesystem::path path_value(std::string_view key) const;

  /** Instance `index` of a template table (`count = N`): the same table, in which every string a getter returns
   *  has its placeholders replaced ("vm-{i}" -> "vm-3"; also {i+K}, {K*i}, {K*i+M}), named `label` in messages.
   *  Children inherit the instance. */
  ConfigNode instance(int64_t index, std::string label) const;
  /** `text`, a string value of this table (or of one of its arrays), with the instance's placeholders replaced;
   *  unchanged outside a template instance. A malformed placeholder fails located at `value`. */
  std::string substitute(const std::string& text, const toml::node& value) const;

  /** The keys of this table in document order. Does not count them as asked. */
  std::vector<std::string> keys() const;

  /** "file:line:col" of the value of `key`, or of the table when the key is absent. */
  std::string where(std::string_view key) const;
  /** "file:line:col" of the table. */
  std::string where() const;
  /** The dotted path of this table ("guests[1].arrival"); empty for the document root. */
  const std::string& path() const { return path_; }
  /** The dotted path of a key of this table ("guests[1].arrival.rate"). */
  std::string key_path(std::string_view key) const;
  const toml::table& toml() const { return *table_; }

  /** Throws ConfigError located at the value of `key` (or the table), message prefixed by the key path. */
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  /** Throws ConfigError located at the table, message prefixed by its path. */
  [[noreturn]] void fail(const std::string& message) const;
  /** For a required key or table that is absent: throws the unknown-key error of a near miss of `key` when the
   *  table has one (the typo is the mistake), else ConfigError located at the table with `message`. */
  [[noreturn]] void fail_missing(std::string_view key, const std::string& message) const;
  /** Throws ConfigError located at `value` (an element of an array, say), message as given. */
  [[noreturn]] void fail_at(const toml::node& value, const std::string& message) const;

  /** Throws at the first key (in document order) that no reader asked for, with the closest asked keys ("did you
   *  mean") and the list of the keys that were asked. */
  void reject_unknown_keys() const;

  /** Reads the string `key` and returns the registry entry of that name; an unknown name fails located at the
   *  value with the registry's message (which lists the valid names). */
  template <class R>
  const typename R::Entry& choose(const R& registry, std::string_view key) const {
    std::string name = string(key);
    if (const auto* entry = registry.lookup(name))
      return *entry;
    try {
      return registry.find(name);
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }

private:
  using KeySet = std::set<std::string, std::less<>>;
  using UsedKeys = std::map<const toml::table*, KeySet>;

  ConfigNode(const toml::table& table, std::string path, std::string file, std::shared_ptr<UsedKeys> used,
             std::optional<int64_t> instance = std::nullopt);
  const toml::node* get(std::string_view key) const; // marks the key as asked
  const toml::node& require(std::string_view key) const;
  /** A key of the table that no reader asked for and that is a near miss of `key`, or nullptr. */
  const toml::key* unasked_near_miss(std::string_view key) const;
  /** "unknown key ...; did you mean ...? valid keys: ..."; `meant`, when given, is the suggestion. */
  [[noreturn]] void fail_unknown_key(const toml::key& key, const std::vector<std::string>& valid,
                                     const std::string& meant) const;
  [[noreturn]] void wrong_type(std::string_view key, const toml::node& value, std::string_view expected) const;
  double unit_value(std::string_view key, const toml::node& value, bool is_rate) const;

  const toml::table* table_;
  std::string path_;
  std::string file_;
  std::shared_ptr<UsedKeys> used_;
  std::optional<int64_t> instance_; ///< set inside a template instance: placeholders take this index
};

/** "vm-{i}" with i = 3 -> "vm-3"; {i+K}, {K*i} and {K*i+M} (K, M integers, spaces allowed) compute. Throws
 *  std::invalid_argument for a brace that does not hold such an expression. */
std::string substitute_placeholders(std::string_view text, int64_t index);
/** Whether `text` holds a placeholder ({...}). */
bool has_placeholder(std::string_view text);

} // namespace apq
