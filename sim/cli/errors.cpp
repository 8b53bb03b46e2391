// The one place where a failure becomes a message and an exit code (the table is in commands.hpp).

#include "analysis/output_file.hpp"
#include "models/config_node.hpp"
#include "sim/cli/commands.hpp"
#include "sim/experiment/analytic_report.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/fork_runner.hpp"
#include "sim/interrupt.hpp"

#include <filesystem>
#include <iostream>
#include <new>
#include <system_error>

namespace apq::cli {

int incomplete_exit_code(int signal) {
  return signal != 0 ? interrupt::exit_code(signal) : kExitIo;
}

int exit_code_of_failure() noexcept {
  try {
    throw;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitUsage;
  } catch (const AnalyticUnsupported& e) {
    std::cerr << "apqsim analytic: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const IoError& e) {
    std::cerr << e.what() << "\n";
    return kExitIo;
  } catch (const LimitError& e) {
    std::cerr << "apqsim: error: " << e.what() << "\n";
    return kExitIo;
  } catch (const IncompleteExperiment& e) {
    std::cerr << "apqsim: error: " << e.what() << "\n";
    return incomplete_exit_code(e.signal());
  } catch (const ChildRunError& e) {
    std::cerr << "apqsim: error: " << e.what() << "\n";
    return incomplete_exit_code(e.signal());
  } catch (const interrupt::Interrupted& e) {
    std::cerr << "apqsim: " << e.what() << "\n";
    return interrupt::exit_code(e.signal());
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "apqsim: error: " << e.what() << "\n";
    return kExitIo;
  } catch (const std::system_error& e) {
    std::cerr << "apqsim: error: " << e.what() << "\n";
    return kExitIo;
  } catch (const std::bad_alloc&) {
    std::cerr << "apqsim: error: out of memory (lower [limits] in_flight or the scenario's size)\n";
    return kExitIo;
  } catch (const std::exception& e) {
    std::cerr << "apqsim: internal error: " << e.what() << " (please report it)\n";
    return kExitInternal;
  } catch (...) {
    std::cerr << "apqsim: internal error: an unknown exception (please report it)\n";
    return kExitInternal;
  }
}

} // namespace apq::cli
