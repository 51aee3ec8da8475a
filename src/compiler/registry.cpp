#include "compiler/registry.hpp"

#include <array>

#include "compiler/c/c_family.hpp"
#include "compiler/rust/rust_family.hpp"

namespace sccache {

std::span<const CompilerFamily> compiler_families() {
  // One row per family. The C row tells gcc from clang (and refuses msvc and nvcc for now) with
  // one preprocessor probe; the rustc row asks `-vV`.
  static const std::array<CompilerFamily, 2> rows = {
      CompilerFamily{"C/C++", nullptr, detect_c_compiler, nullptr},
      CompilerFamily{"rustc", looks_like_rustc, detect_rustc, rustup_detection_scope},
  };
  return rows;
}

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
