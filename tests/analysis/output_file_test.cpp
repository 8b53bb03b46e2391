// Output files are whole or absent: a temporary file renamed onto a regular file or a new path, devices written
// through, every write checked, nothing left behind.

#include "analysis/output_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace apq {
namespace {

namespace fs = std::filesystem;

class OutputFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("apq-output-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /** Every entry of the directory, temporary files included. */
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const IoError& e) {
      return e.what();
    }
    return "no IoError";
  }
  fs::path dir_;
};

TEST_F(OutputFileTest, AppearsWholeOnlyWhenCommitted) {
  const fs::path target = dir_ / "r.json";
  {
    OutputFile file(target, "--json");
    file.write("{\"a\": 1}\n");
    EXPECT_FALSE(fs::exists(target)) << "nothing under the target's name before the commit";
    ASSERT_EQ(entries().size(), 1u);
    EXPECT_EQ(entries()[0].rfind(".r.json.tmp.", 0), 0u) << entries()[0];
    file.commit();
  }
  EXPECT_EQ(read(target), "{\"a\": 1}\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"r.json"});
}

TEST_F(OutputFileTest, AnUncommittedFileLeavesNothing) {
  {
    OutputFile file(dir_ / "r.json");
    file.write(std::string(3 << 20, 'x')); // past the buffer: on disk already
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(OutputFileTest, ReplacesARegularFileKeepingItsMode) {
  const fs::path target = dir_ / "r.csv";
  std::ofstream(target) << "old";
  ::chmod(target.c_str(), 0640);
  write_output_file(target, "new");
  EXPECT_EQ(read(target), "new");
  struct stat info {};
  ::stat(target.c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

TEST_F(OutputFileTest, FollowsASymlinkAndKeepsIt) {
  std::ofstream(dir_ / "real.json") << "old";
  fs::create_symlink("real.json", dir_ / "link.json");
  write_output_file(dir_ / "link.json", "new");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_EQ(read(dir_ / "real.json"), "new");
}

TEST_F(OutputFileTest, WritesThroughDevicesAndNeverReplacesThem) {
  write_output_file("/dev/null", "discarded");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  // /dev/full: a device that is always full, as a disk can be.
  EXPECT_EQ(error_of([] { write_output_file("/dev/full", "x", "--json"); }),
            "--json /dev/full: error: cannot write /dev/full: No space left on device");
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST_F(OutputFileTest, RefusesWhatCannotBeWrittenBeforeAnyWork) {
  EXPECT_EQ(error_of([&] { check_output_path(dir_, "--json"); }), "--json " + dir_.string() + ": error: cannot write " +
                                                                      dir_.string() +
                                                                      ": it is a directory; name a file in it");
  EXPECT_EQ(error_of([&] { check_output_path(dir_ / "no" / "r.json", "--csv"); }),
            "--csv " + (dir_ / "no" / "r.json").string() + ": error: cannot write " +
                (dir_ / "no" / "r.json").string() + ": directory " + (dir_ / "no").string() + " does not exist");
  EXPECT_NE(error_of([] { check_output_path("/proc/r.json", "--json"); }).find("cannot create a file in /proc"),
            std::string::npos);
  check_output_path(dir_ / "r.json", "--json"); // fine, and leaves no probe behind
  EXPECT_TRUE(entries().empty());
}

TEST_F(OutputFileTest, OutputDirectoriesAreCreatedOrRefused) {
  prepare_output_directory(dir_ / "a" / "b", "--out");
  EXPECT_TRUE(fs::is_directory(dir_ / "a" / "b"));
  std::ofstream(dir_ / "file") << "x";
  EXPECT_EQ(error_of([&] { prepare_output_directory(dir_ / "file", "--out"); }),
            "--out " + (dir_ / "file").string() + ": error: " + (dir_ / "file").string() +
                " exists and is not a directory");
}

TEST_F(OutputFileTest, SignalHandlersCanRemoveTemporaryFiles) {
  OutputFile file(dir_ / "trace.csv");
  file.write("partial");
  remove_temporary_files(); // what a SIGINT handler does before it exits
  EXPECT_TRUE(entries().empty());
}

} // namespace
} // namespace apq
