#pragma once
// A test with a fresh directory of its own (dir_, /tmp/apqsim-SUITE-TEST), removed afterwards: for tests that write
// and read files.

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

namespace apq::test {

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("apqsim-") + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  /** Writes `text` to the file `name` in dir_; returns its path. */
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::filesystem::path dir_;
};

} // namespace apq::test
