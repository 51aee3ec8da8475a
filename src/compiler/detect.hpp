#pragma once
// Compiler detection by asking the compiler: preprocess a probe file and read which macro fired.
#include <string>

#include "compiler/compiler.hpp"
#include "util/expected.hpp"
#include "util/process.hpp"

namespace sccache {

// Probe source: prints one "sccache_kind <name>" line under -E.
std::string_view detection_probe_source();
// Parses the -E output of the probe; error names what was found instead.
Expected<CompilerKind> kind_from_probe_output(const std::string& preprocessed);

// Runs `exe -E probe.c` in the client's environment and hashes the binary's content.
// Error = not a compiler we can cache (the client then runs it uncached).
Expected<CompilerInfo> detect_compiler(const std::string& exe, const std::vector<std::string>& env,
                                       const std::string& probe_path, ProcessRunner& runner);

}  // namespace sccache
