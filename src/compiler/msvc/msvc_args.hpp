#pragma once
// The MSVC option table (cl.exe and clang-cl; `/x` and `-x` alike, case as MSVC has it) and the
// parser that classifies one command line into MsvcArguments, NotCacheable{reason} or
// NotCompilation. Anything not in the table is an ordinary flag: kept and hashed.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/c/gcc_args.hpp"
#include "compiler/compiler.hpp"
#include "compiler/msvc/msvc_dialect.hpp"

namespace sccache {

enum class MsvcForm {
  flag,                // /c
  joined,              // /Fofile  (name is a prefix; the value may be empty)
  joined_or_separate,  // /Iinc or /I inc
  separate,            // -Xclang value
};

enum class MsvcRole {
  other,            // hashed, kept everywhere
  too_hard,         // NotCacheable, reason = the flag as written in the table
  not_compilation,  // /E /EP /P /? : not a compile
  compile,          // /c
  output,           // /Fo, /o: the object (file, or directory with a trailing slash)
  pdb,              // /Fd
  listing,          // /FA[csu]: an assembly listing
  listing_file,     // /Fa: where the listing goes
  pch_file,         // /Fp
  pch_create,       // /Yc[header]
  pch_use,          // /Yu[header]
  pch_off,          // /Y-: precompiled-header options are ignored
  debug_object,     // /Z7: debug info in the object
  debug_pdb,        // /Zi /ZI: debug info in a PDB (cl.exe) or the object (clang-cl)
  show_includes,    // /showIncludes
  source_deps,      // /sourceDependencies file
  deps_file,        // -deps<file>: sccache's own make-style dependency file
  lang_c_file,      // /Tc file
  lang_cpp_file,    // /Tp file
  lang_all_c,       // /TC
  lang_all_cpp,     // /TP
  preprocessor,     // /D /U /I /FI ...: only the preprocessor reads them
  external_env,     // /external:env:VAR: include directories from an environment variable
  full_paths,       // /FC: absolute paths in diagnostics and __FILE__
  xclang,           // -Xclang value
  clang_option,     // /clang:option: a clang driver option (clang-cl)
  end_of_options,   // --: every later argument is an input
  link,             // /link: every later argument is the linker's
};

struct MsvcArgSpec {
  std::string_view name;  // without the leading `/` or `-`
  MsvcForm form;
  MsvcRole role;
};

// The whole option table (for tests that walk every entry).
std::span<const MsvcArgSpec> msvc_arg_table();
// The longest table entry matching `arg` (which starts with `/` or `-`); null if none.
const MsvcArgSpec* find_msvc_arg_spec(std::string_view arg);

// One MSVC command line, classified.
struct MsvcArguments {
  std::vector<std::string> args;             // response files expanded
  std::string input;
  std::string language;                      // "c" or "c++"
  std::string output;                        // the object, as the compiler will name it
  std::vector<OutputSpec> outputs;           // obj; pdb, pch, asm, d, srcdeps, deps as given
  std::vector<std::string> preprocess_args;  // for `exe /E ...` (no output, pch or dep flags)
  // Every argument, the locations of outputs replaced by their flag (where a file goes is not
  // part of what it holds): what the key hashes.
  std::vector<std::string> hashed_args;
  // The arguments a compile of the preprocessed text keeps: no /D /I ..., no input, no outputs.
  std::vector<std::string> dist_args;
  std::vector<std::string> env_key_vars;     // /external:env: variables, hashed by value
  bool debug_info = false;                   // /Z7 /Zi /ZI, /clang:-g: paths and argv in the object
  bool full_paths = false;                   // /FC
  bool show_includes = false;                // the user asked for /showIncludes
  std::optional<std::string> deps_file;      // -deps<file>
  enum class Pch { none, create, use } pch = Pch::none;
  std::string pch_path;                      // with create/use: the .pch file
  std::string pch_header;                    // with create/use: the header named by /Yc /Yu
  bool clang_deps = false;                   // /clang:-MD or -MMD: the compiler writes a depfile
  ColorMode color = ColorMode::automatic;
};

using MsvcParseResult = std::variant<MsvcArguments, NotCacheable, NotCompilation>;

// Classifies the command line (response files expanded with Windows quoting rules).
MsvcParseResult parse_msvc_arguments(const MsvcDialect& dialect, const Invocation& inv);

// Path helpers for Windows or POSIX paths (`/` and `\` both separate): the file name; `path` with
// its file name's extension replaced (or added); `path` with `ext` added if its file name has none.
std::string_view msvc_file_part(std::string_view path);
std::string msvc_with_extension(std::string_view path, std::string_view ext);
std::string msvc_with_default_extension(std::string_view path, std::string_view ext);

// The object name the compiler gives `input` for a /Fo value (empty: no /Fo): a value ending in
// `/` or `\` is a directory; a name without an extension gets `.obj`.
std::string msvc_object_name(const std::string& input, const std::string& fo, std::string_view ext);

// Names of the environment variables that can change an MSVC compile's output or its notes.
const std::vector<std::string_view>& msvc_key_env_vars();

}  // namespace sccache
