#pragma once
// apqsim as a process, for tests of what a user types and what comes back: run it, read the files it writes.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace apq::test {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out; ///< stdout and stderr together
};

/** Runs a shell command line from the source directory. */
inline Outcome shell(const std::string& command_line) {
  const std::string command = std::string("cd ") + APQSIM_SOURCE_DIR + " && " + command_line + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/** Runs `apqsim ARGS` (ARGS as on a shell command line) from the source directory. */
inline Outcome apqsim(const std::string& args) {
  return shell(std::string(APQSIM_BINARY) + " " + args);
}

inline std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/** A test with a fresh directory of its own, removed afterwards. */
class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("apqsim-cli-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

} // namespace apq::test
