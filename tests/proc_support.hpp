#pragma once
// Processes as /proc shows them, for tests of signals and children: who is whose child, and who still runs.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/types.h>
#include <vector>

namespace apq::test {

/** Field `index` of /proc/PID/stat counted as proc(5) does (3 the state, 4 the parent's pid); empty if gone. */
inline std::string proc_stat_field(pid_t pid, int index) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const std::size_t paren = text.rfind(')');
  if (paren == std::string::npos)
    return {};
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= index && fields >> field; ++i) {
  }
  return field;
}

/** The children of `parent`, from /proc. */
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") == std::string::npos &&
        proc_stat_field(std::stoi(name), 4) == std::to_string(parent))
      children.push_back(std::stoi(name));
  }
  return children;
}

/** Whether `pid` still runs (a zombie runs no more). */
inline bool is_running(pid_t pid) {
  const std::string state = proc_stat_field(pid, 3);
  return !state.empty() && state != "Z" && state != "X";
}

} // namespace apq::test
