#include "analysis/figure_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace apq {

namespace {

struct Scale {
  double factor; // divide by this
  const char* unit;
};

Scale scale_for(double magnitude, FigureKind kind) {
  magnitude = std::abs(magnitude);
  switch (kind) {
  case FigureKind::duration:
    if (magnitude == 0 || !std::isfinite(magnitude) || magnitude >= 1)
      return {1, "s"};
    if (magnitude >= 1e-3)
      return {1e-3, "ms"};
    if (magnitude >= 1e-6)
      return {1e-6, "us"};
    return {1e-9, "ns"};
  case FigureKind::rate:
    if (magnitude >= 1e6)
      return {1e6, "M/s"};
    if (magnitude >= 1e4)
      return {1e3, "k/s"};
    return {1, "/s"};
  case FigureKind::count:
    if (magnitude >= 1e6)
      return {1e6, "M"};
    if (magnitude >= 1e4)
      return {1e3, "k"};
    return {1, ""};
  case FigureKind::fraction:
    return {0.01, "%"};
  }
  return {1, ""};
}

/** Decimals that show two significant digits of `precision` (or three of `value` when precision is unknown). */
int decimals_for(double value, double precision) {
  double reference = std::abs(precision);
  int significant = 2;
  if (!(reference > 0) || !std::isfinite(reference)) {
    reference = std::abs(value);
    significant = 3;
  }
  if (!(reference > 0) || !std::isfinite(reference))
    return 0;
  const int magnitude = static_cast<int>(std::floor(std::log10(reference)));
  return std::clamp(significant - 1 - magnitude, 0, 9);
}

std::string fixed(double x, int decimals) {
  if (std::isinf(x))
    return x > 0 ? "inf" : "-inf";
  if (std::isnan(x))
    return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x + 0.0); // + 0.0: no "-0"
  std::string out = buf;
  if (out.starts_with("-") && out.find_first_not_of("-0.") == std::string::npos)
    out.erase(0, 1);
  return out;
}

std::string with_unit(const std::string& number, const char* unit, FigureKind kind) {
  if (*unit == '\0')
    return number;
  // "2.50 ms", "21.6k/s", "0.012%", "33.4k"
  const bool glued =
      kind == FigureKind::fraction || kind == FigureKind::count || unit[0] == 'k' || unit[0] == 'M' || unit[0] == '/';
  return number + (glued ? "" : " ") + unit;
}

} // namespace

std::string format_value(double value, FigureKind kind) {
  const Scale s = scale_for(value, kind);
  const double v = value / s.factor;
  int decimals = decimals_for(v, 0);
  if (kind == FigureKind::count && s.factor == 1 && v == std::round(v))
    decimals = 0;
  return with_unit(fixed(v, decimals), s.unit, kind);
}

std::string format_interval(double estimate, double half_width, FigureKind kind) {
  // One unit for both, chosen by the larger: "0.5 +- 24.7 s", not "486 +- 24743 ms".
  const Scale s = scale_for(std::isfinite(half_width) ? std::max(std::abs(estimate), half_width) : estimate, kind);
  const double v = estimate / s.factor, h = half_width / s.factor;
  if (!std::isfinite(half_width))
    return with_unit(fixed(v, decimals_for(v, 0)), s.unit, kind) + " +- n/a";
  int decimals = decimals_for(v, h);
  if (h == 0)
    decimals = decimals_for(v, 0);
  // "2.5 +- 1.4 ms", but "21.59k/s +- 0.41k/s" and "0.012% +- 0.008%": a glued unit goes with each number.
  if (kind == FigureKind::duration)
    return fixed(v, decimals) + " +- " + with_unit(fixed(h, decimals), s.unit, kind);
  return with_unit(fixed(v, decimals), s.unit, kind) + " +- " + with_unit(fixed(h, decimals), s.unit, kind);
}

std::string format_bounds(double estimate, double lower, double upper, FigureKind kind) {
  const Scale s = scale_for(estimate, kind);
  const double v = estimate / s.factor, lo = lower / s.factor, hi = upper / s.factor;
  const double spread = std::isfinite(hi - lo) ? std::min(std::abs(v - lo), std::abs(hi - v)) : 0;
  const int decimals = decimals_for(v, spread > 0 ? spread : 0);
  return with_unit(fixed(v, decimals), s.unit, kind) + " [" + fixed(lo, decimals) + ", " + fixed(hi, decimals) + "]";
}

} // namespace apq
