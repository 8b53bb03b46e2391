#pragma once
// The data plane as the interleaving explorer sees it: nothing that orders the control plane's steps. A hardware
// reset is over before anyone looks at the queue again (the default reset_time, 15 ms, is shorter than the 20 ms
// reset poll), the queues hold no request, and what the guests see is the CRYCB the interpreter keeps.

#include "sim/control/interpreter.hpp"

namespace apq {

class AbstractDataPlane final : public ControlEnv {
public:
  void zapq(int, int) override {}
  bool resetting(int, int) const override { return false; }
  bool queue_empty(int, int) const override { return true; }
  void plug(int, int, int) override {}
  void unplug(int, int) override {}
  void guest_start(int) override {}
  void signal_cfg_change(int) override {}
  void aqic_done(int, int, int) override {}
};

} // namespace apq
