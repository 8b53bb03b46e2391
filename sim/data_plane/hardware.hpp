#pragma once
// The crypto hardware as the data plane sees it: cards with parallel engines, and their AP queues.

#include "models/card_type.hpp"
#include "sim/data_plane/request.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <vector>

namespace apq {

/** A FIFO of requests that allocates nothing until used: a host has thousands of queues, most of them idle, and a
 * std::deque allocates about 600 bytes as soon as it is built. Consumed entries at the front are reclaimed when the
 * FIFO empties or needs room. */
class RequestFifo {
public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  RequestId front() const { return items_[head_]; }
  void pop_front() {
    if (++head_ == items_.size())
      clear();
  }
  void push_back(RequestId id) {
    if (head_ > 0 && items_.size() == items_.capacity()) {
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
    items_.push_back(id);
  }
  void push_front(RequestId id) {
    if (head_ > 0)
      items_[--head_] = id;
    else
      items_.insert(items_.begin(), id);
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }
  /** Removes the requests for which `drop(id)` says true, keeping the others in order. */
  template <class Drop>
  void erase_if(Drop drop) {
    items_.erase(std::remove_if(items_.begin() + static_cast<std::ptrdiff_t>(head_), items_.end(), drop), items_.end());
    if (empty())
      clear();
  }

private:
  std::vector<RequestId> items_;
  std::size_t head_ = 0;
};

/** One APQN (adapter, domain). */
struct ApQueue {
  int adapter = 0;
  int domain = 0;
  uint32_t card = 0;
  int owner = -1;          ///< guest whose APCB holds the queue (the host's view), -1 none
  bool selectable = false; ///< the owner's zcrypt may pick it: device known and operating (ap_queue_usable)
  bool ready = false;      ///< the owner's AP state machine may send on it: not in RESET_WAIT or waiting for AQIC
  bool resetting = false;  ///< a reset (the host's ZAPQ, the guest's RAPQ) is in progress: NQAP is refused
  double reset_until = 0;  ///< when the hardware completes the reset in progress
  /** The owner's bring-up of the queue (ap_queue_init_state, or recovery after the host reset it): RAPQ if needed,
   *  RESET_WAIT polled every 40 ms, then PQAP(AQIC), intercepted by the host. */
  enum class Bringup : uint8_t { none, reset_wait, aqic } bringup = Bringup::none;
  uint32_t bringup_generation = 0;   ///< bumped when a bring-up starts: stale polls do nothing
  bool reset_unnoticed = false;      ///< the host reset the queue; the owner sees it at its next AP instruction there
  RequestFifo requestq;              ///< guest side (zcrypt's requestq): waiting for a free slot in the queue
  RequestFifo at_card;               ///< sent (NQAP), waiting for an engine of the card
  std::vector<RequestId> in_service; ///< on an engine
  std::vector<RequestId> replies;    ///< served; the reply holds its slot until the guest collects it (DQAP)
  std::vector<RequestId> hung;       ///< sent on the queue before it was unplugged: wait for the guest to notice
  double load = 0;                   ///< the owner's zcrypt load on this queue
  uint64_t total_requests = 0;       ///< the owner's count, zcrypt's tie-break
  bool in_ring = false;              ///< listed in the card's round-robin ring
  uint16_t listeners = 0;            ///< guests that know the queue (two while a move between guests is unseen)

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
