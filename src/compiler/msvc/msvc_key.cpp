// The MSVC family's cache key: what is not the preprocessed text (the prefix), the `/E` run, and
// the precompiled-header inputs.
#include "compiler/msvc/msvc_compile_job.hpp"
#include "compiler/msvc/show_includes.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

void hash_env(Hasher& h, const MsvcArguments& args, const Invocation& inv) {
  h.update_field("env");
  auto put = [&](std::string_view name) {
    auto v = env_value(inv.env, name);
    h.update_field(name);
    h.update_field(v ? "=" + *v : std::string("<unset>"));
  };
  for (auto name : c_key_env_vars()) put(name);
  for (auto name : msvc_key_env_vars()) put(name);
  for (const auto& name : args.env_key_vars) put(name);
}

// The input files a .pch records, as clang lists them (`-cc1 -module-file-info`): a /Yu compile
// also checks those its own text does not include (a header included before the /Yc header).
std::vector<std::string> pch_recorded_inputs(const Invocation& inv, const std::string& pch, ProcessRunner& runner) {
  std::vector<std::string> out;
  ProcessSpec spec{{inv.exe, "-cc1", "-module-file-info", pch}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
  auto r = runner.run(spec);
  if (!r || !r->success()) return out;  // no readable .pch: the compile fails, and so says
  constexpr std::string_view kInput = "Input file: ";
  for (const std::string& line : split(r->stdout_data, '\n')) {
    size_t at = line.find(kInput);
    if (at == std::string::npos) continue;
    std::string path = line.substr(at + kInput.size());
    if (auto bracket = path.find(" ["); bracket != std::string::npos) path.resize(bracket);
    out.push_back(absolute_from(inv.cwd, trim(path)));
  }
  return out;
}

// The files a .pch records, each with the size and mtime the compiler checks when it reads the
// .pch (clang-cl refuses one whose header "has been modified since the precompiled header was
// built"): the .pch restored by a hit must record what is on disk now, and a /Yu hit must be
// one the compiler would not refuse.
void hash_pch_inputs(Hasher& h, const MsvcCompilerInfo& compiler, const MsvcArguments& args, const Invocation& inv,
                     const std::string& text, JobServices& services) {
  h.update_field("pch");
  const std::string pch = absolute_from(inv.cwd, args.pch_path);
  h.update_field(pch);
  std::vector<std::string> files = files_from_line_markers(text, inv.cwd);
  files.push_back(absolute_from(inv.cwd, args.input));
  if (args.pch == MsvcArguments::Pch::use && compiler.dialect->clang_driver) {
    for (auto& f : pch_recorded_inputs(inv, pch, services.runner)) files.push_back(std::move(f));
  }
  for (const auto& f : files) {
    auto st = stat_file(f);
    h.update_field(f);
    h.update_field(st ? std::to_string(st->size) + ":" + std::to_string(st->mtime_ns) : std::string("<absent>"));
  }
  if (args.pch == MsvcArguments::Pch::use) {
    auto digest = services.digests.digest(pch);
    h.update_field(digest ? digest->digest : std::string("<absent>"));
  }
}

// Whether the /E run said anything but its notes and `-v` listing (a warning a compile of the
// text elsewhere would not repeat).
bool has_diagnostics(std::string_view stderr_text, std::string_view prefix) {
  for (const std::string& line : split(stderr_text, '\n')) {
    if (is_include_note(line, prefix)) continue;
    for (std::string_view word : {"warning:", "error:", "note:", "remark:", "warning C", "error C"}) {
      if (line.find(word) != std::string::npos) return true;
    }
  }
  return false;
}

}  // namespace

