// libFuzzer harness: the unit parser. Any text either parses or throws UnitError; what parses is finite and not
// negative, and its formatted form parses back within the formatter's three significant digits.

#include "models/units.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check_round_trip(double value, double reparsed) {
  if (!(std::abs(reparsed - value) <= 0.006 * value + 1e-300))
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const double seconds = apq::units::parse_duration(text);
    if (!std::isfinite(seconds) || seconds < 0)
      std::abort();
    if (seconds > 1e-290) // below, the formatter's rounding leaves the doubles' range
      check_round_trip(seconds, apq::units::parse_duration(apq::units::format_duration(seconds)));
  } catch (const apq::UnitError&) {
  }
  try {
    const double rate = apq::units::parse_rate(text);
    if (!std::isfinite(rate) || rate < 0)
      std::abort();
    if (rate > 1e-290 && rate < 1e300)
      check_round_trip(rate, apq::units::parse_rate(apq::units::format_rate(rate)));
  } catch (const apq::UnitError&) {
  }
  try {
    const double seconds = apq::units::parse_seconds_or_duration(text);
    if (!std::isfinite(seconds) || seconds < 0)
      std::abort();
  } catch (const apq::UnitError&) {
  }
  return 0;
}
