// Which operation each request of a guest is.
#pragma once

#include "models/config_node.hpp"
#include "models/operation.hpp"
#include "models/random.hpp"

#include <utility>
#include <vector>

namespace apq {

/** Operations with relative weights. */
class OperationMix {
public:
  /** Weights must be finite and > 0, each operation listed once; throws std::invalid_argument otherwise. */
  explicit OperationMix(std::vector<std::pair<Operation, double>> weights);

  /** Draws one operation; a mix of one operation draws nothing from `rng`. */
  Operation pick(RandomSource& rng) const;
  /** The weights, normalized to sum to 1, in the order given. */
  const std::vector<std::pair<Operation, double>>& weights() const { return weights_; }

  /** From a guest table: `op = "rsa_crt_2k"` or `ops = { rsa_crt_2k = 3, rsa_me_2k = 1 }`; neither means
   *  rsa_crt_2k alone; both is an error. */
  static OperationMix from_config(const ConfigNode& guest);

private:
  std::vector<std::pair<Operation, double>> weights_;
  std::vector<double> cumulative_; // last element exactly 1
};

} // namespace apq
