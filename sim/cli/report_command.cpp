// apqsim report RESULT.json -o FILE.html: the HTML report of a result written earlier (by --json, or a sweep's
// results.json), the same page --report writes at the end of a command.

#include "analysis/html_report.hpp"
#include "models/config_node.hpp"
#include "sim/cli/commands.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace apq::cli {

Json read_result_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError(file, std::string("cannot read the result file: ") + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return Json::parse(text.str());
  } catch (const Json::parse_error& e) {
    throw ConfigError(file, std::string("not a JSON document (") + e.what() + ")");
  }
}

int report_command(const ReportCommandOptions& options) {
  std::filesystem::path input(options.result);
  if (std::filesystem::is_directory(input))
    input /= "results.json"; // a sweep's output directory
  const Json document = read_result_file(input.string());
  try {
    report_kind(document);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(input.string(), e.what());
  }
  write_report(document, options.output_file, "-o");
  return kExitOk;
}

} // namespace apq::cli
