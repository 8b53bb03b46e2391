#include "sim/scenario/id_set.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>

namespace apq {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_id_list(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(IdSet, ParsesRangesListsAndDecimals) {
  EXPECT_EQ(parse_id_list("0x00-0x0f").size(), 16u);
  EXPECT_EQ(parse_id_list("0x01,0x05, 0x07-0x09").ids(), (std::vector<int>{1, 5, 7, 8, 9}));
  EXPECT_EQ(parse_id_list("3").ids(), (std::vector<int>{3}));
  EXPECT_EQ(parse_id_list("0xff").ids(), (std::vector<int>{255}));
  EXPECT_TRUE(parse_id_list("").empty());
}

TEST(IdSet, ParsesTomlValues) {
  const toml::table t = toml::parse(R"(a = 5
b = [1, "0x10-0x11", 2]
c = "0x54")");
  EXPECT_EQ(parse_id_node(*t.get("a")).ids(), (std::vector<int>{5}));
  EXPECT_EQ(parse_id_node(*t.get("b")).ids(), (std::vector<int>{1, 2, 16, 17}));
  EXPECT_EQ(parse_id_node(*t.get("c")).ids(), (std::vector<int>{0x54}));
}

TEST(IdSet, RejectsBadIdsWithAReason) {
  EXPECT_EQ(error_of("0x100"), "id 0x100 in \"0x100\" is out of range: ids are 0x00-0xff");
  EXPECT_EQ(error_of("0x05-0x01"), "bad id range \"0x05-0x01\": the first id is larger than the last");
  EXPECT_EQ(error_of("card0"), "bad id list \"card0\": expected ids like \"0x00-0x0f\", \"0x01,0x05\" or 3");
  EXPECT_EQ(error_of("1,,2"), "bad id list \"1,,2\": expected ids like \"0x00-0x0f\", \"0x01,0x05\" or 3");
  const toml::table t = toml::parse("a = 256\nb = 1.5");
  EXPECT_THROW(parse_id_node(*t.get("a")), std::invalid_argument);
  EXPECT_THROW(parse_id_node(*t.get("b")), std::invalid_argument);
}

TEST(IdSet, PrintsCompactRanges) {
  EXPECT_EQ(parse_id_list("0x00-0x03,0x07,0x09-0x0a").str(), "0x00-0x03,0x07,0x09-0x0a");
  EXPECT_EQ((parse_id_list("1-5") & parse_id_list("4-9")).str(), "0x04-0x05");
}

} // namespace
} // namespace apq
