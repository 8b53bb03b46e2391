#pragma once
// apqsim run --trace FILE.csv: every request event and every control-plane step of a run, in time order, one CSV
// row each. Request rows fill guest, request, adapter, domain; control rows fill actor, op, lock, detail, where.
//
//   time_s,event,guest,request,adapter,domain,actor,op,lock,detail,where
//   1.000000000,op_start,,,,,admin-apmask,apmask_store,,,configs/strategies/naive-mutex.toml:40:1
//   1.000000000,lock_request,,,,,admin-apmask,apmask_store,ap_perms,lock,configs/strategies/naive-mutex.toml:46:3
//   1.000004321,collect,web,17,0,3,,,,,
//
// Control events: attempt / outcome (an admin operation, retries included; detail: its target / its result),
// op_start / op_end (one invocation; detail: ok or the errno), lock_request (detail: lock, down_read or
// down_write), lock_trylock, lock_acquire, lock_busy (a trylock that found the lock held), lock_release (detail:
// unlock, up_read or up_write), effect, reset, zapq, aqic, warn, card_offline, card_online, deadlock (detail: the
// cycle), stolen_queue, oops (a kernel bug the model reached).

#include "analysis/output_file.hpp"
#include "sim/control/interpreter.hpp"
#include "sim/data_plane/trace.hpp"

#include <string>
#include <vector>

namespace apq {

class TraceCsv {
public:
  /** Writes the header to `out`; `guests` names the guests by index. */
  TraceCsv(OutputFile& out, std::vector<std::string> guests);
  void request(const TraceEvent& event);
  void control(const ControlEvent& event);

private:
  OutputFile& out_;
  std::vector<std::string> guests_;
};

/** The CSV event name of a control-plane event ("lock" -> "lock_request", ...). */
std::string control_event_name(const std::string& what);

} // namespace apq
