// Card types: how many engines a card has, how deep its queues are, and what each operation costs.
#pragma once

#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/operation.hpp"
#include "models/registry.hpp"

#include <array>
#include <string>

namespace apq {

/** What the data plane needs to know about a card. */
struct CardType {
  std::string name;
  int engines = 1;     ///< parallel servers shared by all queues of the card
  int queue_depth = 8; ///< requests in the card per AP queue (TAPQ QD + 1)
  /** zcrypt speed-rating weight per operation (what the guest adds to a queue's load); 0 = not supported. */
  std::array<double, kOperationCount> weight{};
  /** Engine occupancy per request; null = not supported. */
  std::array<DistributionPtr, kOperationCount> service{};

  bool supports(Operation op) const { return weight[index_of(op)] > 0 && service[index_of(op)] != nullptr; }
};

using CardTypeRegistry = Registry<CardType(const ConfigNode&)>;

/** CEX5A..CEX8A, CEX5C..CEX8C, CEX5P..CEX8P (the zcrypt rating tables) and `custom`. An entry reads its own keys
 *  from the card table and leaves the others (ids, domains, ...) to the caller, who rejects unknown keys. */
const CardTypeRegistry& card_type_registry();

/** Reads `type` from the card table and builds that card type from the same table. */
CardType make_card_type(const ConfigNode& card);

} // namespace apq
