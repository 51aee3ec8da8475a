#pragma once
// The gcc/clang option table and the parser that classifies one command line into CArguments
// (what the C pipeline needs to know of it), NotCacheable{reason} or NotCompilation.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <variant>

#include "compiler/c/c_dialect.hpp"
#include "compiler/compiler.hpp"
#include "util/expected.hpp"

namespace sccache {

struct OutputSpec {
  std::string name;   // member name in the cache entry: "obj", "d", "dwo", "gcno"
  std::string path;   // as the compiler will write it (relative to the compile's cwd or absolute)
  bool required = true;
};

// One C-family command line, classified.
struct CArguments {
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

using CParseResult = std::variant<CArguments, NotCacheable, NotCompilation>;

enum class ArgForm {
  flag,                // -c
  separate,            // -Xclang value
  joined,              // -Wp,foo  -fprofile-use=path  (name is a prefix)
  joined_or_separate,  // -Ifoo or -I foo
};

enum class ArgRole {
  other,        // hashed, kept everywhere
  too_hard,     // NotCacheable, reason = the flag name
  compile,      // -c
  assemble,     // -S
  output,       // -o
  language,     // -x
  dep_flag,     // -MD -MMD -MP -MG: hashed, not given to the preprocessor run
  dep_file,     // -MF: not hashed (a location), not given to the preprocessor run
  dep_target,   // -MT -MQ: hashed, not given to the preprocessor run
  split_dwarf,  // -gsplit-dwarf: a .dwo output
  coverage,     // --coverage -ftest-coverage: a .gcno output
  profile,      // -fprofile-arcs etc.: objects embed paths
  xclang,       // -Xclang value: checked against too-hard clang cc1 options
  wp,           // -Wp,...: preprocessor options, may write dependency files
  wa,           // -Wa,...: assembler options, may write listings
  color,        // -fdiagnostics-color and friends
  dump,         // -dumpbase/-dumpdir change auxiliary output names
};

struct ArgSpec {
  std::string_view name;
  ArgForm form;
  ArgRole role;
};

// The whole option table (for tests that walk every entry).
std::span<const ArgSpec> arg_table();

// A clang cc1 option behind -Xclang that reads or writes files the key cannot see (gcc, clang
// and clang-cl alike).
bool xclang_too_hard(std::string_view option);

// The longest table entry matching `arg` (a flag, or a prefix for joined forms); null if none.
const ArgSpec* find_arg_spec(std::string_view arg);

// Expands @file response files with gcc's quoting rules (relative to cwd, recursively).
// Error if a response file cannot be read.
Expected<std::vector<std::string>> expand_response_files(const std::vector<std::string>& args, const std::string& cwd);
// Splits response file text into arguments the way libiberty's buildargv does.
std::vector<std::string> split_response_file(std::string_view text);

// Language for a file name by extension (gcc's spelling), empty if unknown.
std::string language_for_extension(std::string_view path);

// Classifies the command line; for a driver with a force_color_flag, adds it to the compile when
// the client's stderr is a terminal (the compiler's is a pipe).
CParseResult parse_c_arguments(const CDialect& dialect, const Invocation& inv);

// Names of the environment variables that can change a C compile's output or diagnostics.
const std::vector<std::string_view>& c_key_env_vars();

}  // namespace sccache
