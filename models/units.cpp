#include "models/units.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace apq::units {
namespace {

// A unit is exact as multiplier/divisor: dividing 250 by 1e6 gives the same double as the literal 250e-6.
struct TimeUnit {
  std::string_view name;
  double multiplier;
  double divisor;
};

constexpr std::array<TimeUnit, 8> kTimeUnits{{{"ns", 1, 1e9},
                                              {"us", 1, 1e6},
                                              {"\u00b5s", 1, 1e6}, // micro sign
                                              {"\u03bcs", 1, 1e6}, // Greek mu, which keyboards often give
                                              {"ms", 1, 1e3},
                                              {"s", 1, 1},
                                              {"min", 60, 1},
                                              {"h", 3600, 1}}};

constexpr std::string_view kDurationHint = R"(expected a number and a unit (ns, us, ms, s, min, h), like "250us")";
constexpr std::string_view kRateHint =
    R"(expected a number, an optional k, M or G, '/' and a time unit (ns, us, ms, s, min, h), like "20k/s" or "1/min")";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(std::string_view what, std::string_view text, std::string_view why) {
  std::string message = "bad ";
  message.append(what).append(" \"").append(text).append("\": ").append(why);
  throw UnitError(message);
}

// Reads the leading number of `rest` and removes it. Signs, NaN and infinities are reported by the caller.
std::optional<double> take_number(std::string_view& rest) {
  double value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end == rest.data())
    return std::nullopt;
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  return value;
}

const TimeUnit* find_time_unit(std::string_view name) {
  auto it = std::find_if(kTimeUnits.begin(), kTimeUnits.end(), [&](const TimeUnit& u) { return u.name == name; });
  return it == kTimeUnits.end() ? nullptr : &*it;
}

// Checks sign and finiteness of a parsed value, with the message for the kind of value being read.
void check_value(double value, std::string_view what, std::string_view text) {
  if (std::isnan(value) || std::isinf(value))
    fail(what, text, "must be a finite number");
  if (value < 0 || std::signbit(value))
    fail(what, text, "must not be negative");
}

// Rounds to 3 significant digits, so that the unit is chosen after rounding (999.7us prints as 1ms).
double round3(double v) {
  if (v == 0 || !std::isfinite(v))
    return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return std::strtod(buf, nullptr);
}

std::string sig3(double v) {
  v = round3(v);
  if (v == 0)
    return "0";
  int decimals = std::max(0, 2 - static_cast<int>(std::floor(std::log10(v))));
  char buf[64];
  // Fixed notation for what a reader meets; a value so small that its digits would not fit, in exponent notation
  // (which the parser reads back too) rather than cut short.
  if (decimals > 20) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.')
      s.pop_back();
  }
  return s;
}

// Sign, NaN and infinity for the formatters, which must never throw: they print whatever they get.
std::optional<std::string> format_special(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  return std::nullopt;
}

} // namespace

double parse_duration(std::string_view text) {
  std::string_view rest = trim(text);
  bool negative = !rest.empty() && rest.front() == '-';
  if (negative)
    rest.remove_prefix(1);
  auto number = take_number(rest);
  if (!number)
    fail("duration", text, kDurationHint);
  rest = trim(rest);
  double value = negative ? -*number : *number;
  if (rest.empty()) {
    if (value == 0 && !negative)
      return 0;
    fail("duration", text, kDurationHint);
  }
  const TimeUnit* unit = find_time_unit(rest);
  if (!unit)
    fail("duration", text, kDurationHint);
  check_value(value, "duration", text);
  double seconds = value * unit->multiplier / unit->divisor;
  if (!std::isfinite(seconds))
    fail("duration", text, "must be a finite number");
  return seconds;
}

double parse_rate(std::string_view text) {
  std::string_view rest = trim(text);
  bool negative = !rest.empty() && rest.front() == '-';
  if (negative)
    rest.remove_prefix(1);
  auto number = take_number(rest);
  if (!number)
    fail("rate", text, kRateHint);
  double count = negative ? -*number : *number;
  rest = trim(rest);
  if (rest.empty()) {
    if (count == 0 && !negative)
      return 0;
    fail("rate", text, kRateHint);
  }
  switch (rest.front()) {
  case 'k':
    count *= 1e3;
    rest.remove_prefix(1);
    break;
  case 'M':
    count *= 1e6;
    rest.remove_prefix(1);
    break;
  case 'G':
    count *= 1e9;
    rest.remove_prefix(1);
    break;
  default:
    break;
  }
  rest = trim(rest);
  if (rest.empty() || rest.front() != '/')
    fail("rate", text, kRateHint);
  rest = trim(rest.substr(1));
  const TimeUnit* unit = find_time_unit(rest);
  if (!unit)
    fail("rate", text, kRateHint);
  check_value(count, "rate", text);
  double per_second = count * unit->divisor / unit->multiplier;
  if (!std::isfinite(per_second))
    fail("rate", text, "must be a finite number");
  return per_second;
}

double parse_seconds_or_duration(std::string_view text) {
  std::string_view rest = trim(text);
  if (auto number = take_number(rest); number && rest.empty()) {
    check_value(*number, "time", text);
    return *number;
  }
  return parse_duration(text);
}

std::string format_duration(double seconds) {
  if (auto special = format_special(seconds))
    return *special + "s";
  if (seconds < 0)
    return "-" + format_duration(-seconds);
  double r = round3(seconds);
  if (r == 0)
    return "0s";
  if (r < 1e-6)
    return sig3(seconds * 1e9) + "ns";
  if (r < 1e-3)
    return sig3(seconds * 1e6) + "us";
  if (r < 1)
    return sig3(seconds * 1e3) + "ms";
  if (r < 60)
    return sig3(seconds) + "s";
  if (r < 3600)
    return sig3(seconds / 60) + "min";
  if (r < 3600e4)
    return sig3(seconds / 3600) + "h";
  char buf[32]; // beyond ten thousand hours, a count of hours says less than a power of ten of seconds
  std::snprintf(buf, sizeof buf, "%.3g", seconds);
  return std::string(buf) + "s";
}

std::string format_rate(double per_second) {
  if (auto special = format_special(per_second))
    return *special + "/s";
  if (per_second < 0)
    return "-" + format_rate(-per_second);
  double r = round3(per_second);
  if (r == 0)
    return "0/s";
  if (r >= 1e12) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g/s", per_second);
    return buf;
  }
  if (r >= 1e9)
    return sig3(per_second / 1e9) + "G/s";
  if (r >= 1e6)
    return sig3(per_second / 1e6) + "M/s";
  if (r >= 1e3)
    return sig3(per_second / 1e3) + "k/s";
  if (r >= 1)
    return sig3(per_second) + "/s";
  if (round3(per_second * 60) >= 1)
    return sig3(per_second * 60) + "/min";
  return sig3(per_second * 3600) + "/h";
}

std::string format_number(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

} // namespace apq::units
