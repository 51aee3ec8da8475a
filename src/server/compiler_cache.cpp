#include "server/compiler_cache.hpp"

namespace sccache {

Expected<std::shared_ptr<const Compiler>> CompilerCache::get(const std::string& exe,
                                                             const std::vector<std::string>& env,
                                                             const std::string& cwd) {
  // Stat through symlinks: replacing the binary behind /usr/bin/gcc must invalidate.
  const std::string real = real_path(exe).value_or(exe);
  auto st = stat_file(real);
  if (!st) return make_error("compiler not found: " + exe);
  std::string slot_key = exe;
  if (std::string scope = detection_scope(real, env, cwd); !scope.empty()) slot_key += "\n" + scope;
  auto cached = [&]() -> std::shared_ptr<const Compiler> {
    std::lock_guard lock(mu_);
    auto it = slots_.find(slot_key);
    if (it == slots_.end() || it->second.stat != *st) return nullptr;
    for (const auto& [path, dep_st] : it->second.detected.deps) {
      if (stat_file(path) != dep_st) return nullptr;  // e.g. `rustup update` replaced the toolchain
    }
    return it->second.detected.compiler;
  };
  if (auto compiler = cached()) return compiler;
  std::lock_guard detecting(detect_mu_);
  if (auto compiler = cached()) return compiler;
  SCCACHE_TRY(detected, detect_compiler(ProbeRequest{exe, env, cwd, scratch_dir_, runner_, memo_}));
  auto compiler = detected.compiler;
  std::lock_guard lock(mu_);
  slots_[slot_key] = Slot{*st, std::move(detected)};
  return compiler;
}

}  // namespace sccache
