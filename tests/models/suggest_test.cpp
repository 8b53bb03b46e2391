#include "models/suggest.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

TEST(Suggest, EditDistanceCountsTyposAsUsersMakeThem) {
  EXPECT_EQ(edit_distance("horizon", "horizon"), 0u);
  EXPECT_EQ(edit_distance("horizn", "horizon"), 1u); // a letter left out
  EXPECT_EQ(edit_distance("nmae", "name"), 1u);      // two letters swapped
  EXPECT_EQ(edit_distance("EBUSYY", "EBUSY"), 1u);   // a letter doubled
  EXPECT_EQ(edit_distance("ebusy", "EBUSY"), 0u);    // case does not count
  EXPECT_EQ(edit_distance("", "run"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Suggest, OnlyTheClosestNamesThatAreCloseEnough) {
  const std::vector<std::string> strategies = {"linux-6.13", "naive-mutex", "ordered", "v12-trylock"};
  EXPECT_EQ(closest_names("orderd", strategies), std::vector<std::string>{"ordered"});
  EXPECT_TRUE(closest_names("mutex", strategies).empty()); // 6 edits from naive-mutex: no guess
  const std::vector<std::string> cards = {"CEX7A", "CEX8A", "CEX8C", "CEX8P", "custom"};
  EXPECT_EQ(closest_names("CEX8", cards), (std::vector<std::string>{"CEX8A", "CEX8C", "CEX8P"}));
  EXPECT_EQ(closest_names("cex8a", cards), std::vector<std::string>{"CEX8A"});
  // Short names allow one edit, longer ones more.
  EXPECT_TRUE(closest_names("ab", {"xy"}).empty());
  EXPECT_EQ(closest_names("assign_adaptor", {"assign_adapter", "unassign_adapter"}),
            std::vector<std::string>{"assign_adapter"});
}

TEST(Suggest, MessagesHaveOneShape) {
  EXPECT_EQ(did_you_mean("runn", {"run", "compare"}), "did you mean 'run'?");
  EXPECT_EQ(did_you_mean("CEX8", {"CEX8A", "CEX8C"}), "did you mean 'CEX8A' or 'CEX8C'?");
  EXPECT_EQ(did_you_mean("zzz", {"run"}), "");
  EXPECT_EQ(unknown_name_message("errno", "EBUSYY", {"EBUSY", "EAGAIN"}),
            "unknown errno 'EBUSYY'; did you mean 'EBUSY'? valid: EBUSY, EAGAIN");
  EXPECT_EQ(unknown_name_message("errno", "EFOO", {"EBUSY", "EAGAIN"}), "unknown errno 'EFOO'; valid: EBUSY, EAGAIN");
  EXPECT_EQ(with_suggestion("unknown option '--jsn'", "--jsn", {"--json", "--trace"}),
            "unknown option '--jsn'; did you mean '--json'?");
}

} // namespace
} // namespace apq
