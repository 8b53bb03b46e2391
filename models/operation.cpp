#include "models/operation.hpp"

#include "models/registry.hpp"
#include "models/suggest.hpp"

#include <vector>

namespace apq {
namespace {

constexpr std::array<std::string_view, kOperationCount> kNames{
    "rsa_me_1k", "rsa_me_2k",  "rsa_me_4k",     "rsa_crt_1k",  "rsa_crt_2k", "rsa_crt_4k",
    "rng",       "seckey_low", "seckey_medium", "seckey_high", "ecc"};

static_assert(index_of(Operation::ecc) + 1 == kOperationCount, "kOperationCount must follow the enum");

} // namespace

std::string_view operation_name(Operation op) {
  return kNames[index_of(op)];
}

std::optional<Operation> find_operation(std::string_view name) {
  for (Operation op : all_operations())
    if (iequals(operation_name(op), name))
      return op;
  return std::nullopt;
}

std::string operation_names() {
  std::string result;
  for (Operation op : all_operations())
    result.append(result.empty() ? "" : ", ").append(operation_name(op));
  return result;
}

std::string unknown_operation_message(std::string_view name) {
  std::vector<std::string> names;
  for (Operation op : all_operations())
    names.emplace_back(operation_name(op));
  return unknown_name_message("operation", name, names);
}

const std::array<Operation, kOperationCount>& all_operations() {
  static const auto ops = [] {
    std::array<Operation, kOperationCount> result{};
    for (std::size_t i = 0; i < kOperationCount; ++i)
      result[i] = static_cast<Operation>(i);
    return result;
  }();
  return ops;
}

} // namespace apq
