#pragma once
// The C family's row of the compiler registry: detection by asking the compiler (preprocess a
// probe file and read which macro fired), and the Compiler that parses gcc/clang command lines.
#include <string>

#include "compiler/c/c_dialect.hpp"
#include "compiler/c/c_key.hpp"
#include "compiler/registry.hpp"
#include "util/expected.hpp"

namespace sccache {

// Probe source: prints one "sccache_kind <name>" line under -E.
std::string_view detection_probe_source();
// Parses the -E output of the probe: the kind it printed (gcc, clang, msvc, msvc-clang, nvcc, ...).
Expected<std::string> kind_from_probe_output(const std::string& preprocessed);
// The gcc/clang dialect of that kind; error names what was found instead.
Expected<const CDialect*> dialect_from_probe_output(const std::string& preprocessed);
// Runs `exe -E probe.c` in the client's environment (the probe is written to the scratch dir if
// it is missing): its output. Shared by every family whose drivers take the probe (C, MSVC).
Expected<std::string> probe_compiler_output(const ProbeRequest& request);
// The identity of a detected compiler: its binary's content, the dialect, and `extra` (what
// else the family learned at detection that changes its output).
Expected<std::string> compiler_identity(const ProbeRequest& request, std::string_view dialect, std::string_view extra);

// The probe, then the binary's content hashed.
Expected<DetectedCompiler> detect_c_compiler(const ProbeRequest& request);

class CCompiler final : public Compiler {
 public:
  explicit CCompiler(CCompilerInfo info) : info_(std::move(info)) {}
  [[nodiscard]] std::string_view family() const override { return info_.dialect->name; }
  [[nodiscard]] const std::string& path() const override { return info_.path; }
  [[nodiscard]] ParseResult parse(const Invocation& inv) const override;

 private:
  CCompilerInfo info_;
};

}  // namespace sccache
