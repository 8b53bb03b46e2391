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
  uint32_t queue = 0; ///< the AP queue zcrypt chose
  uint32_t view = 0;  ///< the guest's view of that queue's card (its zcrypt load)
  Operation op = Operation::rsa_crt_2k;
};

/** Requests live in recycled slots: memory follows the number in flight, not the number simulated. */
class RequestPool {
public:
  RequestId acquire() {
    if (free_.empty()) {
      slots_.emplace_back();
      return static_cast<RequestId>(slots_.size() - 1);
    }
    const RequestId id = free_.back();
    free_.pop_back();
    return id;
  }
  void release(RequestId id) { free_.push_back(id); }
  Request& operator[](RequestId id) { return slots_[id]; }
  const Request& operator[](RequestId id) const { return slots_[id]; }
  std::size_t in_flight() const { return slots_.size() - free_.size(); }
  std::size_t capacity() const { return slots_.size(); }

private:
  std::vector<Request> slots_;
  std::vector<RequestId> free_;
};

} // namespace apq
