// One registry per kind of pluggable model (card types, distributions, arrival processes, ...).
//
// Each registry is built once by a function holding a function-local `static const` object, so it is immutable,
// has no static-initialisation-order problem, and cannot be dropped by the linker the way self-registering
// objects in a static library can.
#pragma once

#include "models/suggest.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace apq {

/** Documentation of one parameter of a model, for `apqsim list` and error messages. */
struct ParamDoc {
  std::string name;
  std::string kind;          ///< duration | rate | number | integer | string | bool | table | path
  std::string default_value; ///< empty = required
  std::string description;
};

/** ASCII case-insensitive equality, for model and operation names. */
inline bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

/** Named factories of one kind. Names match case-insensitively; entries keep their canonical spelling and the order
 *  in which they were added (which is the order listings and error messages use). */
template <class Signature>
class Registry {
public:
  struct Entry {
    std::string name;
    std::string description;
    std::vector<ParamDoc> params;
    std::function<Signature> make;
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  /** Adds an entry; a second entry with the same name (in any case) is a programming error. */
  Registry& add(Entry entry) {
    if (lookup(entry.name))
      throw std::logic_error("Registry::add(): duplicate " + kind_ + " '" + entry.name + "'");
    entries_.push_back(std::move(entry));
    return *this;
  }

  /** The entry called `name`; throws std::invalid_argument "unknown <kind> 'x'; [did you mean 'y'? ]valid: a, b, c"
   *  otherwise. */
  const Entry& find(std::string_view name) const {
    if (const Entry* entry = lookup(name))
      return *entry;
    throw std::invalid_argument(unknown_name_message(kind_, name, names()));
  }

  /** The entry called `name`, or nullptr. */
  const Entry* lookup(std::string_view name) const {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return iequals(e.name, name); });
    return it == entries_.end() ? nullptr : &*it;
  }

  const std::vector<Entry>& entries() const { return entries_; }
  /** The canonical names, in order. */
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_)
      out.push_back(entry.name);
    return out;
  }
  const std::string& kind() const { return kind_; }

private:
  std::string kind_;
  std::vector<Entry> entries_;
};

} // namespace apq
