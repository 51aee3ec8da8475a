#pragma once
// rustc's row of the compiler registry: detection by asking it (`-vV`, `--print=sysroot`), the
// toolchain identity from the sysroot's libraries, and the Compiler that parses its arguments.
#include <string>
#include <vector>

#include "compiler/registry.hpp"
#include "util/expected.hpp"
#include "util/process.hpp"

namespace sccache {

// True for an executable named like rustc (rustc, rustc-1.80, rustc.exe): asked with `-vV`
// before the C probe.
bool looks_like_rustc(const std::string& exe);

struct RustToolchain {
  std::string version_text;                 // `rustc -vV` output
  std::string host;                         // its `host:` line
  std::string sysroot;                      // `rustc --print=sysroot`
  std::vector<std::string> libraries;       // <sysroot>/lib/*.so, sorted: the compiler itself
};

// Runs `exe -vV` and `exe --print=sysroot` in the client's environment and cwd (a rustup proxy
// picks its toolchain from both).
Expected<RustToolchain> probe_rustc(const std::string& exe, const std::vector<std::string>& env, const std::string& cwd,
                                    ProcessRunner& runner);

Expected<DetectedCompiler> detect_rustc(const ProbeRequest& request);

// A rustup proxy resolves the toolchain per cwd and environment: those are part of what was
// detected. Empty for any other executable.
std::string rustup_detection_scope(const std::string& real_exe, const std::vector<std::string>& env,
                                   const std::string& cwd);

struct RustCompilerInfo {
  std::string path;
  std::string identity;  // hex digest of `-vV` and the sysroot's libraries
  std::string host;      // the host triple
  std::string sysroot;   // `--print=sysroot` (a rustup proxy's toolchain resolved)
};

class RustCompiler final : public Compiler {
 public:
  explicit RustCompiler(RustCompilerInfo info) : info_(std::move(info)) {}
  [[nodiscard]] std::string_view family() const override { return "rustc"; }
  [[nodiscard]] const std::string& path() const override { return info_.path; }
  [[nodiscard]] ParseResult parse(const Invocation& inv) const override;

 private:
  RustCompilerInfo info_;
};

}  // namespace sccache
