// libFuzzer harness: the strategy loader (locks, steps, calls, effects, errnos, cycles). Any text loads or throws
// ConfigError.

#include "models/strategy.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    apq::load_strategy_text(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  } catch (const apq::ConfigError&) {
  }
  return 0;
}
