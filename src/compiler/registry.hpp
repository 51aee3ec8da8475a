#pragma once
// The compiler registry: one row per compiler family. Detection asks the compiler itself, row
// by row (rows whose executable name fits go first, so a rustc is not given the C probe first);
// the first row that recognises it makes the `Compiler`. Adding a family = one folder under
// src/compiler/ and one row in registry.cpp (docs/ARCHITECTURE.md, "Adding a compiler family").
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/compile_job.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace sccache {

// Answers a detection may reuse, each remembered with the stat of the file it came from and valid
// only while that file is unchanged (the server keeps them across restarts: server/warm_state).
class DetectionMemo {
 public:
  virtual ~DetectionMemo() = default;
  // SHA-256 (hex) of a regular file's content.
  virtual Expected<std::string> content_digest(const std::string& path) = 0;
  // `compute()`'s answer, remembered under (`what`, the file at `path`); an error is not kept.
  virtual Expected<std::string> remembered(std::string_view what, const std::string& path,
                                           const std::function<Expected<std::string>()>& compute) = 0;
};

// Remembers nothing: every answer is computed (detection outside a server, tests).
class NoDetectionMemo final : public DetectionMemo {
 public:
  Expected<std::string> content_digest(const std::string& path) override;
  Expected<std::string> remembered(std::string_view, const std::string&,
                                   const std::function<Expected<std::string>()>& compute) override {
    return compute();
  }
};

struct ProbeRequest {
  std::string exe;               // absolute path as the client resolved it
  std::vector<std::string> env;  // the client's environment
  std::string cwd;               // the client's cwd (a rustup proxy picks its toolchain from it)
  std::string scratch_dir;       // the server's own directory for probe files
  ProcessRunner& runner;
  DetectionMemo& memo;
  // The C family's `-E` probe, run at most once per detection: the C and MSVC rows both read
  // it (compiler/c/c_family.hpp, probe_compiler_output).
  mutable std::optional<Expected<std::string>> c_probe = std::nullopt;
};

struct DetectedCompiler {
  std::shared_ptr<const Compiler> compiler;
  // Files besides the executable whose change invalidates the detection (rustc: its sysroot
  // libraries), with their state at detection.
  std::vector<std::pair<std::string, FileStat>> deps;
};

struct CompilerFamily {
  std::string_view name;
  // A cheap hint from the executable's name: fitting rows are asked first.
  bool (*named_like)(const std::string& exe);
  // Asks the compiler. Error = not this family (the message says what was found instead).
  Expected<DetectedCompiler> (*detect)(const ProbeRequest& request);
  // What besides the executable (`real_exe`: its path with symlinks resolved) decides which
  // compiler runs (a rustup proxy: the toolchain variables and the cwd); empty when nothing does.
  // May be null.
  std::string (*detection_scope)(const std::string& real_exe, const std::vector<std::string>& env,
                                 const std::string& cwd);
};

std::span<const CompilerFamily> compiler_families();

// Detects `request.exe` with the rows of the registry. Error = no family takes it (the client
// then runs it uncached); the message is the most specific row's.
Expected<DetectedCompiler> detect_compiler(const ProbeRequest& request);

// The detection cache's key besides the path: every row's detection_scope.
std::string detection_scope(const std::string& real_exe, const std::vector<std::string>& env, const std::string& cwd);

}  // namespace sccache
