#include "models/units.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

using test::error_of;
using units::format_duration;
using units::format_rate;
using units::parse_duration;
using units::parse_rate;

TEST(Units, ParsesEveryDurationUnit) {
  EXPECT_EQ(parse_duration("5ns"), 5e-9);
  EXPECT_EQ(parse_duration("250us"), 250e-6);
  EXPECT_EQ(parse_duration("250\u00b5s"), 250e-6);
  EXPECT_EQ(parse_duration("250\u03bcs"), 250e-6);
  EXPECT_EQ(parse_duration("1.5ms"), 1.5e-3);
  EXPECT_EQ(parse_duration("30s"), 30.0);
  EXPECT_EQ(parse_duration("2min"), 120.0);
  EXPECT_EQ(parse_duration("1h"), 3600.0);
}

TEST(Units, DurationSyntax) {
  EXPECT_EQ(parse_duration("0"), 0.0);
  EXPECT_EQ(parse_duration("0ms"), 0.0);
  EXPECT_EQ(parse_duration("1.5 ms"), 1.5e-3);
  EXPECT_EQ(parse_duration("  30s "), 30.0);
  EXPECT_EQ(parse_duration("2e-3s"), 2e-3);
  EXPECT_EQ(parse_duration("1.5e3us"), 1.5e-3);
  EXPECT_EQ(parse_duration(".5s"), 0.5);
}

TEST(Units, BadDurationsSayWhatWasExpected) {
  const std::string hint = R"(expected a number and a unit (ns, us, ms, s, min, h), like "250us")";
  EXPECT_EQ(error_of([] { parse_duration("30 parsecs"); }), R"(bad duration "30 parsecs": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration("30"); }), R"(bad duration "30": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration(""); }), R"(bad duration "": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration("ms"); }), R"(bad duration "ms": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration("1m"); }), R"(bad duration "1m": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration("1 s s"); }), R"(bad duration "1 s s": )" + hint);
  EXPECT_EQ(error_of([] { parse_duration("-1s"); }), R"(bad duration "-1s": must not be negative)");
  EXPECT_EQ(error_of([] { parse_duration("inf s"); }), R"(bad duration "inf s": must be a finite number)");
  EXPECT_EQ(error_of([] { parse_duration("nan ms"); }), R"(bad duration "nan ms": must be a finite number)");
  EXPECT_THROW(parse_duration("1e308h"), UnitError);
}

TEST(Units, ParsesRates) {
  EXPECT_EQ(parse_rate("20k/s"), 20000.0);
  EXPECT_EQ(parse_rate("3.2/s"), 3.2);
  EXPECT_EQ(parse_rate("1/min"), 1.0 / 60);
  EXPECT_EQ(parse_rate("5/h"), 5.0 / 3600);
  EXPECT_EQ(parse_rate("2.5M/s"), 2.5e6);
  EXPECT_EQ(parse_rate("100/ms"), 1e5);
  EXPECT_EQ(parse_rate("3/us"), 3e6);
  EXPECT_EQ(parse_rate("1/ns"), 1e9);
  EXPECT_EQ(parse_rate("20000/s"), 20000.0);
  EXPECT_EQ(parse_rate("1G/s"), 1e9);
  EXPECT_EQ(parse_rate("20 k / s"), 20000.0);
  EXPECT_EQ(parse_rate("0"), 0.0);
  EXPECT_EQ(parse_rate("0/s"), 0.0);
}

TEST(Units, BadRatesSayWhatWasExpected) {
  const std::string hint = R"(expected a number, an optional k, M or G, '/' and a time unit (ns, us, ms, s, min, h), )"
                           R"(like "20k/s" or "1/min")";
  EXPECT_EQ(error_of([] { parse_rate("fast"); }), R"(bad rate "fast": )" + hint);
  EXPECT_EQ(error_of([] { parse_rate("20000"); }), R"(bad rate "20000": )" + hint);
  EXPECT_EQ(error_of([] { parse_rate("5/parsec"); }), R"(bad rate "5/parsec": )" + hint);
  EXPECT_EQ(error_of([] { parse_rate("5x/s"); }), R"(bad rate "5x/s": )" + hint);
  EXPECT_EQ(error_of([] { parse_rate("5k"); }), R"(bad rate "5k": )" + hint);
  EXPECT_EQ(error_of([] { parse_rate("-5/s"); }), R"(bad rate "-5/s": must not be negative)");
  EXPECT_EQ(error_of([] { parse_rate("inf/s"); }), R"(bad rate "inf/s": must be a finite number)");
}

TEST(Units, SecondsOrDuration) {
  EXPECT_EQ(units::parse_seconds_or_duration("0.25"), 0.25);
  EXPECT_EQ(units::parse_seconds_or_duration("250ms"), 0.25);
  EXPECT_EQ(error_of([] { units::parse_seconds_or_duration("-2"); }), R"(bad time "-2": must not be negative)");
  EXPECT_THROW(units::parse_seconds_or_duration("2 parsecs"), UnitError);
}

TEST(Units, FormatsDurationsForHumans) {
  EXPECT_EQ(format_duration(250e-6), "250us");
  EXPECT_EQ(format_duration(1.5e-3), "1.5ms");
  EXPECT_EQ(format_duration(30), "30s");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(5e-9), "5ns");
  EXPECT_EQ(format_duration(0.123456), "123ms");
  EXPECT_EQ(format_duration(9.997e-4), "1ms"); // rounds first, then picks the unit
  EXPECT_EQ(format_duration(90), "1.5min");
  EXPECT_EQ(format_duration(7200), "2h");
  EXPECT_EQ(format_duration(216e-6), "216us");
}

TEST(Units, FormatsRatesForHumans) {
  EXPECT_EQ(format_rate(20000), "20k/s");
  EXPECT_EQ(format_rate(3.2), "3.2/s");
  EXPECT_EQ(format_rate(18518.5), "18.5k/s");
  EXPECT_EQ(format_rate(2.5e6), "2.5M/s");
  EXPECT_EQ(format_rate(1e9), "1G/s");
  EXPECT_EQ(format_rate(0.5), "30/min");
  EXPECT_EQ(format_rate(1.0 / 3600), "1/h");
  EXPECT_EQ(format_rate(0), "0/s");
}

TEST(Units, FormattedValuesReadBack) {
  for (double s : {3.3e-9, 1.234e-5, 0.0456, 1.0, 59.0, 123.0, 5000.0}) {
    EXPECT_NEAR(parse_duration(format_duration(s)), s, s * 5e-3) << format_duration(s);
  }
  for (double r : {0.001, 0.3, 7.0, 1234.0, 5.55e6, 2e9}) {
    EXPECT_NEAR(parse_rate(format_rate(r)), r, r * 5e-3) << format_rate(r);
  }
  // Values whose fixed notation would not fit (found by fuzz_units: "2e-78s" came back as 0).
  EXPECT_EQ(format_duration(2e-78), "2e-69ns");
  EXPECT_NEAR(parse_duration(format_duration(2e-78)), 2e-78, 2e-80);
  EXPECT_EQ(format_rate(3e-80), "1.08e-76/h");
  EXPECT_NEAR(parse_rate(format_rate(3e-80)), 3e-80, 3e-82);
}

} // namespace
} // namespace apq
