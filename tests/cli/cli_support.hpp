#pragma once
// apqsim as a process, for the CLI tests: what a user types and what comes back, and the files it writes.

#include "../temp_dir_test.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace apq::test {

namespace fs = std::filesystem;

struct Outcome {
  int code;        ///< the exit code; 128 + N when a signal N ended it (as a shell reports it)
  std::string out; ///< stdout and stderr together
};

/** Runs a shell command line in `dir` (the source tree by default). */
inline Outcome shell(const std::string& command_line, const std::string& dir = APQSIM_SOURCE_DIR) {
  const std::string command = "cd " + dir + " && " + command_line + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

/** Runs `apqsim ARGS` (ARGS as on a shell command line) in `dir` (the source tree by default). */
inline Outcome apqsim(const std::string& args, const std::string& dir = APQSIM_SOURCE_DIR) {
  return shell(std::string(APQSIM_BINARY) + " " + args, dir);
}

/** apqsim started in the background (stdout and stderr to `log`), for tests that signal it while it runs. */
inline pid_t start_apqsim(const std::string& args, const std::filesystem::path& log,
                          const std::string& dir = APQSIM_SOURCE_DIR) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string command = "cd " + dir + " && exec " + APQSIM_BINARY + " " + args + " > " + log.string() + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

/** The exit code of a process started by start_apqsim, 128 + N if a signal N ended it. */
inline int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/** apqsim from the command line, with a fresh directory of its own. */
class Cli : public TempDirTest {};

} // namespace apq::test
