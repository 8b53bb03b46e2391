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
  const std::string json = text.str();
  try {
    return Json::parse(json);
  } catch (const Json::parse_error& e) {
    // Located as every input error is: file:line:column of the first byte that is not JSON.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < json.size(); ++i) {
      column = json[i] == '\n' ? 1 : column + 1;
      line += json[i] == '\n';
    }
    const std::string what = e.what();
    const std::size_t reason = what.find("syntax error");
    throw ConfigError(file + ":" + std::to_string(line) + ":" + std::to_string(column),
                      "not a JSON result document: " + (reason == std::string::npos ? what : what.substr(reason)) +
                          " (apqsim report reads what --json wrote, or a sweep's results.json)");
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
