// apqsim report RESULT.json -o FILE.html: the HTML report of a result written earlier (by --json, or a sweep's
// results.json), the same page --report writes at the end of a command.

#include "analysis/html_report.hpp"
#include "sim/cli/commands.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace apq::cli {

int report_command(const ReportCommandOptions& options) {
  std::filesystem::path input(options.result);
  if (std::filesystem::is_directory(input))
    input /= "results.json"; // a sweep's output directory
  std::ifstream in(input);
  if (!in) {
    std::cerr << input.string() << ": error: cannot read the result file\n";
    return kExitUsage;
  }
  Json document;
  try {
    document = Json::parse(in);
    report_kind(document);
    check_writable_destination(options.output_file, "-o");
  } catch (const Json::parse_error& e) {
    std::cerr << input.string() << ": error: not a JSON document (" << e.what() << ")\n";
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    std::cerr << input.string() << ": error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  }
  return write_report(document, options.output_file, "-o") ? kExitOk : kExitUsage;
}

} // namespace apq::cli
