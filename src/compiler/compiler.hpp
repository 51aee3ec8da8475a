#pragma once
// What the compile pipeline knows about a compiler and one invocation of it.
// The C family (gcc, clang) shares one job type; dialects differ only in their option table.
#include <sys/types.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sccache {

enum class CompilerKind { gcc, clang, rustc };
std::string_view kind_name(CompilerKind kind);

struct CompilerInfo {
  std::string path;      // absolute path as the client resolved it
  CompilerKind kind = CompilerKind::gcc;
  std::string identity;  // hex digest of the binary's content and kind (rustc: of its sysroot libraries)
  std::string rust_host;  // rustc: the host triple
  std::string rust_sysroot;  // rustc: `--print=sysroot` (a rustup proxy's toolchain resolved)
};

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

enum class ColorMode { off, on, automatic };

struct OutputSpec {
  std::string name;   // member name in the cache entry: "obj", "d", "dwo", "gcno"
  std::string path;   // as the compiler will write it (relative to the compile's cwd or absolute)
  bool required = true;
};

struct CompileJob {
  std::string language;                      // gcc -x spelling, e.g. "c++"
  std::vector<std::string> args;             // response files expanded
  std::string input;
  std::string output;                        // object (or .s with -S) path
  bool input_is_preprocessed = false;        // .i/.ii/.s: hash the file instead of running -E
  std::vector<std::string> preprocess_args;  // for `exe -E ...`
  std::vector<OutputSpec> outputs;
  bool hash_cwd = false;                     // -g, coverage and profiling embed the cwd
  bool hash_output_path = false;             // dep targets, .dwo and .gcda names embed it
  ColorMode color = ColorMode::automatic;
  std::vector<std::string> compile_extra_args;  // appended to the user's command on a miss
  // With -MD/-MMD: arguments that make a preprocessor run (`-E`) write the same dependency file
  // the compile would (the user's -M* arguments plus the implied -MF and target).
  std::vector<std::string> dep_args;
  bool assemble_only = false;                // -S
};

struct NotCacheable {
  std::string reason;  // the statistics key, e.g. "-E" or "multiple input files"
};
struct NotCompilation {};

using ParseResult = std::variant<CompileJob, NotCacheable, NotCompilation>;

}  // namespace sccache
