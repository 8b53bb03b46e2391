#pragma once
// SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, systemd, a closed terminal) stop apqsim cleanly: no child runs on,
// no temporary file stays, and the exit status is 128 + the signal (130 for SIGINT, 143 for SIGTERM).
//
// By default a signal stops the process at once: its children are killed, the temporary files of output files in
// progress removed, and it exits. While the parent waits for its children (an Interruptible scope in the fork
// runner), the signal is only recorded: the waiting code stops the children itself and returns what is complete, so
// that a replicated run or a sweep keeps its finished work, marked incomplete. A second signal stops at once.
//
// The state lives in process-wide variables, the only way a signal handler can reach it.

#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace apq::interrupt {

/** Installs the handlers. Call at start-up, and again after SimGrid's engine starts: it sets its own SIGINT handler,
 *  which exits with 1, the code of a violation. */
void install();

/** The signal received so far, 0 when none. */
int received();

/** 128 + signal: the exit status of a process stopped by `signal`. */
inline int exit_code(int signal) {
  return 128 + signal;
}

/** "SIGINT", "SIGTERM", "SIGHUP", or "signal N". */
std::string signal_name(int signal);

/** While one exists, a signal is recorded (received()) instead of stopping the process at once. */
class Interruptible {
public:
  Interruptible();
  ~Interruptible();
  Interruptible(const Interruptible&) = delete;
  Interruptible& operator=(const Interruptible&) = delete;
};

/** Children to kill when the process stops at once. */
void add_child(pid_t pid);
void remove_child(pid_t pid);

/** Blocks SIGINT, SIGTERM and SIGHUP for its lifetime: hold one around fork(), so that a signal meant for the new
 *  child cannot reach the handler it inherits before become_child() has reset it. */
class ForkGuard {
public:
  ForkGuard();
  ~ForkGuard();
  ForkGuard(const ForkGuard&) = delete;
  ForkGuard& operator=(const ForkGuard&) = delete;
};

/** In a freshly forked child (under a ForkGuard), first thing: default signal dispositions, none of the parent's
 *  children or temporary files, death with the parent (PR_SET_PDEATHSIG: a child never outlives a parent killed
 *  even by SIGKILL), then the signals unblocked (one sent meanwhile kills it now). `parent` is the pid before the
 *  fork; if the parent is already gone, the child exits at once. */
void become_child(pid_t parent);

/** Work given up because of a signal. */
class Interrupted : public std::runtime_error {
public:
  Interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_(signal) {}
  int signal() const { return signal_; }

private:
  int signal_;
};

} // namespace apq::interrupt
