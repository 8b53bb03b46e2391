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

/** "file:line:col" of a TOML node, or `fallback_file` alone when the node carries no position (e.g. a copied node). */
std::string location_of(const toml::node& node, std::string_view fallback_file = {});

/** A TOML table plus its dotted path ("guests[1].arrival") for messages.
 *
 *  Every getter counts its key as asked for, found or not; reject_unknown_keys() then reports any key of the
 *  table nobody asked for. The record of asked keys is shared by every ConfigNode built from the same root (copies
 *  and children alike), so several readers of one table (the scenario loader and a card-type factory) combine.
 *  The wrapped toml::table must outlive the node. Getters throw ConfigError located at the value for a wrong type
 *  or a bad unit, and at the table for a missing required key. */
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
  /** A file path, resolved relative to the directory of the TOML file the value came from. */
  std::filesystem::path path_value(std::string_view key) const;

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
  /** Throws ConfigError located at `value` (an element of an array, say), message as given. */
  [[noreturn]] void fail_at(const toml::node& value, const std::string& message) const;

  /** Throws at the first key (in document order) that no reader asked for, listing the keys that were asked. */
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

  ConfigNode(const toml::table& table, std::string path, std::string file, std::shared_ptr<UsedKeys> used);
  const toml::node* get(std::string_view key) const; // marks the key as asked
  const toml::node& require(std::string_view key) const;
  [[noreturn]] void wrong_type(std::string_view key, const toml::node& value, std::string_view expected) const;
  double unit_value(std::string_view key, const toml::node& value, bool is_rate) const;

  const toml::table* table_;
  std::string path_;
  std::string file_;
  std::shared_ptr<UsedKeys> used_;
};

} // namespace apq
