#pragma once
// What every compiler family shares: one compile request as the client sent it, and the two
// answers a parse gives besides a job (compiler/compile_job.hpp holds the job interface).
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

// One compile request as the client sent it.
struct Invocation {
  std::string exe;                     // absolute path of the compiler
  std::vector<std::string> args;       // arguments after the compiler
  std::string cwd;
  std::vector<std::string> env;        // "NAME=value", the client's environment
  mode_t umask = 022;
  bool stderr_is_tty = false;          // the client's stderr, for colour decisions
  int cancel_fd = -1;                  // the client's connection: its hangup cancels the compile
};

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name);

// Expands every `@file` argument (relative to cwd, recursively, at most 16 deep); `split` turns
// a file's bytes into arguments with its family's quoting rules. Error names the file.
using ResponseFileSplitter = Expected<std::vector<std::string>> (*)(std::string_view bytes);
Expected<std::vector<std::string>> expand_response_files_with(const std::vector<std::string>& args,
                                                              const std::string& cwd, ResponseFileSplitter split);

// How the client treats escape sequences in a compile's output: strip them (off), keep them
// (on), or decide by its own terminal (automatic).
enum class ColorMode { off, on, automatic };

struct NotCacheable {
  std::string reason;  // the statistics key, e.g. "-E" or "multiple input files"
};
struct NotCompilation {};

}  // namespace sccache
