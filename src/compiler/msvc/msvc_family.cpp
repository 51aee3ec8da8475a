#include "compiler/msvc/msvc_family.hpp"

#include "compiler/c/c_family.hpp"
#include "compiler/msvc/show_includes.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

// Preprocesses a file that includes one empty header with /showIncludes, in a directory of the
// scratch dir (relative names: clang-cl on a POSIX host could read `/tmp/...` as an option).
Expected<std::string> detect_includes_prefix(const ProbeRequest& request) {
  std::string dir = join_path(request.scratch_dir, "msvc-includes-probe");
  std::string source = join_path(dir, std::string(kIncludesProbeSource));
  std::string header = join_path(dir, std::string(kIncludesProbeHeader));
  if (!stat_file(source) || !stat_file(header)) {
    SCCACHE_TRY_STATUS(make_dirs(dir));
    SCCACHE_TRY_STATUS(write_file_atomic(header, "", 0644));
    SCCACHE_TRY_STATUS(write_file_atomic(source, "#include \"" + std::string(kIncludesProbeHeader) + "\"\n", 0644));
  }
  ProcessSpec spec{{request.exe, "/nologo", "/showIncludes", "/E", "/I.", std::string(kIncludesProbeSource)},
                   request.env, dir, std::nullopt};
  SCCACHE_TRY(result, request.runner.run(spec));
  if (!result.success()) return make_error("/showIncludes probe failed: " + result.stderr_data.substr(0, 400));
  auto exists = [&](const std::string& p) { return stat_file(absolute_from(dir, p)).has_value(); };
  auto prefix = show_includes_prefix_from(result.stderr_data, exists);
  if (!prefix) prefix = show_includes_prefix_from(result.stdout_data, exists);
  if (!prefix) return make_error("cannot tell the /showIncludes note prefix from the compiler's output");
  return *prefix;
}

}  // namespace

bool looks_like_msvc(const std::string& exe) {
  std::string name = basename_of(exe);
  return name == "cl" || name == "cl.exe" || name.rfind("clang-cl", 0) == 0;
}

Expected<DetectedCompiler> detect_msvc_compiler(const ProbeRequest& request) {
  SCCACHE_TRY(output, probe_compiler_output(request));
  SCCACHE_TRY(kind, kind_from_probe_output(output));
  const MsvcDialect* dialect = msvc_dialect_named(kind);
  if (dialect == nullptr) return make_error("compiler kind `" + kind + "` is not an MSVC driver");
  SCCACHE_TRY(prefix, detect_includes_prefix(request));
  SCCACHE_TRY(identity, compiler_identity(request, dialect->name, prefix));
  auto compiler = std::make_shared<MsvcCompiler>(MsvcCompilerInfo{request.exe, dialect, std::move(identity), prefix});
  return DetectedCompiler{std::move(compiler), {}};
}

ParseResult MsvcCompiler::parse(const Invocation& inv) const {
  MsvcParseResult parsed = parse_msvc_arguments(*info_.dialect, inv);
  if (auto* args = std::get_if<MsvcArguments>(&parsed)) {
    return std::make_unique<MsvcCompileJob>(info_, std::move(*args), inv);
  }
  if (auto* nc = std::get_if<NotCacheable>(&parsed)) return std::move(*nc);
  return NotCompilation{};
}

}  // namespace sccache
