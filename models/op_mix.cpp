#include "models/op_mix.hpp"

#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace apq {

OperationMix::OperationMix(std::vector<std::pair<Operation, double>> weights) : weights_(std::move(weights)) {
  if (weights_.empty())
    throw std::invalid_argument("OperationMix::OperationMix(): no operation");
  double total = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    auto [op, weight] = weights_[i];
    if (!(weight > 0) || !std::isfinite(weight))
      throw std::invalid_argument("OperationMix::OperationMix(): the weight of " + std::string(operation_name(op)) +
                                  " must be > 0, got " + units::format_number(weight));
    for (std::size_t j = 0; j < i; ++j)
      if (weights_[j].first == op)
        throw std::invalid_argument("OperationMix::OperationMix(): " + std::string(operation_name(op)) +
                                    " is listed twice");
    total += weight;
  }
  double sum = 0;
  for (auto& [op, weight] : weights_) {
    weight /= total;
    sum += weight;
    cumulative_.push_back(sum);
  }
  cumulative_.back() = 1; // so that every draw in (0, 1) lands somewhere despite rounding
}

Operation OperationMix::pick(RandomSource& rng) const {
  if (weights_.size() == 1)
    return weights_.front().first;
  double u = rng.uniform01();
  auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
  return weights_[static_cast<std::size_t>(it - cumulative_.begin())].first;
}

OperationMix OperationMix::from_config(const ConfigNode& guest) {
  bool has_op = guest.has("op");
  bool has_ops = guest.has("ops");
  if (has_op && has_ops)
    guest.fail("ops", "give either op (one operation) or ops (a table of weights), not both");
  if (has_op) {
    std::string name = guest.string("op");
    auto op = find_operation(name);
    if (!op)
      guest.fail("op", unknown_operation_message(name));
    return OperationMix({{*op, 1.0}});
  }
  if (!has_ops)
    return OperationMix({{Operation::rsa_crt_2k, 1.0}});

  ConfigNode ops = guest.table("ops");
  std::vector<std::pair<Operation, double>> weights;
  for (const std::string& key : ops.keys()) {
    auto op = find_operation(key);
    if (!op)
      ops.fail(key, unknown_operation_message(key));
    if (std::any_of(weights.begin(), weights.end(), [&](const auto& w) { return w.first == *op; }))
      ops.fail(key, "operation '" + std::string(operation_name(*op)) + "' is listed twice");
    double weight = ops.number(key);
    if (!(weight > 0) || !std::isfinite(weight))
      ops.fail(key, "the weight must be a number > 0, got " + units::format_number(weight));
    weights.emplace_back(*op, weight);
  }
  if (weights.empty())
    guest.fail("ops", "must list at least one operation with its weight, like { rsa_crt_2k = 1 }");
  return OperationMix(std::move(weights));
}

} // namespace apq
