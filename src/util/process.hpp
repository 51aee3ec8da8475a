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
};

struct ProcessResult {
  int exit_code = 0;      // valid when signal == 0
  int signal = 0;         // non-zero when killed by a signal
  std::string stdout_data;
  std::string stderr_data;
  [[nodiscard]] bool success() const { return signal == 0 && exit_code == 0; }
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

// Replaces the current process image (client-side fallback); returns only on failure.
Error exec_replace(const std::string& path, const std::vector<std::string>& argv);

}  // namespace sccache
