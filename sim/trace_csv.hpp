#pragma once
// apqsim run --trace FILE.csv: every request event and every control-plane step of a run, in time order, one CSV
// row each. Request rows fill guest, request, adapter, domain; control rows fill actor, op, lock, detail, where.
//
//   time_s,event,guest,request,adapter,domain,actor,op,lock,detail,where
//   1.000000000,op_start,,,,,admin-apmask,apmask_store,,,configs/strategies/naive-mutex.toml:31:1
//   1.000000000,lock_request,,,,,admin-apmask,apmask_store,ap_perms,,configs/strategies/naive-mutex.toml:36:3
//   1.000004321,collect,web,17,0,3,,,,,
//
// Control events: attempt / outcome (an admin operation, retries included; detail: target / result), op_start /
// op_end (one invocation; detail: ok or the errno), lock_request, lock_acquire, lock_busy (a trylock that found
// the lock held), lock_release, effect, reset, card_offline, card_online, deadlock (detail: the cycle),
// stolen_queue.

#include "sim/control/control_plane.hpp"
#include "sim/data_plane/trace.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace apq {

class TraceCsv {
public:
  /** Writes the header; `guests` names the guests by index. */
  TraceCsv(std::ostream& out, std::vector<std::string> guests);
  void request(const TraceEvent& event);
  void control(const ControlEvent& event);

private:
  std::ostream& out_;
  std::vector<std::string> guests_;
};

/** The CSV event name of a control-plane event ("lock" -> "lock_request", ...). */
std::string control_event_name(const std::string& what);

} // namespace apq
