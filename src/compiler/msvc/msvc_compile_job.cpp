#include "compiler/msvc/msvc_compile_job.hpp"

#include <algorithm>

#include "compiler/c/c_compile_job.hpp"
#include "compiler/msvc/show_includes.hpp"

namespace sccache {

MsvcCompileJob::MsvcCompileJob(MsvcCompilerInfo compiler, MsvcArguments args, Invocation inv)
    : compiler_(std::move(compiler)), args_(std::move(args)), inv_(std::move(inv)) {
  prefix_ = msvc_key_prefix(compiler_, args_, inv_);
}

std::vector<std::string> MsvcCompileJob::output_paths() const {
  std::vector<std::string> out;
  for (const auto& o : args_.outputs) out.push_back(absolute_from(inv_.cwd, o.path));
  return out;
}

mode_t MsvcCompileJob::output_mode(const std::string& path, mode_t umask) const {
  (void)path;
  return static_cast<mode_t>(0666 & ~umask);  // clang-cl writes a new file
}

// A .pch records mtimes, which a manifest of contents cannot check: /Yc and /Yu go the
// preprocessor's way every time.
std::optional<std::string> MsvcCompileJob::direct_key(FileDigests& digests) {
  if (args_.pch != MsvcArguments::Pch::none) return std::nullopt;
  auto input = digests.digest(absolute_from(inv_.cwd, args_.input));
  if (!input) return std::nullopt;
  return c_direct_key(prefix_, args_.input, inv_.cwd, input->digest);
}

KeyResult MsvcCompileJob::compute_key(JobServices& services, bool record_inputs, bool for_dist) {
  key_ = compute_msvc_key(prefix_, compiler_, args_, inv_, services, record_inputs, for_dist);
  notes_ = std::move(key_.include_files);
  key_.include_files.clear();
  for (const auto& n : notes_) {
    std::string path = absolute_from(inv_.cwd, n);
    for (size_t at = path.find("/./"); at != std::string::npos; at = path.find("/./")) path.erase(at, 2);
    key_.include_files.push_back(std::move(path));
  }
  KeyResult out{key_.key, key_.error, key_.not_cacheable};
  if (!out.key && out.error.empty() && key_.preprocess_failed) out.error = "the preprocessor failed";
  return out;
}

std::optional<RecordedInputs> MsvcCompileJob::recorded_inputs(FileDigests& digests) const {
  if (!key_.key) return std::nullopt;
  return c_recorded_inputs(absolute_from(inv_.cwd, args_.input), key_, digests);
}

std::optional<Replay> MsvcCompileJob::replay(StoredResult&& stored) const {
  Replay out;
  if (stored.files.size() != args_.outputs.size()) return std::nullopt;
  for (auto& f : stored.files) {
    auto it = std::find_if(args_.outputs.begin(), args_.outputs.end(),
                           [&](const OutputSpec& o) { return o.name == f.name; });
    if (it == args_.outputs.end()) return std::nullopt;
    out.writes.emplace_back(absolute_from(inv_.cwd, it->path), std::move(f.data));
  }
  out.stdout_data = std::move(stored.stdout_data);
  out.stderr_data = std::move(stored.stderr_data);
  return out;
}

// The user's command; with -deps (sccache's own flag, unknown to the compiler) without it.
// (The compiler reads CL and _CL_ itself, and a -deps inside a response file stays there.)
ProcessSpec MsvcCompileJob::compile_command() const {
  ProcessSpec spec{{inv_.exe}, inv_.env, inv_.cwd, inv_.umask, inv_.cancel_fd};
  for (const auto& a : inv_.args) {
    bool deps = a.size() > 5 && (a[0] == '-' || a[0] == '/') && a.compare(1, 4, "deps") == 0;
    if (!deps || !args_.deps_file) spec.argv.push_back(a);
  }
  return spec;
}

// sccache writes the -deps file itself, from the notes of the /E run, as the compile starts.
void MsvcCompileJob::before_compile() {
  if (args_.deps_file) {
    std::string path = absolute_from(inv_.cwd, *args_.deps_file);
    (void)write_file_atomic(path, make_style_deps(args_.output, args_.input, notes_), output_mode(path, inv_.umask));
  }
  before_.clear();
  for (const auto& out : args_.outputs) {
    before_.push_back(out.name == "deps" ? std::nullopt : stat_file(absolute_from(inv_.cwd, out.path)));
  }
}

Expected<StoredResult> MsvcCompileJob::collect(const ProcessResult& result) const {
  StoredResult stored{result.stdout_data, result.stderr_data, {}};
  for (const auto& out : args_.outputs) {
    std::string path = absolute_from(inv_.cwd, out.path);
    // A file this compile did not write (another name than expected, an old .pch) is no output.
    size_t i = static_cast<size_t>(&out - args_.outputs.data());
    if (i < before_.size() && before_[i] && stat_file(path) == before_[i]) {
      return make_error("expected output " + path + " was not written by the compile");
    }
    auto data = read_file(path);
    if (!data) return make_error("expected output " + path + " missing");
    stored.files.push_back({out.name, std::move(*data)});
  }
  return stored;
}

std::optional<std::string> MsvcCompileJob::dist_refusal() const {
  if (compiler_.dialect->toolchain_flavor.empty()) return "cl.exe runs on Windows only";
  if (args_.pch != MsvcArguments::Pch::none) return "precompiled header";
  // The build server's compiler would read them again (the job gets the client's environment).
  for (const char* var : {"CL", "_CL_"}) {
    if (env_value(inv_.env, var)) return std::string(var) + " environment variable";
  }
  // What a compile of the preprocessed text writes differently: debug info and absolute paths,
  // the notes (there are no includes left), dependency files and listings.
  if (args_.debug_info) return "debug info";
  if (args_.full_paths) return "/FC";
  if (args_.show_includes) return "/showIncludes";
  if (args_.deps_file || args_.clang_deps) return "dependency file";
  for (const auto& o : args_.outputs) {
    if (o.name != "obj") return "output " + o.name;
  }
  for (const auto& a : args_.args) {
    if (a == "-v" || a == "-###" || a.find("sanitize") != std::string::npos || a.find("-flto") != std::string::npos ||
        a.find("/flto") != std::string::npos || a == "/Bt" || a == "-Bt") {
      return a;
    }
  }
  return std::nullopt;
}

// clang in cl mode compiles the preprocessed text, saved at the source's own path.
Expected<DistPlan> MsvcCompileJob::dist_plan() {
  if (key_.preprocessor_diagnostics) return make_error("the preprocessor printed diagnostics");
  DistPlan plan;
  plan.toolchain_compiler = compiler_.path;
  plan.toolchain_identity = compiler_.identity;
  plan.toolchain_flavor = std::string(compiler_.dialect->toolchain_flavor);
  // The archive's executable may be clang itself (a packaged toolchain) or a clang-cl link.
  plan.arguments = {"--driver-mode=cl"};
  plan.arguments.insert(plan.arguments.end(), args_.dist_args.begin(), args_.dist_args.end());
  plan.arguments.insert(plan.arguments.end(),
                        {"/c", args_.language == "c" ? "/TC" : "/TP", "/Fo" + args_.output, "--", args_.input});
  plan.inputs.push_back({absolute_from(inv_.cwd, args_.input), std::move(key_.preprocessed), 0644});
  plan.outputs = {args_.output};
  plan.local_if_output = true;
  return plan;
}

}  // namespace sccache
