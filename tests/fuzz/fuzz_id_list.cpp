// libFuzzer harness: id lists ("0x00-0x0f", "0x01,0x05", 3). Any text parses or throws std::invalid_argument, and
// a parsed set reads back the same from its compact form.

#include "sim/scenario/id_set.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const apq::IdSet ids = apq::parse_id_list(text);
    if (!(apq::parse_id_list(ids.str()) == ids))
      std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
