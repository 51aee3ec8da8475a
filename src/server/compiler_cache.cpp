#include "server/compiler_cache.hpp"

#include "compiler/detect.hpp"

namespace sccache {

Expected<CompilerInfo> CompilerCache::get(const std::string& exe, const std::vector<std::string>& env) {
  // Stat through symlinks: replacing the binary behind /usr/bin/gcc must invalidate.
  auto real = real_path(exe);
  auto st = stat_file(real.value_or(exe));
  if (!st) return make_error("compiler not found: " + exe);
  auto cached = [&]() -> std::optional<CompilerInfo> {
    std::lock_guard lock(mu_);
    auto it = slots_.find(exe);
    if (it != slots_.end() && it->second.stat == *st) return it->second.info;
    return std::nullopt;
  };
  if (auto info = cached()) return *info;
  std::lock_guard detecting(detect_mu_);
  if (auto info = cached()) return *info;
  // The probe lives in the server's temp dir, which a long-lived server may see cleaned away.
  if (!stat_file(probe_path_)) {
    (void)make_dirs(dirname_of(probe_path_));
    SCCACHE_TRY_STATUS(write_file_atomic(probe_path_, detection_probe_source(), 0644));
  }
  SCCACHE_TRY(info, detect_compiler(exe, env, probe_path_, runner_));
  std::lock_guard lock(mu_);
  slots_[exe] = Slot{*st, info};
  return info;
}

}  // namespace sccache
