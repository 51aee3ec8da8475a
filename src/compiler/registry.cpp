#include "compiler/registry.hpp"

#include <array>

#include "compiler/c/c_family.hpp"
#include "compiler/msvc/msvc_family.hpp"
#include "compiler/rust/rust_family.hpp"
#include "util/hash.hpp"

namespace sccache {

std::span<const CompilerFamily> compiler_families() {
  // One row per family. The C row tells gcc from clang with one preprocessor probe (and refuses
  // the kinds it prints for other families: msvc, msvc-clang, nvcc); the MSVC row takes the same
  // probe's msvc and msvc-clang; the rustc row asks `-vV`.
  static const std::array<CompilerFamily, 3> rows = {
      CompilerFamily{"C/C++", nullptr, detect_c_compiler, nullptr},
      CompilerFamily{"MSVC", looks_like_msvc, detect_msvc_compiler, nullptr},
      CompilerFamily{"rustc", looks_like_rustc, detect_rustc, rustup_detection_scope},
  };
  return rows;
}

Expected<std::string> NoDetectionMemo::content_digest(const std::string& path) { return sha256_file_hex(path); }

Expected<DetectedCompiler> detect_compiler(const ProbeRequest& request) {
  auto rows = compiler_families();
  std::vector<const CompilerFamily*> order;
  for (const auto& row : rows) {
    if (row.named_like != nullptr && row.named_like(request.exe)) order.push_back(&row);
  }
  for (const auto& row : rows) {
    if (row.named_like == nullptr || !row.named_like(request.exe)) order.push_back(&row);
  }
  // The first row asked is the likeliest, so its refusal is the one worth reporting.
  std::optional<Error> first;
  for (const CompilerFamily* row : order) {
    auto detected = row->detect(request);
    if (detected) return detected;
    if (!first) first = detected.error();
  }
  return *first;
}

std::string detection_scope(const std::string& real_exe, const std::vector<std::string>& env, const std::string& cwd) {
  std::string scope;
  for (const auto& row : compiler_families()) {
    if (row.detection_scope != nullptr) scope += row.detection_scope(real_exe, env, cwd);
  }
  return scope;
}

}  // namespace sccache
