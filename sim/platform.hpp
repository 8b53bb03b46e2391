#pragma once
// SimGrid needs a platform before it runs, even when only timers fire. Ours is one host: the KVM host whose
// kernel runs the control plane's actors. The cards are not SimGrid resources; the data plane models them.

namespace simgrid::s4u {
class Host;
}

namespace apq {

/** Creates the platform of the current engine (call once, after the engine exists) and returns the host. */
simgrid::s4u::Host* build_platform();

} // namespace apq
