#pragma once
// The crypto hardware as the data plane sees it: cards with parallel engines, and their AP queues.

#include "models/card_type.hpp"
#include "sim/data_plane/request.hpp"

#include <deque>
#include <vector>

namespace apq {

/** One APQN (adapter, domain). */
struct ApQueue {
  int adapter = 0;
  int domain = 0;
  uint32_t card = 0;
  int owner = -1;                    ///< guest whose APCB holds the queue (the host's view), -1 none
  bool selectable = false;           ///< the owner's zcrypt may send on it: device known, interrupts set up, not failed
  bool resetting = false;            ///< ZAPQ in progress: the queue takes nothing until the reset completes
  std::deque<RequestId> requestq;    ///< guest side (zcrypt's requestq): waiting for a free slot in the queue
  std::deque<RequestId> at_card;     ///< sent (NQAP), waiting for an engine of the card
  std::vector<RequestId> in_service; ///< on an engine
  std::vector<RequestId> replies;    ///< served; the reply holds its slot until the guest collects it (DQAP)
  std::vector<RequestId> hung;       ///< sent on the queue before it was unplugged: wait for the guest to notice
  double load = 0;                   ///< the owner's zcrypt load on this queue
  uint64_t total_requests = 0;       ///< the owner's count, zcrypt's tie-break
  bool in_ring = false;              ///< listed in the card's round-robin ring

  /** Slots taken in the card (at most the queue depth). */
  int in_card() const { return static_cast<int>(at_card.size() + in_service.size() + replies.size()); }
};

/** A crypto card: `engines` parallel servers shared by all its queues, served round-robin across queues. */
struct Card {
  int adapter = 0;
  const CardType* type = nullptr;
  bool online = true;
  int engines_free = 0;
  std::deque<uint32_t> ring; ///< queues with work waiting for an engine, in round-robin order
  double busy_seconds = 0;   ///< engine time inside the measurement window
  uint64_t served = 0;       ///< requests whose service ended inside the window
};

} // namespace apq
