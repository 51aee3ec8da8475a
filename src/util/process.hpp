#pragma once
// Runs a child process with a given argv, environment, cwd and umask, capturing stdout/stderr.
// ProcessRunner is an interface so that compile jobs can be tested against scripted results.
//
// SystemProcessRunner is the one place that spawns and watches processes: the compile jobs, the
// docker builder's docker CLI and the overlay builder's bubblewrap sandbox all go through it. The
// fields after cancel_fd are what the build servers need (stdin, a time limit, an output cap, a
// clean signal and descriptor state, a hook between fork and exec); their defaults change nothing.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

struct ProcessSpec {
  std::vector<std::string> argv;          // argv[0] is the executable path
  std::vector<std::string> env;           // "NAME=value"; the child sees exactly these
  std::string cwd;                        // empty = inherit
  std::optional<mode_t> umask;            // the caller's umask for files the child creates
  // When >= 0 (the client's connection): the child runs in its own process group, and if this
  // socket hangs up before the child exits, the whole group is killed (result.cancelled).
  int cancel_fd = -1;

  // The child's stdin (duplicated; the caller keeps it open until run returns). -1: /dev/null.
  int stdin_fd = -1;
  // The child runs in its own process group (as with cancel_fd, without the hang-up watch). Every
  // kill below then hits the whole group; otherwise only the child.
  bool own_process_group = false;
  // After this long (counted once on_spawned has returned) the child is killed with SIGKILL
  // (result.timed_out). nullopt: no limit.
  // Without exit_grace the limit holds while the child's stdout or stderr is open (the runner
  // then waits for the exit without one).
  std::optional<std::chrono::milliseconds> timeout{};
  // Once stdout + stderr hold more than this many bytes the child is killed and its pipes are no
  // longer read (result.output_exceeded).
  uint64_t max_output = UINT64_MAX;
  // The child starts with every signal at its default action and none blocked (otherwise it
  // inherits the caller's ignored signals and signal mask).
  bool default_signals = false;
  // No descriptor but stdin/stdout/stderr reaches the program, not even one another thread opened
  // without O_CLOEXEC.
  bool close_other_fds = false;
  // Watch the child's exit itself (pidfd) rather than only its pipes: once it has exited, its
  // pipes are read for at most this long more (other processes may still hold them), and the time
  // limit stops counting. nullopt: read until both pipes close (5 s at most after a kill).
  std::optional<std::chrono::milliseconds> exit_grace{};
  // Runs in the child after fork, before stdio is redirected and the program executed: only
  // async-signal-safe calls (no allocation, no locks). It may _exit to report a failure of its
  // own. When set, the child is made with fork instead of vfork.
  std::function<void()> child_setup{};
  // When set, stdout is handed over chunk by chunk as it is read (on the calling thread) instead
  // of being kept in result.stdout_data; max_output still counts it.
  std::function<void(std::string_view)> on_stdout{};
  // Runs in the caller once the child exists, before its output is read. An Error kills the child
  // (its group), reaps it and is what run returns.
  std::function<Status(pid_t)> on_spawned{};
};

struct ProcessResult {
  int exit_code = 0;      // valid when signal == 0
  int signal = 0;         // non-zero when killed by a signal
  std::string stdout_data;
  std::string stderr_data;
  bool cancelled = false;  // killed because cancel_fd hung up; its outputs must not be used
  bool timed_out = false;        // killed after spec.timeout
  bool output_exceeded = false;  // killed once stdout + stderr passed spec.max_output
  // The exit status could not be collected (waitpid failed: ECHILD when SIGCHLD is ignored);
  // exit_code and signal are then 0.
  bool status_lost = false;
  [[nodiscard]] bool success() const {
    return !cancelled && !timed_out && !output_exceeded && !status_lost && signal == 0 && exit_code == 0;
  }
};

// Error::code of SystemProcessRunner::run when the program could not be executed (execve or the
// chdir before it failed): the message is "cannot execute <argv[0]>: <reason>".
inline constexpr int kProcessExecFailed = 1;

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Error only when the process could not be started at all.
  virtual Expected<ProcessResult> run(const ProcessSpec& spec) = 0;
};

class SystemProcessRunner final : public ProcessRunner {
 public:
  Expected<ProcessResult> run(const ProcessSpec& spec) override;
};

// True when `fd` is a socket whose peer has hung up (or is in error); false for fd < 0.
bool peer_hung_up(int fd);

// Replaces the current process image (client-side fallback); returns only on failure.
Error exec_replace(const std::string& path, const std::vector<std::string>& argv);

}  // namespace sccache
