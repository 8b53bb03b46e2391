#include "sim/fork_runner.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
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
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

Child start(const ChildJob& job, std::size_t index) {
  int fds[2];
  if (::pipe(fds) != 0) throw ChildRunError(std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw ChildRunError(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
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
  ::close(fds[1]);
  return Child{index, pid, fds[0], {}};
}

/** Returns an error message, or empty when the child ended well. */
std::string finish(Child& child) {
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return child.output;
  if (WIFSIGNALED(status))
    return "run " + std::to_string(child.job) + " died of signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "run " + std::to_string(child.job) + " exited with code " + std::to_string(WEXITSTATUS(status));
}

} // namespace

std::vector<std::string> run_in_children(const std::vector<ChildJob>& jobs, int max_parallel) {
  std::vector<std::string> outputs(jobs.size());
  std::vector<Child> running;
  std::string first_error;
  std::size_t next = 0;
  max_parallel = std::max(max_parallel, 1);
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < max_parallel && first_error.empty()) {
      running.push_back(start(jobs[next], next));
      ++next;
    }
    if (running.empty()) break;
    // Read every child's pipe as data comes, so that no child blocks on a full pipe.
    std::vector<pollfd> fds;
    for (const Child& child : running)
      fds.push_back(pollfd{child.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
      throw ChildRunError(std::string("poll: ") + std::strerror(errno));
    for (std::size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(running[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        running[i].output.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      ::close(running[i].fd);
      const std::string error = finish(running[i]);
      if (!error.empty() && first_error.empty()) first_error = error;
      outputs[running[i].job] = std::move(running[i].output);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  if (!first_error.empty()) throw ChildRunError(first_error);
  return outputs;
}

} // namespace apq
