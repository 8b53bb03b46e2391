#pragma once
// SimGrid allows one engine per process, and loading it costs about 22 ms while a fork costs about 1 ms
// (sim/README.md). So every run beyond the first happens in a forked child of a parent that never
// created an engine; the child sends its result back as text and leaves with _exit.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {

/** Children that did not all complete: the first failure's message (a job's exception, or how its child died), the
 *  outputs of the jobs that did complete, and the signal (SIGINT, SIGTERM, SIGHUP) if one stopped them. */
class ChildRunError : public std::runtime_error {
public:
  explicit ChildRunError(const std::string& what, std::vector<std::optional<std::string>> outputs = {}, int signal = 0)
      : std::runtime_error(what), outputs_(std::move(outputs)), signal_(signal) {}
  /** Per job, in job order: its output when it completed. */
  const std::vector<std::optional<std::string>>& outputs() const { return outputs_; }
  /** The signal that stopped the runs, 0 when a job failed. */
  int signal() const { return signal_; }

private:
  std::vector<std::optional<std::string>> outputs_;
  int signal_;
};

using ChildJob = std::function<std::string()>;

/** A job of run_scheduled: what its child runs, and the earlier job it needs (whose output the parent keeps for it
 *  to read after the fork), if any. */
struct ScheduledJob {
  ChildJob run;
  std::optional<std::size_t> after;
};

/** Runs each job in its own forked child, at most `max_parallel` at once: in list order, except that a job whose
 *  `after` has not completed yet is passed over for later ones, so that every slot stays busy. The parent calls
 *  done(job, output) as each job completes, in completion order, before it starts the next. If a job throws or
 *  its child dies, no new job starts, the running ones finish, and ChildRunError (without outputs: they were
 *  handed to `done`) names the first failure; on SIGINT/SIGTERM/SIGHUP the children are stopped at once and
 *  ChildRunError carries the signal. `after` must name an earlier job (std::invalid_argument otherwise). */
void run_scheduled(const std::vector<ScheduledJob>& jobs, int max_parallel,
                   const std::function<void(std::size_t job, std::string&& output)>& done,
                   const std::function<void(std::size_t, std::size_t)>& progress = {});

/** Runs each job in its own forked child, at most `max_parallel` at once, and returns their outputs in job order.
 *  If a job throws or its child dies, no new job starts, the running ones finish, and ChildRunError carries what
 *  completed. On SIGINT/SIGTERM/SIGHUP (see interrupt.hpp) the children are stopped at once and ChildRunError carries
 *  the signal and what completed before it. Children never outlive the parent (PR_SET_PDEATHSIG). */
std::vector<std::string> run_in_children(const std::vector<ChildJob>& jobs, int max_parallel,
                                         const std::function<void(std::size_t, std::size_t)>& progress = {});

} // namespace apq
