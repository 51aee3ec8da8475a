#include "compiler/c/c_compile_job.hpp"

#include <algorithm>

#include "compiler/c/c_dist.hpp"

namespace sccache {

CCompileJob::CCompileJob(CCompilerInfo compiler, CArguments args, Invocation inv)
    : compiler_(std::move(compiler)), args_(std::move(args)), inv_(std::move(inv)) {
  prefix_ = c_key_prefix(compiler_, args_, inv_);
}

std::vector<std::string> CCompileJob::output_paths() const {
  std::vector<std::string> out;
  for (const auto& o : args_.outputs) out.push_back(absolute_from(inv_.cwd, o.path));
  return out;
}

mode_t CCompileJob::output_mode(const std::string& path, mode_t umask) const {
  if (compiler_.dialect->keeps_existing_output_mode) {
    if (auto st = stat_file(path)) return static_cast<mode_t>(st->mode & 07777);
  }
  return static_cast<mode_t>(0666 & ~umask);
}

std::optional<std::string> CCompileJob::direct_key(FileDigests& digests) {
  if (args_.input_is_preprocessed) return std::nullopt;
  auto input = digests.digest(absolute_from(inv_.cwd, args_.input));
  if (!input) return std::nullopt;
  return c_direct_key(prefix_, args_, inv_, input->digest);
}

KeyResult CCompileJob::compute_key(JobServices& services, bool record_inputs, bool for_dist) {
  key_ = compute_c_key(prefix_, args_, inv_, services.runner, record_inputs, for_dist);
  KeyResult out{key_.key, key_.error, key_.not_cacheable};
  // A failing preprocessor (e.g. a missing header): the compile itself reports it exactly.
  if (!out.key && out.error.empty() && key_.preprocess_failed) out.error = "the preprocessor failed";
  return out;
}

std::optional<RecordedInputs> CCompileJob::recorded_inputs(FileDigests& digests) const {
  if (!key_.key) return std::nullopt;
  return c_recorded_inputs(absolute_from(inv_.cwd, args_.input), key_, digests);
}

// Every stored file must be one of this job's outputs, and every required output must be there.
std::optional<Replay> CCompileJob::replay(StoredResult&& stored) const {
  Replay out;
  size_t required = 0;
  for (auto& f : stored.files) {
    auto it = std::find_if(args_.outputs.begin(), args_.outputs.end(),
                           [&](const OutputSpec& o) { return o.name == f.name; });
    if (it == args_.outputs.end()) return std::nullopt;
    if (it->required) ++required;
    out.writes.emplace_back(absolute_from(inv_.cwd, it->path), std::move(f.data));
  }
  auto wanted = std::count_if(args_.outputs.begin(), args_.outputs.end(), [](const OutputSpec& o) { return o.required; });
  if (required != static_cast<size_t>(wanted)) return std::nullopt;
  out.stdout_data = std::move(stored.stdout_data);
  out.stderr_data = std::move(stored.stderr_data);
  return out;
}

void CCompileJob::before_compile() {
  before_.clear();
  for (const auto& out : args_.outputs) before_.push_back(stat_file(absolute_from(inv_.cwd, out.path)));
}

// Optional outputs (.dwo, .gcno) count only if this compile wrote them.
Expected<StoredResult> CCompileJob::collect(const ProcessResult& result) const {
  StoredResult stored{result.stdout_data, result.stderr_data, {}};
  for (size_t i = 0; i < args_.outputs.size(); ++i) {
    const auto& out = args_.outputs[i];
    std::string path = absolute_from(inv_.cwd, out.path);
    auto now = stat_file(path);
    if (!out.required && (!now || (i < before_.size() && now == before_[i]))) continue;
    auto data = read_file(path);
    if (!data) return make_error("expected output " + path + " missing");
    stored.files.push_back({out.name, std::move(*data)});
  }
  return stored;
}

std::optional<std::string> CCompileJob::dist_refusal() const { return c_dist_refusal(*compiler_.dialect, args_); }

Expected<DistPlan> CCompileJob::dist_plan() {
  if (key_.preprocessor_diagnostics) return make_error("the preprocessor printed diagnostics");
  if (key_.preprocessed.find("__builtin_COLUMN") != std::string::npos ||
      key_.preprocessed.find("__builtin_source_location") != std::string::npos) {
    return make_error("source columns reach the object (source_location)");
  }
  DistPlan plan;
  plan.toolchain_compiler = compiler_.path;
  plan.toolchain_identity = compiler_.identity;
  plan.toolchain_flavor = std::string(compiler_.dialect->toolchain_flavor);
  plan.arguments = dist_compile_args(args_, preprocessed_language(args_.language));
  plan.arguments.insert(plan.arguments.end(), args_.compile_extra_args.begin(), args_.compile_extra_args.end());
  plan.inputs.push_back({absolute_from(inv_.cwd, args_.input), std::move(key_.preprocessed), 0644});
  plan.outputs = {args_.output};
  // Diagnostics of preprocessed text differ from the local ones (columns, source lines, macro
  // notes, the locale's quotes).
  plan.local_if_output = true;
  return plan;
}

}  // namespace sccache
