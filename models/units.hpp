// Units inside configuration values: the one place where "250us" or "20k/s" becomes a number.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace apq {

/** A value with a missing, unknown or impossible unit. what() says what was expected. */
struct UnitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace units {

/** "250us", "1.5 ms", "2e-3s", "1min", "0" -> seconds. Units: ns, us (µs), ms, s, min, h.
 *  A bare number is accepted only when it is zero; negative, NaN and infinite values throw UnitError. */
double parse_duration(std::string_view text);

/** "20k/s", "3.2/s", "1/min", "2.5M/s", "100/ms" -> events per second. The count may carry an SI prefix
 *  (k, M, G); the denominator is a duration unit. A bare "0" is accepted. Throws UnitError. */
double parse_rate(std::string_view text);

/** A time in a data file (trace, empirical sample): a plain number means seconds ("0.25"), anything else goes
 *  through parse_duration ("250ms"). Throws UnitError. */
double parse_seconds_or_duration(std::string_view text);

/** Human-readable duration with 3 significant digits and the largest fitting unit: "250us", "1.5ms", "30s". */
std::string format_duration(double seconds);

/** Human-readable rate with 3 significant digits: "20k/s", "3.2/s", "30/min". */
std::string format_rate(double per_second);

/** Shortest text that reads back as the same double ("0.25", "1e-06"), for messages. */
std::string format_number(double value);

} // namespace units
} // namespace apq
