#include "server/compiler_cache.hpp"

#include "compiler/detect.hpp"
#include "compiler/rust.hpp"
#include "util/hash.hpp"

namespace sccache {

namespace {

// A rustup proxy (rustc -> rustup) resolves the toolchain per cwd and environment.
bool is_rustup_proxy(const std::string& exe) {
  auto real = real_path(exe);
  return real && basename_of(*real).rfind("rustup", 0) == 0;
}

}  // namespace

Expected<CompilerInfo> CompilerCache::detect_rustc(const std::string& exe, const std::vector<std::string>& env,
                                                   const std::string& cwd,
                                                   std::vector<std::pair<std::string, FileStat>>& deps) {
  SCCACHE_TRY(tc, probe_rustc(exe, env, cwd, runner_));
  Hasher h;
  h.update_field("rustc");
  h.update_field(tc.version_text);
  for (const auto& lib : tc.libraries) {
    auto st = stat_file(lib);
    SCCACHE_TRY(digest, sha256_file_hex(lib));
    if (!st) return make_error("cannot stat " + lib);
    h.update_field(basename_of(lib));
    h.update_field(digest);
    deps.emplace_back(lib, *st);
  }
  CompilerInfo info;
  info.path = exe;
  info.kind = CompilerKind::rustc;
  info.identity = h.finish_hex();
  info.rust_host = tc.host;
  info.rust_sysroot = tc.sysroot;
  return info;
}

Expected<CompilerInfo> CompilerCache::get(const std::string& exe, const std::vector<std::string>& env,
                                          const std::string& cwd) {
  // Stat through symlinks: replacing the binary behind /usr/bin/gcc must invalidate.
  auto real = real_path(exe);
  auto st = stat_file(real.value_or(exe));
  if (!st) return make_error("compiler not found: " + exe);
  bool rust = looks_like_rustc(exe);
  std::string slot_key = exe;
  if (rust && is_rustup_proxy(exe)) {
    slot_key += "\n" + env_value(env, "RUSTUP_TOOLCHAIN").value_or("") + "\n" +
                env_value(env, "RUSTUP_HOME").value_or("") + "\n" + cwd;
  }
  auto cached = [&]() -> std::optional<CompilerInfo> {
    std::lock_guard lock(mu_);
    auto it = slots_.find(slot_key);
    if (it == slots_.end() || it->second.stat != *st) return std::nullopt;
    for (const auto& [path, dep_st] : it->second.deps) {
      if (stat_file(path) != dep_st) return std::nullopt;  // e.g. `rustup update` replaced the toolchain
    }
    return it->second.info;
  };
  if (auto info = cached()) return *info;
  std::lock_guard detecting(detect_mu_);
  if (auto info = cached()) return *info;
  std::vector<std::pair<std::string, FileStat>> deps;
  if (rust) {
    SCCACHE_TRY(info, detect_rustc(exe, env, cwd, deps));
    std::lock_guard lock(mu_);
    slots_[slot_key] = Slot{*st, info, std::move(deps)};
    return info;
  }
  // The probe lives in the server's temp dir, which a long-lived server may see cleaned away.
  if (!stat_file(probe_path_)) {
    (void)make_dirs(dirname_of(probe_path_));
    SCCACHE_TRY_STATUS(write_file_atomic(probe_path_, detection_probe_source(), 0644));
  }
  SCCACHE_TRY(info, detect_compiler(exe, env, probe_path_, runner_));
  std::lock_guard lock(mu_);
  slots_[slot_key] = Slot{*st, info, {}};
  return info;
}

}  // namespace sccache
