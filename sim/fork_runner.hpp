#pragma once
// SimGrid allows one engine per process, and loading it costs about 22 ms while a fork costs about 1 ms
// (simgrid-3.32-notes.md §4). So every run beyond the first happens in a forked child of a parent that never
// created an engine; the child sends its result back as text and leaves with _exit.

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {

/** A child that failed: its exception message, or how it died. */
class ChildRunError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using ChildJob = std::function<std::string()>;

/** A child forked now that waits for its input before it runs: a baseline run that needs the reconfigured run's
 * windows is forked before the parent creates its own engine, then fed once the parent's run is over. */
class DeferredChild {
public:
  using Job = std::function<std::string(const std::string& input)>;
  explicit DeferredChild(const Job& job);
  ~DeferredChild();
  DeferredChild(const DeferredChild&) = delete;
  DeferredChild& operator=(const DeferredChild&) = delete;

  /** Sends `input`, waits for the child and returns its output; throws ChildRunError if it failed. */
  std::string finish(const std::string& input);

private:
  int pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

/** Runs each job in its own forked child, at most `max_parallel` at once, and returns their outputs in job order.
 *  Throws ChildRunError (after every child has ended) if any job threw or its child died. */
std::vector<std::string> run_in_children(const std::vector<ChildJob>& jobs, int max_parallel,
                                         const std::function<void(std::size_t, std::size_t)>& progress = {});

} // namespace apq
