#pragma once
// A guest's crypto request, from arrival to the moment the guest collects its reply.

#include "models/operation.hpp"

#include <cstdint>
#include <vector>

namespace apq {

using RequestId = uint32_t;

struct Request {
  uint64_t index = 0; ///< the guest's sequence number: it names the request's own random stream
  double arrival = 0; ///< when the guest issued it
  double weight = 0;  ///< zcrypt weight charged to the guest's card and queue loads while it is out
  uint32_t guest = 0;
  uint32_t queue = 0;      ///< the AP queue zcrypt chose
  uint32_t view = 0;       ///< the guest's view of that queue's card (its zcrypt load)
  uint32_t generation = 0; ///< bumped when the card discards the request: events of the old attempt are stale
  uint32_t windows = 0;    ///< the reconfiguration events it belongs to (ReconfigWindows set; 0: none)
  uint8_t attempts = 1;    ///< zcrypt gives up after 10 (-EIO)
  bool rescanned = false;  ///< -ENODEV made the guest rescan its AP bus once already (zcrypt_process_rescan)
  uint8_t marks = 0;       ///< ImpactAttribution::kLostInCard | kRetried
  Operation op = Operation::rsa_crt_2k;
};

/** Requests live in recycled slots: memory follows the number in flight, not the number simulated. */
class RequestPool {
public:
  /** A slot holding `request`; the slot keeps its generation count, so events of its previous user stay stale. */
  RequestId acquire(const Request& request) {
    RequestId id;
    if (free_.empty()) {
      id = static_cast<RequestId>(slots_.size());
      slots_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    const uint32_t generation = slots_[id].generation;
    slots_[id] = request;
    slots_[id].generation = generation;
    return id;
  }
  void release(RequestId id) {
    ++slots_[id].generation; // whatever still refers to this slot is now stale
    free_.push_back(id);
  }
  Request& operator[](RequestId id) { return slots_[id]; }
  const Request& operator[](RequestId id) const { return slots_[id]; }
  std::size_t in_flight() const { return slots_.size() - free_.size(); }
  /** Calls f(request) for every request in flight (end of run: what never finished). */
  template <class F>
  void for_each_in_flight(F f) const {
    std::vector<bool> idle(slots_.size(), false);
    for (RequestId id : free_)
      idle[id] = true;
    for (std::size_t id = 0; id < slots_.size(); ++id)
      if (!idle[id])
        f(slots_[id]);
  }
  std::size_t capacity() const { return slots_.size(); }

private:
  std::vector<Request> slots_;
  std::vector<RequestId> free_;
};

} // namespace apq
