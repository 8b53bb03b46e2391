#include "sim/platform.hpp"

#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/NetZone.hpp>

namespace apq {

simgrid::s4u::Host* build_platform() {
  auto* zone = simgrid::s4u::create_full_zone("apqsim");
  simgrid::s4u::Host* host = zone->create_host("kvm-host", 1e9);
  zone->seal();
  return host;
}

} // namespace apq
