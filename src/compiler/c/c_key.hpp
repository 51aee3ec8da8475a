#pragma once
// The C family's cache key (preprocessor mode), direct-mode key, and the compile command.
#include <optional>
#include <string>
#include <vector>

#include "compiler/c/c_dialect.hpp"
#include "compiler/c/gcc_args.hpp"
#include "compiler/compiler.hpp"
#include "util/process.hpp"

namespace sccache {

// Bumped whenever what goes into the key changes, so old entries are never misread.
constexpr std::string_view kCKeyVersion = "sccache-cpp/c/3";  // 3: the text streamed, then its size

// A detected C-family compiler.
struct CCompilerInfo {
  std::string path;                   // absolute path as the client resolved it
  const CDialect* dialect = nullptr;  // never null once detected
  std::string identity;               // hex digest of the binary's content and dialect
};

struct KeyOutcome {
  std::optional<std::string> key;             // set on success
  std::optional<ProcessResult> preprocess_failed;  // the preprocessor ran and failed
  std::string error;                          // could not run at all
  bool not_cacheable = false;                 // with `error`: the input defeats the key
  // With `want_dependencies`: what the preprocessor read, for direct-mode manifests.
  std::vector<std::string> include_files;     // absolute, from the line markers
  std::vector<std::string> search_dirs;       // absolute, from -v, in search order
  std::vector<std::string> missing_dirs;      // search dirs -v says do not exist (yet)
  std::vector<std::string> first_dirs;        // searched first for some include (-include, /FI: the cwd)
  bool includer_stack_search = false;         // MSVC: quote includes search every includer's directory
  int64_t started_ns = 0;                     // wall clock before the preprocessor ran
  // With `for_dist`: the preprocessed text (line markers kept) and whether the preprocessor said
  // anything (a warning or note that a compile of the text elsewhere would not repeat).
  std::string preprocessed;
  bool preprocessor_diagnostics = false;
};

// Runs the preprocessor (or reads an already-preprocessed input) and digests it with
// `prefix` (from c_key_prefix): everything that can change the outputs.
// With `for_dist` the run also writes the dependency file (job.dep_args) and keeps the text.
KeyOutcome compute_c_key(const std::string& prefix, const CArguments& job, const Invocation& inv,
                         ProcessRunner& runner, bool want_dependencies = false, bool for_dist = false);

// Runs a preprocessor (`spec`), noting in `out` when it started; nullopt (with `out` saying why:
// it could not run, it failed, or its text uses `.incbin`) unless it succeeded. Shared with the
// MSVC family.
std::optional<ProcessResult> run_preprocessor(ProcessRunner& runner, const ProcessSpec& spec, KeyOutcome& out);

// Direct-mode key: `prefix` plus the input's path, cwd and content digest, computed without
// running the preprocessor. It names a manifest, never a result.
std::string c_direct_key(const std::string& prefix, const CArguments& job, const Invocation& inv,
                         const std::string& input_digest);
// The same from the input's path as given and the cwd (shared with the MSVC family).
std::string c_direct_key(const std::string& prefix, const std::string& input, const std::string& cwd,
                         const std::string& input_digest);

// Files named by the line markers of preprocessed text (absolute, de-duplicated, in order),
// without pseudo-files like <built-in>.
std::vector<std::string> files_from_line_markers(std::string_view text, const std::string& cwd);
// The include search list printed by `-v` (absolute, in order).
std::vector<std::string> search_dirs_from_verbose(std::string_view stderr_text, const std::string& cwd);
// The directories `-v` says it ignores because they do not exist (absolute): one created later
// would join the search list.
std::vector<std::string> missing_dirs_from_verbose(std::string_view stderr_text, const std::string& cwd);

// Digest of the key material that is not the preprocessed text, computed once per request.
std::string c_key_prefix(const CCompilerInfo& compiler, const CArguments& job, const Invocation& inv);

// The user's own command (original arguments), plus any extra arguments the job adds.
ProcessSpec c_compile_command(const CArguments& job, const Invocation& inv);

}  // namespace sccache
