// libFuzzer harness: --set PATH=VALUE on a scenario with arrays by index and by name, templates, and every kind of
// value. Any override applies or throws ConfigError.

#include "models/config_node.hpp"
#include "sim/scenario/scenario.hpp"

#include <cstdint>
#include <string>

namespace {

constexpr const char* kScenario = R"([run]
horizon = "2s"
seed = 1
[[cards]]
ids = "0x00-0x01"
type = "CEX8C"
domains = "0x00-0x07"
[[mdevs]]
name = "spare"
adapters = "0x00"
domains = "0x07"
[[guests]]
name = "web"
adapters = "0x00-0x01"
domains = "0x00-0x01"
arrival = { process = "poisson", rate = "5k/s" }
ops = { rsa_crt_2k = 0.9, rng = 0.1 }
[[guests]]
name = "vm-{i}"
count = 2
adapters = "0x00-0x01"
domains = "{i+2}"
arrival = { process = "mmpp", rate_high = "2k/s", rate_low = "1k/s", high_time = "1s", low_time = "1s" }
completion = { mode = "polling", poll_interval = "250us" }
[[reconfig.timeline]]
at = "1s"
op = "vfio_reset"
mdev = "spare"
)";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string item(reinterpret_cast<const char*>(data), size);
  const std::size_t eq = item.find('=');
  if (eq == std::string::npos || eq == 0)
    return 0; // the CLI refuses these before the loader sees them
  try {
    apq::load_scenario_text(kScenario, "fuzz.toml", {apq::ConfigOverride{item.substr(0, eq), item.substr(eq + 1)}});
  } catch (const apq::ConfigError&) {
  }
  return 0;
}
