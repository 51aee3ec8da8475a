#pragma once
// The docker builder's calls of the docker CLI (docker_builder.hpp), and the small text helpers
// it reads docker's answers with. Every call is a SystemProcessRunner child with the server's
// environment (DOCKER_HOST and the rest of the CLI's settings), default signals, a time limit
// and a cap on what it may print.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"
#include "util/unique_fd.hpp"

namespace sccache::dist::docker {

inline constexpr std::chrono::seconds kCmdTimeout{120};  // every docker call but the job and imports
inline constexpr uint64_t kMaxCmdOutput = 64ULL << 20;   // what docker's own commands may print

struct Cmd {
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  bool too_large = false;  // stdout + stderr passed the limit: the CLI was killed
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return signal == 0 && !timed_out && exit_code == 0; }
};

// Runs argv (argv[0] absolute) with the server's environment, stdin from `in_fd` (-1: /dev/null)
// and stdout/stderr captured. After `timeout` (none: no limit), or once stdout + stderr hold
// more than `max_out` bytes, it is killed with SIGKILL.
Expected<Cmd> run_cmd(const std::vector<std::string>& argv, int in_fd, std::optional<std::chrono::milliseconds> timeout,
                      uint64_t max_out);

// The docker CLI at `exe`: `Docker{exe}({"ps", "-a"})`.
struct Docker {
  const std::string& exe;

  Expected<Cmd> operator()(std::vector<std::string> args, int in_fd = -1,
                           std::optional<std::chrono::milliseconds> timeout = kCmdTimeout,
                           uint64_t max_out = kMaxCmdOutput) const;
  // Runs and requires exit 0; the error names the command and quotes docker's stderr.
  Expected<Cmd> check(const std::vector<std::string>& args, int in_fd = -1,
                      std::optional<std::chrono::milliseconds> timeout = kCmdTimeout) const;
  // "`docker <first args>` exited N: <first line of stderr>" (or timed out, or killed).
  static std::string describe(const std::vector<std::string>& args, const Cmd& r);
};

// A memory file holding `data`, positioned at its start (stdin for docker cp and docker import).
Expected<UniqueFd> memory_file(std::string_view data);
// `name` itself when it has a '/' (made absolute), else the first executable file in PATH.
std::optional<std::string> find_program(const std::string& name);

std::string trim(std::string s);
std::vector<std::string> lines_of(const std::string& text);  // without empty lines
bool starts_with(std::string_view s, std::string_view prefix);
bool has_nul(const std::string& s);
std::string first_line(const std::string& text);  // of the trimmed text, " ..." when more follow

}  // namespace sccache::dist::docker
