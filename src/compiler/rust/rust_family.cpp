#include "compiler/rust/rust_family.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "compiler/compiler.hpp"
#include "compiler/rust/rust_compile_job.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

bool looks_like_rustc(const std::string& exe) {
  std::string base = basename_of(exe);
  return base == "rustc" || base == "rustc.exe" || starts_with(base, "rustc-");
}

Expected<RustToolchain> probe_rustc(const std::string& exe, const std::vector<std::string>& env, const std::string& cwd,
                                    ProcessRunner& runner) {
  RustToolchain tc;
  SCCACHE_TRY(vv, runner.run(ProcessSpec{{exe, "-vV"}, env, cwd, std::nullopt}));
  if (!vv.success() || !starts_with(vv.stdout_data, "rustc ")) {
    return make_error("`" + exe + " -vV` did not identify rustc: " + vv.stderr_data.substr(0, 200));
  }
  tc.version_text = vv.stdout_data;
  for (const auto& line : split(vv.stdout_data, '\n')) {
    if (starts_with(line, "host: ")) tc.host = trim(line.substr(6));
  }
  SCCACHE_TRY(sr, runner.run(ProcessSpec{{exe, "--print=sysroot"}, env, cwd, std::nullopt}));
  if (!sr.success()) return make_error("`" + exe + " --print=sysroot` failed: " + sr.stderr_data.substr(0, 200));
  tc.sysroot = trim(sr.stdout_data);
  SCCACHE_TRY(entries, list_dir(join_path(tc.sysroot, "lib")));
  for (const auto& name : entries) {
    std::string path = join_path(join_path(tc.sysroot, "lib"), name);
    auto st = stat_file(path);
    if (st && S_ISREG(st->mode) && name.size() > 3 && (name.ends_with(".so") || name.find(".so.") != std::string::npos)) {
      tc.libraries.push_back(path);
    }
  }
  std::sort(tc.libraries.begin(), tc.libraries.end());
  if (tc.libraries.empty()) return make_error("no compiler libraries under " + tc.sysroot + "/lib");
  return tc;
}

Expected<DetectedCompiler> detect_rustc(const ProbeRequest& request) {
  SCCACHE_TRY(tc, probe_rustc(request.exe, request.env, request.cwd, request.runner));
  DetectedCompiler detected;
  Hasher h;
  h.update_field("rustc");
  h.update_field(tc.version_text);
  // The executable itself: a wrapper that answers `-vV` as rustc does but adds flags must not
  // share rustc's entries (a rustup proxy hashes as rustup).
  SCCACHE_TRY(exe_digest, request.memo.content_digest(real_path(request.exe).value_or(request.exe)));
  h.update_field(exe_digest);
  for (const auto& lib : tc.libraries) {
    auto st = stat_file(lib);
    SCCACHE_TRY(digest, request.memo.content_digest(lib));
    if (!st) return make_error("cannot stat " + lib);
    h.update_field(basename_of(lib));
    h.update_field(digest);
    detected.deps.emplace_back(lib, *st);
  }
  detected.compiler = std::make_shared<RustCompiler>(RustCompilerInfo{request.exe, h.finish_hex(), tc.host, tc.sysroot});
  return detected;
}

std::string rustup_detection_scope(const std::string& real_exe, const std::vector<std::string>& env,
                                   const std::string& cwd) {
  if (basename_of(real_exe).rfind("rustup", 0) != 0) return "";
  return env_value(env, "RUSTUP_TOOLCHAIN").value_or("") + "\n" + env_value(env, "RUSTUP_HOME").value_or("") + "\n" +
         cwd;
}

ParseResult RustCompiler::parse(const Invocation& inv) const {
  RustParseResult parsed = parse_rust_arguments(inv.args, inv.cwd);
  if (auto* args = std::get_if<RustArguments>(&parsed)) {
    return std::make_unique<RustCompileJob>(info_, std::move(*args), inv);
  }
  if (auto* nc = std::get_if<NotCacheable>(&parsed)) return std::move(*nc);
  return NotCompilation{};
}

}  // namespace sccache
