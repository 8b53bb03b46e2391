#pragma once
// The apqsim subcommands, each a function from parsed options to an exit code
// (0 ran; 1 ran and a monitor found a violation the scenario did not expect; 2 usage or config error).

#include "sim/scenario/scenario.hpp"

#include <optional>
#include <string>
#include <vector>

namespace apq::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitUsage = 2;

struct ScenarioOptions {
  std::string file;
  std::vector<std::string> set; ///< --set PATH=VALUE overrides, applied after includes
  std::optional<uint64_t> seed; ///< --seed, same as --set run.seed=N
};

struct RunCommandOptions {
  ScenarioOptions scenario;
  std::string json_file;
  std::string trace_file;
  bool quiet = false;
  std::vector<std::string> simgrid_args;
};

int run_command(const RunCommandOptions& options);
int check_command(const ScenarioOptions& options);
int list_command(const std::string& kind);

} // namespace apq::cli
