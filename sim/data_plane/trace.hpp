#pragma once
// A request's life as events, for tests that check exact orders and for users who want to see them
// (apqsim run --trace FILE). Off by default: one branch per event.

#include <cstdint>
#include <functional>
#include <string_view>

namespace apq {

enum class TraceKind : uint8_t {
  issue,   ///< the guest issued the request; zcrypt chose the queue
  send,    ///< NQAP: the request entered the card (a slot of the queue's depth)
  start,   ///< an engine began serving it
  done,    ///< the engine finished; the reply waits in the queue
  collect, ///< the guest collected the reply (DQAP after interrupt or poll): latency ends here
  fail,    ///< given up: no usable queue (-ENODEV), 10 attempts (-EIO), or the guest stopped
  discard, ///< the card dropped the request's work (unplug, reset, card offline)
  retry,   ///< zcrypt sends the request again (the guest noticed an unplug, or a reset ended)
};

std::string_view trace_kind_name(TraceKind kind);

struct TraceEvent {
  double time = 0;
  TraceKind kind = TraceKind::issue;
  uint32_t guest = 0;
  uint64_t request = 0; ///< the guest's request index
  int adapter = -1;
  int domain = -1;
};

using TraceSink = std::function<void(const TraceEvent&)>;

} // namespace apq
