#include "sim/interrupt.hpp"

#include "analysis/output_file.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace apq::interrupt {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

volatile std::sig_atomic_t g_received = 0;
std::atomic<int> g_interruptible{0};
std::array<std::atomic<pid_t>, 1024> g_children{};

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : kSignals)
    sigaddset(&set, signal);
  return set;
}

void kill_children() noexcept {
  for (auto& slot : g_children)
    if (const pid_t pid = slot.load(); pid > 0)
      ::kill(pid, SIGKILL);
}

extern "C" void on_signal(int signal) {
  const bool again = g_received != 0;
  g_received = signal;
  if (g_interruptible.load() > 0 && !again)
    return; // the waiting code winds down and keeps what is complete
  kill_children();
  remove_temporary_files();
  ::_exit(exit_code(signal));
}

} // namespace

void install() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_mask = handled_signals(); // one handler at a time
  action.sa_flags = 0;                // no SA_RESTART: a blocking poll() returns EINTR and looks
  for (int signal : kSignals)
    ::sigaction(signal, &action, nullptr);
}

int received() {
  return g_received;
}

std::string signal_name(int signal) {
  switch (signal) {
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  case SIGHUP:
    return "SIGHUP";
  default:
    return "signal " + std::to_string(signal);
  }
}

Interruptible::Interruptible() {
  ++g_interruptible;
}

Interruptible::~Interruptible() {
  --g_interruptible;
}

void add_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid))
      return;
  }
  // More than 1024 children at once: those beyond are still stopped by PR_SET_PDEATHSIG when we exit.
}

void remove_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0))
      return;
  }
}

ForkGuard::ForkGuard() {
  const sigset_t blocked = handled_signals();
  ::sigprocmask(SIG_BLOCK, &blocked, nullptr);
}

ForkGuard::~ForkGuard() {
  const sigset_t blocked = handled_signals();
  ::sigprocmask(SIG_UNBLOCK, &blocked, nullptr);
}

void become_child(pid_t parent) {
  for (int signal : kSignals)
    std::signal(signal, SIG_DFL);
  g_received = 0;
  g_interruptible = 0;
  for (auto& slot : g_children)
    slot.store(0);
  forget_temporary_files();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) // the parent died before prctl: nobody will read our result
    ::_exit(exit_code(SIGTERM));
  const sigset_t blocked = handled_signals();
  ::sigprocmask(SIG_UNBLOCK, &blocked, nullptr);
}

} // namespace apq::interrupt
