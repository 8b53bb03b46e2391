#include "sim/fork_runner.hpp"

#include <gtest/gtest.h>

namespace apq {
namespace {

TEST(ForkRunner, ReturnsOutputsInJobOrder) {
  std::vector<ChildJob> jobs;
  for (int i = 0; i < 5; ++i)
    jobs.push_back([i] { return std::string(100000 + i, static_cast<char>('a' + i)); }); // larger than a pipe
  const std::vector<std::string> out = run_in_children(jobs, 2);
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].size(), 100000u + i);
    EXPECT_EQ(out[i].front(), 'a' + i);
  }
}

TEST(ForkRunner, ChildStateDoesNotLeakIntoTheParent) {
  int counter = 0;
  const auto out = run_in_children({[&counter] { return std::to_string(++counter); }}, 1);
  EXPECT_EQ(out[0], "1");
  EXPECT_EQ(counter, 0);
}

TEST(ForkRunner, AJobThatThrowsReportsItsMessage) {
  try {
    run_in_children({[] { return std::string("fine"); }, []() -> std::string { throw std::runtime_error("boom 42"); }},
                    2);
    FAIL() << "expected ChildRunError";
  } catch (const ChildRunError& e) {
    EXPECT_STREQ(e.what(), "boom 42");
  }
}

TEST(ForkRunner, AChildThatDiesIsReported) {
  try {
    run_in_children({[]() -> std::string { std::abort(); }}, 1);
    FAIL() << "expected ChildRunError";
  } catch (const ChildRunError& e) {
    EXPECT_NE(std::string(e.what()).find("signal 6"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace apq
