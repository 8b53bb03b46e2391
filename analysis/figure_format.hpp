#pragma once
// Figures with their uncertainty, as people read them: one unit for the estimate and its interval, and digits set
// by the interval (two significant digits of the half-width), so that "21587.484848484848 +- 411.3419533860271"
// reads "21.59k +- 0.41k /s" and "0.0495 +- 0" cannot happen.

#include <string>

namespace apq {

enum class FigureKind {
  duration, ///< seconds, printed in ns, us, ms, s
  rate,     ///< per second, printed with k, M
  count,    ///< requests, operations: plain, k and M above 10^4 and 10^6
  fraction, ///< printed as a percentage
};

/** "2.50 +- 0.14 ms"; a non-finite half-width prints "n/a". */
std::string format_interval(double estimate, double half_width, FigureKind kind);
/** "6.89 ms [6.71, 7.08]": an asymmetric interval (tail quantiles); infinite bounds print as "inf". */
std::string format_bounds(double estimate, double lower, double upper, FigureKind kind);
/** A single value with 3 significant digits in its unit. */
std::string format_value(double value, FigureKind kind);

} // namespace apq
