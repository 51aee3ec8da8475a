#pragma once
// Runs a child process with a given argv, environment, cwd and umask, capturing stdout/stderr.
// ProcessRunner is an interface so that compile jobs can be tested against scripted results.
#include <sys/types.h>

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
};

struct ProcessResult {
  int exit_code = 0;      // valid when signal == 0
  int signal = 0;         // non-zero when killed by a signal
  std::string stdout_data;
  std::string stderr_data;
  bool cancelled = false;  // killed because cancel_fd hung up; its outputs must not be used
  [[nodiscard]] bool success() const { return !cancelled && signal == 0 && exit_code == 0; }
};

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
