#pragma once
// rustc's command line: argument parsing for the forms cargo uses, dep-info parsing and the
// names of the files rustc writes.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "compiler/compiler.hpp"
#include "util/expected.hpp"

namespace sccache {

constexpr std::string_view kRustKeyVersion = "sccache-cpp/rust/1";

struct RustExtern {
  std::string name;   // with modifiers stripped
  std::string path;   // empty for sysroot crates (`--extern proc_macro`)
};

struct RustArguments {
  std::string crate_name;
  std::vector<std::string> crate_types;  // normalized: lib -> rlib
  std::vector<std::string> emit;         // link, metadata, dep-info
  std::string out_dir;
  std::string input;
  std::string extra_filename;
  std::string target;                    // --target (empty = host)
  std::vector<RustExtern> externs;
  std::vector<std::string> static_libs;  // absolute paths of `-l static=` libraries found
  std::optional<std::string> linker;     // -C linker=
  std::vector<std::string> args;         // argfiles expanded
  // The arguments with the values that only name paths hashed by content (or outputs) blanked:
  // --out-dir, -L paths, --extern paths.
  std::vector<std::string> key_args;
  // Arguments for the dep-info pre-pass: args minus --emit, --out-dir, -o, and -C incremental.
  std::vector<std::string> depinfo_args;
  [[nodiscard]] bool links() const;  // produces a shared object (proc-macro, dylib)
};

using RustParseResult = std::variant<RustArguments, NotCacheable, NotCompilation>;

// `args` are rustc's arguments after the executable; `@file` argfiles are read relative to cwd.
RustParseResult parse_rust_arguments(const std::vector<std::string>& args, const std::string& cwd);

struct DepInfo {
  std::vector<std::string> files;                                   // sources, as written
  std::vector<std::pair<std::string, std::optional<std::string>>> env;  // # env-dep:NAME[=VALUE]
};

// Parses a Makefile-style dep-info file written by rustc: the first rule's prerequisites and
// the `# env-dep:` lines.
DepInfo parse_dep_info(std::string_view text);

// The files rustc writes into --out-dir for this job (names only), on Linux targets.
std::vector<std::string> rust_output_names(const RustArguments& job);

}  // namespace sccache
