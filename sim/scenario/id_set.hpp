#pragma once
// Adapter and domain ids as users write them: "0x00-0x0f", "0x01,0x05,0x07-0x09", 3, or a TOML array of those.

#include <bitset>
#include <functional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace apq {

/** AP ids are 8 bits (APXA): adapters 0x00-0xff, domains 0x00-0xff. */
inline constexpr int kMaxApId = 255;

class IdSet {
public:
  IdSet() = default;
  void insert(int id) { bits_.set(static_cast<std::size_t>(id)); }
  void erase(int id) { bits_.reset(static_cast<std::size_t>(id)); }
  bool contains(int id) const { return id >= 0 && id <= kMaxApId && bits_.test(static_cast<std::size_t>(id)); }
  bool empty() const { return bits_.none(); }
  std::size_t size() const { return bits_.count(); }
  std::vector<int> ids() const;
  IdSet operator&(const IdSet& other) const { return IdSet(bits_ & other.bits_); }
  IdSet operator|(const IdSet& other) const { return IdSet(bits_ | other.bits_); }
  /** The ids of this set that are not in `other` (bitmap_andnot). */
  IdSet operator-(const IdSet& other) const { return IdSet(bits_ & ~other.bits_); }
  bool intersects(const IdSet& other) const { return (bits_ & other.bits_).any(); }
  bool operator==(const IdSet&) const = default;
  /** Compact form, "0x00-0x03,0x07". */
  std::string str() const;

private:
  explicit IdSet(std::bitset<kMaxApId + 1> bits) : bits_(bits) {}
  std::bitset<kMaxApId + 1> bits_;
};

/** "0x05": an adapter or domain id as the kernel's sysfs shows it. */
std::string hex_id(int id);
/** "01.0005": an APQN as lszcrypt shows it. */
std::string apqn_name(int adapter, int domain);

/** Parses one textual id list; throws std::invalid_argument with a message that says what was expected. */
IdSet parse_id_list(std::string_view text);
/** Parses a TOML value: a string list, an integer, or an array of either. */
IdSet parse_id_node(const toml::node& node);
/** The same, each string first passed through `text` (a template instance's placeholders: "{i}"). */
IdSet parse_id_node(const toml::node& node,
                    const std::function<std::string(const std::string&, const toml::node&)>& text);

} // namespace apq