std::string msvc_key_prefix(const MsvcCompilerInfo& compiler, const MsvcArguments& args, const Invocation& inv) {
  Hasher h;
  h.update_field(kMsvcKeyVersion);
  h.update_field(compiler.identity);
  h.update_field(compiler.dialect->name);
  h.update_field(args.language);
  h.update_field("args");
  // With debug info the object holds its own path, the cwd and the whole command line (with the
  // compiler's path); /FC puts absolute paths in diagnostics and __FILE__; a -deps file names the
  // object; a .pch records absolute paths; a /sourceDependencies file holds absolute paths.
  // So may a PDB, listing or /sourceDependencies file: every output but the object and depfile.
  bool paths_reach_output = args.debug_info || args.full_paths;
  for (const auto& o : args.outputs) paths_reach_output = paths_reach_output || (o.name != "obj" && o.name != "d");
  for (const auto& a : paths_reach_output ? args.args : args.hashed_args) h.update_field(a);
  if (paths_reach_output) {
    h.update_field("paths");
    h.update_field(inv.exe);
    h.update_field(inv.cwd);
    h.update_field(args.output);
  }
  hash_env(h, args, inv);
  // Without the Visual Studio variables clang-cl finds the system headers through a cl.exe on
  // PATH.
  if (compiler.dialect->clang_driver) {
    h.update_field("cl.exe");
    h.update_field(find_in_path("cl.exe", env_value(inv.env, "PATH").value_or(""), inv.cwd).value_or("<none>"));
  }
  return h.finish_hex();
}

std::vector<std::string> cl_search_dirs(const MsvcArguments& args, const Invocation& inv) {
  std::vector<std::string> out;
  const auto& a = args.args;
  for (size_t i = 0; i < a.size() && a[i] != "/link" && a[i] != "-link"; ++i) {
    for (std::string_view flag : {"/I", "-I", "/external:I", "-external:I"}) {
      if (!a[i].starts_with(flag)) continue;
      std::string dir = a[i].size() > flag.size() ? a[i].substr(flag.size()) : (i + 1 < a.size() ? a[i + 1] : "");
      if (!dir.empty()) out.push_back(absolute_from(inv.cwd, dir));
      break;
    }
  }
  for (std::string_view var : {"INCLUDE", "EXTERNAL_INCLUDE"}) {
    auto v = env_value(inv.env, var);
    if (!v) continue;
    for (const auto& d : split(*v, ';')) {
      if (!d.empty()) out.push_back(absolute_from(inv.cwd, d));
    }
  }
  return out;
}

KeyOutcome compute_msvc_key(const std::string& prefix, const MsvcCompilerInfo& compiler, const MsvcArguments& args,
                            const Invocation& inv, JobServices& services, bool want_includes, bool for_dist) {
  KeyOutcome out;
  ProcessSpec spec{{inv.exe}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
  spec.argv.insert(spec.argv.end(), args.preprocess_args.begin(), args.preprocess_args.end());
  // Right after /E: a `--` of the user's makes every later argument an input.
  bool notes = want_includes || args.deps_file.has_value();
  if (want_includes && compiler.dialect->clang_driver) spec.argv.insert(spec.argv.begin() + 2, std::string("-v"));  // the search list
  if (notes) spec.argv.insert(spec.argv.begin() + 2, std::string("/showIncludes"));
  auto result = run_preprocessor(services.runner, spec, out);
  if (!result) return out;
  Hasher h;
  h.update_field(prefix);
  h.update_field("text");
  h.update_field(result->stdout_data);
  if (args.pch != MsvcArguments::Pch::none) hash_pch_inputs(h, compiler, args, inv, result->stdout_data, services);
  if (notes) {
    for (auto& p : include_note_paths(result->stderr_data, compiler.includes_prefix)) out.include_files.push_back(std::move(p));
  }
  if (want_includes) {
    out.search_dirs = compiler.dialect->clang_driver ? search_dirs_from_verbose(result->stderr_data, inv.cwd)
                                                     : cl_search_dirs(args, inv);
    out.missing_dirs = missing_dirs_from_verbose(result->stderr_data, inv.cwd);
    out.includer_stack_search = true;
    // A /FI header is looked for in the cwd first.
    for (const auto& a : args.args) {
      if (a.starts_with("/FI") || a.starts_with("-FI")) out.first_dirs = {inv.cwd};
    }
  }
  if (for_dist) {
    out.preprocessor_diagnostics = has_diagnostics(result->stderr_data, compiler.includes_prefix);
    out.preprocessed = std::move(result->stdout_data);
  }
  out.key = h.finish_hex();
  return out;
}

}  // namespace sccache
