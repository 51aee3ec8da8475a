#pragma once
// The MSVC family's row of the compiler registry: cl.exe and clang-cl, told by the C family's
// probe (`msvc`, `msvc-clang`), with the language of their /showIncludes notes detected once
// (SPEC 4.6), and the Compiler that parses `cl` command lines.
#include <string>

#include "compiler/msvc/msvc_compile_job.hpp"
#include "compiler/registry.hpp"

namespace sccache {

// `cl`, `cl.exe`, `clang-cl`, `clang-cl-14`, ...: asked before the other rows.
bool looks_like_msvc(const std::string& exe);

Expected<DetectedCompiler> detect_msvc_compiler(const ProbeRequest& request);

class MsvcCompiler final : public Compiler {
 public:
  explicit MsvcCompiler(MsvcCompilerInfo info) : info_(std::move(info)) {}
  [[nodiscard]] std::string_view family() const override { return info_.dialect->name; }
  [[nodiscard]] const std::string& path() const override { return info_.path; }
  [[nodiscard]] ParseResult parse(const Invocation& inv) const override;

 private:
  MsvcCompilerInfo info_;
};

}  // namespace sccache
