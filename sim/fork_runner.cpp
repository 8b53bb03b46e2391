#include "sim/fork_runner.hpp"

#include "sim/interrupt.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace apq {

namespace {

struct Child {
  std::size_t job;
  pid_t pid;
  int fd;
  std::string output;
};

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    done += static_cast<std::size_t>(n);
  }
}

/** Before a fork: output the parent has buffered would otherwise be written again by every child (SimGrid flushes
 * stdout in the child's run), and a large freed heap makes every fork slower (copy-on-write page tables). */
void prepare_fork() {
  std::fflush(nullptr);
  ::malloc_trim(0);
}

Child start(const ChildJob& job, std::size_t index) {
  prepare_fork();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw ChildRunError(std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t parent = ::getpid();
  const interrupt::ForkGuard guard;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw ChildRunError(std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    interrupt::become_child(parent);
    ::close(fds[0]);
    int code = 0;
    std::string output;
    try {
      output = job();
    } catch (const std::exception& e) {
      output = e.what();
      code = 3;
    }
    write_all(fds[1], output);
    ::close(fds[1]);
    ::_exit(code); // no atexit handlers, no destructors of the parent's objects
  }
  interrupt::add_child(pid);
  ::close(fds[1]);
  return Child{index, pid, fds[0], {}};
}

/** Returns an error message, or empty when the child ended well. */
std::string reap(Child& child) {
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  interrupt::remove_child(child.pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
    return child.output;
  if (WIFSIGNALED(status))
    return "run " + std::to_string(child.job) + " died of signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "run " + std::to_string(child.job) + " exited with code " + std::to_string(WEXITSTATUS(status));
}

} // namespace

void run_scheduled(const std::vector<ScheduledJob>& jobs, int max_parallel,
                   const std::function<void(std::size_t, std::string&&)>& done,
                   const std::function<void(std::size_t, std::size_t)>& progress) {
  for (std::size_t k = 0; k < jobs.size(); ++k)
    if (jobs[k].after && *jobs[k].after >= k)
      throw std::invalid_argument("run_scheduled: job " + std::to_string(k) + " waits for job " +
                                  std::to_string(*jobs[k].after) + ", which is not an earlier one");
  // A signal now only stops the children: what completed is kept, the caller decides what to write.
  const interrupt::Interruptible interruptible;
  std::size_t finished = 0;
  std::vector<bool> started(jobs.size(), false), completed(jobs.size(), false);
  std::size_t first_unstarted = 0;
  std::vector<Child> running;
  std::string first_error;
  max_parallel = std::max(max_parallel, 1);
  auto stop_all = [&running] {
    for (Child& child : running)
      ::kill(child.pid, SIGTERM);
    for (Child& child : running) {
      ::close(child.fd);
      reap(child);
    }
    running.clear();
  };
  auto ready = [&](std::size_t k) { return !started[k] && (!jobs[k].after || completed[*jobs[k].after]); };
  while (first_unstarted < jobs.size() || !running.empty()) {
    // Jobs waiting for a running one are few and near the front (a baseline's runs follow it): the scan is short.
    for (std::size_t k = first_unstarted; k < jobs.size() && static_cast<int>(running.size()) < max_parallel &&
                                          first_error.empty() && interrupt::received() == 0;
         ++k) {
      if (!ready(k))
        continue;
      try {
        running.push_back(start(jobs[k].run, k));
      } catch (const ChildRunError& e) { // no fork, no pipe: the machine is out of processes or descriptors
        first_error = "run " + std::to_string(k) + " could not start: " + e.what();
        break;
      }
      started[k] = true;
    }
    while (first_unstarted < jobs.size() && started[first_unstarted])
      ++first_unstarted;
    if (interrupt::received() != 0) {
      stop_all();
      throw ChildRunError("stopped by " + interrupt::signal_name(interrupt::received()), {}, interrupt::received());
    }
    if (running.empty())
      break; // a failure stopped the starts (or nothing is left)
    // Read every child's pipe as data comes, so that no child blocks on a full pipe. The timeout bounds how long
    // a signal that arrives just before poll() waits to be seen.
    std::vector<pollfd> fds;
    for (const Child& child : running)
      fds.push_back(pollfd{child.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0) {
      if (errno == EINTR)
        continue;
      const std::string error = std::string("poll: ") + std::strerror(errno);
      stop_all();
      throw ChildRunError(error);
    }
    for (std::size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0)
        continue;
      char buffer[65536];
      const ssize_t n = ::read(running[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        running[i].output.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      ::close(running[i].fd);
      Child child = std::move(running[i]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      const std::string error = reap(child);
      if (error.empty()) {
        completed[child.job] = true;
        try {
          done(child.job, std::move(child.output));
        } catch (...) { // the caller's own failure (a result it cannot write): no child outlives it
          stop_all();
          throw;
        }
      } else if (first_error.empty()) {
        first_error = error;
      }
      if (progress)
        progress(++finished, jobs.size());
    }
  }
  if (interrupt::received() != 0)
    throw ChildRunError("stopped by " + interrupt::signal_name(interrupt::received()), {}, interrupt::received());
  if (!first_error.empty())
    throw ChildRunError(first_error);
}

std::vector<std::string> run_in_children(const std::vector<ChildJob>& jobs, int max_parallel,
                                         const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<ScheduledJob> scheduled;
  for (const ChildJob& job : jobs)
    scheduled.push_back(ScheduledJob{job, std::nullopt});
  std::vector<std::optional<std::string>> outputs(jobs.size());
  try {
    run_scheduled(
        scheduled, max_parallel,
        [&outputs](std::size_t job, std::string&& output) { outputs[job] = std::move(output); }, progress);
  } catch (const ChildRunError& e) {
    throw ChildRunError(e.what(), std::move(outputs), e.signal());
  }
  std::vector<std::string> out;
  for (auto& output : outputs)
    out.push_back(std::move(*output));
  return out;
}

} // namespace apq
