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

TEST(ForkRunner, AJobStartsAfterTheJobItNeedsWhileLaterJobsFillTheSlots) {
  // Job 1 needs job 0's output, which the parent stores as job 0 completes and job 1's child reads after its fork.
  // With two slots, job 2 runs beside job 0 instead of waiting behind job 1.
  std::string needed;
  std::vector<ScheduledJob> jobs;
  jobs.push_back(ScheduledJob{[] {
                                ::usleep(300'000);
                                return std::string("zero");
                              },
                              std::nullopt});
  jobs.push_back(ScheduledJob{[&needed] { return "one after " + needed; }, 0});
  jobs.push_back(ScheduledJob{[] { return std::string("two"); }, std::nullopt});
  std::vector<std::pair<std::size_t, std::string>> done;
  run_scheduled(jobs, 2, [&](std::size_t job, std::string&& output) {
    if (job == 0)
      needed = output;
    done.emplace_back(job, std::move(output));
  });
  const std::vector<std::pair<std::size_t, std::string>> expected{{2, "two"}, {0, "zero"}, {1, "one after zero"}};
  EXPECT_EQ(done, expected);
  EXPECT_THROW(run_scheduled({ScheduledJob{[] { return std::string(); }, 0}}, 1, [](std::size_t, std::string&&) {}),
               std::invalid_argument);
}

TEST(ForkRunner, AFailureOfTheCallerStopsTheChildren) {
  // A result the caller cannot keep (a file it cannot write) ends the runs: no child outlives the call.
  std::vector<ScheduledJob> jobs;
  jobs.push_back(ScheduledJob{[] { return std::string("quick"); }, std::nullopt});
  jobs.push_back(ScheduledJob{[] {
                                ::sleep(30);
                                return std::string("slow");
                              },
                              std::nullopt});
  EXPECT_THROW(run_scheduled(jobs, 2, [](std::size_t, std::string&&) { throw std::runtime_error("disk full"); }),
               std::runtime_error);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1); // no child left, not even a zombie
  EXPECT_EQ(errno, ECHILD);
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
