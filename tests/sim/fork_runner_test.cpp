#include "sim/fork_runner.hpp"

#include "../proc_support.hpp"
#include "sim/interrupt.hpp"

#include <cerrno>
#include <csignal>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(ForkRunner, AFailureKeepsTheOutputsOfTheJobsThatCompleted) {
  try {
    run_in_children({[] { return std::string("first"); }, []() -> std::string { std::abort(); },
                     [] { return std::string("third"); }},
                    3);
    FAIL() << "expected ChildRunError";
  } catch (const ChildRunError& e) {
    ASSERT_EQ(e.outputs().size(), 3u);
    EXPECT_EQ(e.outputs()[0], "first");
    EXPECT_FALSE(e.outputs()[1].has_value());
    EXPECT_EQ(e.outputs()[2], "third");
    EXPECT_EQ(e.signal(), 0);
  }
}

TEST(ForkRunner, ASignalStopsTheChildrenAndKeepsWhatCompleted) {
  interrupt::install();
  std::vector<ChildJob> jobs = {[] { return std::string("done"); },
                                [] {
                                  ::sleep(60); // stopped long before
                                  return std::string("late");
                                }};
  try {
    // Once the first job is in, Ctrl-C: the parent only records it while it waits for its children.
    run_in_children(jobs, 2, [](std::size_t done, std::size_t) {
      if (done == 1)
        ::kill(::getpid(), SIGINT);
    });
    FAIL() << "expected ChildRunError";
  } catch (const ChildRunError& e) {
    EXPECT_EQ(e.signal(), SIGINT);
    EXPECT_STREQ(e.what(), "stopped by SIGINT");
    ASSERT_EQ(e.outputs().size(), 2u);
    EXPECT_EQ(e.outputs()[0], "done");
    EXPECT_FALSE(e.outputs()[1].has_value());
  }
  // Every child was reaped: none is left to this process.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

} // namespace
} // namespace apq
