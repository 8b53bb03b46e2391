// Figures with their uncertainty, as printed: units and digits set by the interval.

#include "analysis/figure_format.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace apq {
namespace {

TEST(FigureFormat, DigitsFollowTheHalfWidth) {
  EXPECT_EQ(format_interval(21587.484848484848, 411.3419533860271, FigureKind::rate), "21.59k/s +- 0.41k/s");
  EXPECT_EQ(format_interval(2.5e-3, 1.39e-3, FigureKind::duration), "2.5 +- 1.4 ms");
  EXPECT_EQ(format_interval(236.4, 40.02, FigureKind::count), "236 +- 40");
  EXPECT_EQ(format_interval(1187787.3, 1203.4, FigureKind::count), "1.1878M +- 0.0012M");
  EXPECT_EQ(format_interval(0.00003, 0.00008, FigureKind::fraction), "0.0030% +- 0.0080%");
  EXPECT_EQ(format_interval(-0.00003, 0.00008, FigureKind::fraction), "-0.0030% +- 0.0080%");
}

TEST(FigureFormat, ZeroOrUnknownHalfWidth) {
  EXPECT_EQ(format_interval(4.95e-4, 0, FigureKind::duration), "495 +- 0 us");
  EXPECT_EQ(format_interval(4.95e-4, INFINITY, FigureKind::duration), "495 us +- n/a");
  EXPECT_EQ(format_interval(0, 0, FigureKind::count), "0 +- 0");
}

TEST(FigureFormat, AsymmetricBoundsShareTheEstimatesUnit) {
  EXPECT_EQ(format_bounds(6.89e-3, 6.71e-3, 7.08e-3, FigureKind::duration), "6.89 ms [6.71, 7.08]");
  EXPECT_EQ(format_bounds(22.3e-3, 21.0e-3, INFINITY, FigureKind::duration), "22.3 ms [21.0, inf]");
}

TEST(FigureFormat, SingleValues) {
  EXPECT_EQ(format_value(15.827, FigureKind::duration), "15.8 s");
  EXPECT_EQ(format_value(0.000939, FigureKind::duration), "939 us");
  EXPECT_EQ(format_value(88670, FigureKind::count), "88.7k");
  EXPECT_EQ(format_value(42, FigureKind::count), "42");
}

} // namespace
} // namespace apq
