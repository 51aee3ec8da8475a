#pragma once
// The C-family job pipeline: the cache key (preprocessor mode) and the commands to run.
#include <optional>
#include <string>
#include <vector>

#include "compiler/compiler.hpp"
#include "util/process.hpp"

namespace sccache {

// Bumped whenever what goes into the key changes, so old entries are never misread.
constexpr std::string_view kCKeyVersion = "sccache-cpp/c/1";

struct KeyOutcome {
  std::optional<std::string> key;             // set on success
  std::optional<ProcessResult> preprocess_failed;  // the preprocessor ran and failed
  std::string error;                          // could not run at all
  bool not_cacheable = false;                 // with `error`: the input defeats the key
};

// Runs the preprocessor (or reads an already-preprocessed input) and digests everything
// that can change the outputs.
KeyOutcome compute_c_key(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv,
                         ProcessRunner& runner);

// Digest of the key material that is not the preprocessed text (exposed for unit tests).
std::string c_key_prefix(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv);

// The user's own command (original arguments), plus any extra arguments the job adds.
ProcessSpec c_compile_command(const CompileJob& job, const Invocation& inv);

}  // namespace sccache
