#include "models/config_node.hpp"

#include "models/registry.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

using test::error_of;
using test::parse_toml;

// Line and column numbers below refer to this document.
constexpr std::string_view kDoc = R"(name = "demo"
poll = "250us"
bare = 30
zero = 0
count = 3
ratio = 0.5
flag = true
data = "traces/a.csv"
ops = ["rsa_crt_2k", 7]

[[guests]]
arrival = { process = "poisson", raet = "1k/s" }

[[guests]]
arrival = { process = "poisson", rate = "fast" }
)";

class ConfigNodeTest : public ::testing::Test {
protected:
  toml::table doc_ = parse_toml(kDoc, "cfg/scen.toml");
  ConfigNode root_{doc_};
};

TEST_F(ConfigNodeTest, ReadsTypedValues) {
  EXPECT_EQ(root_.duration("poll"), 250e-6);
  EXPECT_EQ(root_.duration("zero"), 0.0);
  EXPECT_EQ(root_.rate("zero"), 0.0);
  EXPECT_EQ(root_.number("count"), 3.0);
  EXPECT_EQ(root_.number("ratio"), 0.5);
  EXPECT_EQ(root_.integer("count"), 3);
  EXPECT_EQ(root_.string("name"), "demo");
  EXPECT_TRUE(root_.boolean_or("flag", false));
  EXPECT_TRUE(root_.has("poll"));
  EXPECT_FALSE(root_.has("absent"));
  EXPECT_EQ(root_.duration_or("absent", 1.5), 1.5);
  EXPECT_EQ(root_.rate_or("absent", 2.0), 2.0);
  EXPECT_EQ(root_.number_or("absent", 3.0), 3.0);
  EXPECT_EQ(root_.integer_or("absent", 4), 4);
  EXPECT_EQ(root_.string_or("absent", "x"), "x");
  EXPECT_FALSE(root_.boolean_or("absent", false));
  EXPECT_EQ(root_.raw("absent"), nullptr);
  ASSERT_NE(root_.raw("count"), nullptr);
  EXPECT_TRUE(root_.raw("count")->is_integer());
}

TEST_F(ConfigNodeTest, ErrorsPointAtTheValue) {
  EXPECT_EQ(error_of([&] { root_.duration("bare"); }),
            R"(cfg/scen.toml:3:8: error: bare: bad duration 30: a number alone has no unit; write it as a string )"
            R"(with one, e.g. "30s")");
  EXPECT_EQ(error_of([&] { root_.rate("count"); }),
            R"(cfg/scen.toml:5:9: error: count: bad rate 3: a number alone has no unit; write it as a string )"
            R"(with one, e.g. "3/s")");
  EXPECT_EQ(error_of([&] { root_.duration("name"); }),
            R"(cfg/scen.toml:1:8: error: name: bad duration "demo": expected a number and a unit )"
            R"((ns, us, ms, s, min, h), like "250us")");
  EXPECT_EQ(error_of([&] { root_.duration("flag"); }),
            R"(cfg/scen.toml:7:8: error: flag: expected a duration (a string like "250us"), got the boolean true)");
  EXPECT_EQ(error_of([&] { root_.integer("ratio"); }),
            "cfg/scen.toml:6:9: error: ratio: expected an integer, got the number 0.5");
  EXPECT_EQ(error_of([&] { root_.string("count"); }),
            "cfg/scen.toml:5:9: error: count: expected a string, got the integer 3");
  EXPECT_EQ(error_of([&] { root_.table("name"); }),
            "cfg/scen.toml:1:8: error: name: expected a table, got the string \"demo\"");
  EXPECT_EQ(error_of([&] { root_.strings("ops"); }),
            "cfg/scen.toml:9:22: error: ops[1]: expected a string, got the integer 7");
}

TEST_F(ConfigNodeTest, MissingKeyPointsAtTheTable) {
  EXPECT_EQ(error_of([&] { root_.duration("timeout"); }), "cfg/scen.toml:1:1: error: missing required key 'timeout'");
  auto arrival = root_.tables("guests")[0].table("arrival");
  EXPECT_EQ(error_of([&] { arrival.rate("period"); }),
            "cfg/scen.toml:12:11: error: guests[0].arrival: missing required key 'period'");
}

TEST_F(ConfigNodeTest, AMissingKeyWithANearMissIsReportedAsTheTypo) {
  auto arrival = root_.tables("guests")[0].table("arrival");
  EXPECT_EQ(error_of([&] { arrival.rate("rate"); }),
            "cfg/scen.toml:12:34: error: unknown key 'raet' in guests[0].arrival; did you mean 'rate'?");
}

