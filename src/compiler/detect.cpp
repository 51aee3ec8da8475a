#include "compiler/detect.hpp"

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache {

std::string_view detection_probe_source() {
  return "#if defined(_MSC_VER) && defined(__clang__)\n"
         "sccache_kind msvc-clang\n"
         "#elif defined(_MSC_VER)\n"
         "sccache_kind msvc\n"
         "#elif defined(__NVCC__)\n"
         "sccache_kind nvcc\n"
         "#elif defined(__clang__)\n"
         "sccache_kind clang\n"
         "#elif defined(__GNUC__)\n"
         "sccache_kind gcc\n"
         "#else\n"
         "sccache_kind unknown\n"
         "#endif\n";
}

Expected<CompilerKind> kind_from_probe_output(const std::string& preprocessed) {
  for (const auto& raw : split(preprocessed, '\n')) {
    std::string line = trim(raw);
    if (line.rfind("sccache_kind ", 0) != 0) continue;
    std::string kind = line.substr(13);
    if (kind == "gcc") return CompilerKind::gcc;
    if (kind == "clang") return CompilerKind::clang;
    return make_error("compiler kind `" + kind + "` is not supported yet");
  }
  return make_error("not a C/C++ compiler (no probe output)");
}

Expected<CompilerInfo> detect_compiler(const std::string& exe, const std::vector<std::string>& env,
                                       const std::string& probe_path, ProcessRunner& runner) {
  ProcessSpec spec{{exe, "-E", probe_path}, env, "", std::nullopt};
  SCCACHE_TRY(result, runner.run(spec));
  if (!result.success()) {
    return make_error("compiler probe failed: " + trim(result.stderr_data.substr(0, 400)));
  }
  SCCACHE_TRY(kind, kind_from_probe_output(result.stdout_data));
  std::string real = real_path(exe).value_or(exe);
  SCCACHE_TRY(content_digest, sha256_file_hex(real));
  Hasher h;
  h.update_field("compiler-identity-v1");
  h.update_field(kind_name(kind));
  h.update_field(content_digest);
  return CompilerInfo{exe, kind, h.finish_hex(), "", ""};
}

}  // namespace sccache
