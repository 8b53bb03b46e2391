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

/** Runs each job in its own forked child, at most `max_parallel` at once, and returns their outputs in job order.
 *  Throws ChildRunError (after every child has ended) if any job threw or its child died. */
std::vector<std::string> run_in_children(const std::vector<ChildJob>& jobs, int max_parallel);

} // namespace apq