TEST_F(ConfigNodeTest, NestedPathsAndLocations) {
  auto guests = root_.tables("guests");
  ASSERT_EQ(guests.size(), 2u);
  EXPECT_EQ(guests[1].path(), "guests[1]");
  auto arrival = guests[1].table("arrival");
  EXPECT_EQ(arrival.path(), "guests[1].arrival");
  EXPECT_EQ(arrival.key_path("rate"), "guests[1].arrival.rate");
  EXPECT_EQ(arrival.where("rate"), "cfg/scen.toml:15:41");
  EXPECT_EQ(arrival.where(), "cfg/scen.toml:15:11");
  EXPECT_EQ(error_of([&] { arrival.rate("rate"); }),
            R"(cfg/scen.toml:15:41: error: guests[1].arrival.rate: bad rate "fast": expected a number, an optional )"
            R"(k, M or G, '/' and a time unit (ns, us, ms, s, min, h), like "20k/s" or "1/min")");
  EXPECT_EQ(error_of([&] { arrival.fail("rate", "too fast"); }),
            "cfg/scen.toml:15:41: error: guests[1].arrival.rate: too fast");
  EXPECT_EQ(error_of([&] { arrival.fail("broken"); }), "cfg/scen.toml:15:11: error: guests[1].arrival: broken");
}

TEST_F(ConfigNodeTest, UnknownKeyListsTheKeysAskedFor) {
  auto arrival = root_.tables("guests")[0].table("arrival");
  EXPECT_EQ(arrival.string("process"), "poisson");
  EXPECT_FALSE(arrival.has("rate"));
  EXPECT_EQ(error_of([&] { arrival.reject_unknown_keys(); }),
            "cfg/scen.toml:12:34: error: unknown key 'raet' in guests[0].arrival; did you mean 'rate'? valid keys: "
            "process, rate");
}

TEST_F(ConfigNodeTest, UnknownKeyAtTopLevelIsTheFirstInTheDocument) {
  root_.has("name");
  root_.has("poll");
  EXPECT_EQ(error_of([&] { root_.reject_unknown_keys(); }),
            "cfg/scen.toml:3:1: error: unknown key 'bare' at top level; valid keys: name, poll");
}

TEST_F(ConfigNodeTest, ReadersOfOneTableCombine) {
  // A card table is read by the scenario loader and by the card-type factory, through different ConfigNodes.
  auto first = root_.tables("guests")[1].table("arrival");
  auto second = root_.tables("guests")[1].table("arrival");
  ConfigNode copy = first;
  copy.string("process");
  second.has("rate");
  EXPECT_NO_THROW(first.reject_unknown_keys());
}

TEST_F(ConfigNodeTest, PathsAreRelativeToTheTomlFile) {
  EXPECT_EQ(root_.path_value("data"), std::filesystem::path("cfg/traces/a.csv"));
  auto absolute = parse_toml(R"(data = "/srv/a.csv")", "cfg/scen.toml");
  EXPECT_EQ(ConfigNode(absolute).path_value("data"), std::filesystem::path("/srv/a.csv"));
}

TEST_F(ConfigNodeTest, KeysInDocumentOrder) {
  auto keys = root_.keys();
  std::vector<std::string> expected{"name", "poll", "bare", "zero", "count", "ratio", "flag", "data", "ops", "guests"};
  EXPECT_EQ(keys, expected);
  EXPECT_THROW(root_.reject_unknown_keys(), ConfigError); // listing keys does not count them as asked
}

TEST(ConfigNode, CopiedTablesFallBackToTheFileName) {
  auto doc = parse_toml("x = 1\n", "a.toml");
  toml::table copy = doc; // toml++ does not copy source positions
  ConfigNode node(copy, "", "fallback.toml");
  EXPECT_EQ(error_of([&] { node.string("x"); }), "fallback.toml: error: x: expected a string, got the integer 1");
  EXPECT_EQ(std::string(ConfigError("", "bare").what()), "error: bare");
}

TEST(ConfigNode, ChooseFailsLocatedWithTheRegistryMessage) {
  Registry<int()> widgets("widget");
  widgets.add({"alpha", "first", {}, [] { return 1; }}).add({"Beta", "second", {}, [] { return 2; }});
  auto doc = parse_toml("a = \"BETA\"\nb = \"gamma\"\n", "w.toml");
  ConfigNode node(doc);
  EXPECT_EQ(node.choose(widgets, "a").name, "Beta");
  EXPECT_EQ(error_of([&] { node.choose(widgets, "b"); }),
            "w.toml:2:5: error: b: unknown widget 'gamma'; valid: alpha, Beta");
}

} // namespace
} // namespace apq
