#include "compiler/c/c_family.hpp"

#include "compiler/c/c_compile_job.hpp"
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

Expected<std::string> kind_from_probe_output(const std::string& preprocessed) {
  for (const auto& raw : split(preprocessed, '\n')) {
    std::string line = trim(raw);
    if (line.rfind("sccache_kind ", 0) == 0) return line.substr(13);
  }
  return make_error("not a C/C++ compiler (no probe output)");
}

Expected<const CDialect*> dialect_from_probe_output(const std::string& preprocessed) {
  SCCACHE_TRY(kind, kind_from_probe_output(preprocessed));
  if (const CDialect* dialect = c_dialect_named(kind)) return dialect;
  return make_error("compiler kind `" + kind + "` is not a gcc/clang driver");
}

namespace {

Expected<std::string> run_probe(const ProbeRequest& request) {
  // The probe lives in the server's scratch dir, which a long-lived server may see cleaned away.
  std::string probe_path = join_path(request.scratch_dir, "probe.c");
  if (!stat_file(probe_path)) {
    (void)make_dirs(request.scratch_dir);
    SCCACHE_TRY_STATUS(write_file_atomic(probe_path, detection_probe_source(), 0644));
  }
  ProcessSpec spec{{request.exe, "-E", probe_path}, request.env, "", std::nullopt};
  SCCACHE_TRY(result, request.runner.run(spec));
  if (!result.success()) {
    return make_error("compiler probe failed: " + trim(result.stderr_data.substr(0, 400)));
  }
  return std::move(result.stdout_data);
}

}  // namespace

// The answer depends on the binary only (as the in-memory detection cache already assumes), so
// it is remembered with the stat of the real executable.
Expected<std::string> probe_compiler_output(const ProbeRequest& request) {
  if (!request.c_probe) {
    request.c_probe = request.memo.remembered("c-probe-v1", real_path(request.exe).value_or(request.exe),
                                              [&] { return run_probe(request); });
  }
  return *request.c_probe;
}

Expected<std::string> compiler_identity(const ProbeRequest& request, std::string_view dialect, std::string_view extra) {
  std::string real = real_path(request.exe).value_or(request.exe);
  SCCACHE_TRY(content_digest, request.memo.content_digest(real));
  Hasher h;
  h.update_field("compiler-identity-v1");
  h.update_field(dialect);
  h.update_field(content_digest);
  if (!extra.empty()) h.update_field(extra);
  return h.finish_hex();
}

Expected<DetectedCompiler> detect_c_compiler(const ProbeRequest& request) {
  SCCACHE_TRY(output, probe_compiler_output(request));
  SCCACHE_TRY(dialect, dialect_from_probe_output(output));
  SCCACHE_TRY(identity, compiler_identity(request, dialect->name, ""));
  auto compiler = std::make_shared<CCompiler>(CCompilerInfo{request.exe, dialect, std::move(identity)});
  return DetectedCompiler{std::move(compiler), {}};
}

ParseResult CCompiler::parse(const Invocation& inv) const {
  CParseResult parsed = parse_c_arguments(*info_.dialect, inv);
  if (auto* args = std::get_if<CArguments>(&parsed)) {
    return std::make_unique<CCompileJob>(info_, std::move(*args), inv);
  }
  if (auto* nc = std::get_if<NotCacheable>(&parsed)) return std::move(*nc);
  return NotCompilation{};
}

}  // namespace sccache
