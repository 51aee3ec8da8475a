#pragma once
// The gcc/clang option table and the parser that classifies one command line into a
// CompileJob, NotCacheable{reason} or NotCompilation.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compiler.hpp"
#include "util/expected.hpp"

namespace sccache {

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

// The longest table entry matching `arg` (a flag, or a prefix for joined forms); null if none.
const ArgSpec* find_arg_spec(std::string_view arg);

// Expands @file response files with gcc's quoting rules (relative to cwd, recursively).
// Error if a response file cannot be read.
Expected<std::vector<std::string>> expand_response_files(const std::vector<std::string>& args, const std::string& cwd);
// Splits response file text into arguments the way libiberty's buildargv does.
std::vector<std::string> split_response_file(std::string_view text);

// Language for a file name by extension (gcc's spelling), empty if unknown.
std::string language_for_extension(std::string_view path);

ParseResult parse_c_arguments(CompilerKind kind, const Invocation& inv);

// Names of the environment variables that can change a C compile's output or diagnostics.
const std::vector<std::string_view>& c_key_env_vars();

// Why this compile must not run on a build server as preprocessed text (nullopt = it may).
std::optional<std::string> dist_refusal(CompilerKind kind, const CompileJob& job);
// The build server's arguments (SPEC 7.8): `-x <input_language> -c <input> -o <output>` and every
// argument but the input, outputs, -x and those only the preprocessor reads (-D, -I, -include,
// -M*, -Wp, ...).
std::vector<std::string> dist_compile_args(const CompileJob& job, const std::string& input_language);

}  // namespace sccache
