// libFuzzer harness: the scenario loader (TOML, includes, templates, every model's factory, the topology checks).
// Any text loads or throws ConfigError; anything else (another exception, a crash, a sanitizer report) is a bug.
// The text plays a file of configs/ so that the seeds' includes resolve.

#include "models/config_node.hpp"
#include "sim/scenario/scenario.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    apq::load_scenario_text(text, std::string(APQSIM_SOURCE_DIR) + "/configs/seed/fuzz.toml");
  } catch (const apq::ConfigError&) {
  }
  return 0;
}
