// Cache misses compiled on a sccache-dist build server (SPEC 7.3, 7.8): the preprocessed text of
// the compile key is sent as the only input, at the source file's path, and compiled there with
// the same compiler (the toolchain archive) in the same cwd. Every failure but the fatal ones of
// SPEC 7.2 falls back to a local compile and counts in dist_errors.
#include <algorithm>

#include "compiler/gcc_args.hpp"
#include "server/compile_service.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

std::string preprocessed_language(const std::string& language) {
  if (language == "c") return "cpp-output";
  if (language == "objective-c") return "objective-c-cpp-output";
  if (language == "objective-c++") return "objective-c++-cpp-output";
  return "c++-cpp-output";
}

}  // namespace

CompileService::DistAttempt CompileService::run_dist(const CompilerInfo& compiler, const CompileJob& job,
                                                     const Invocation& inv, std::string text) {
  DistAttempt attempt;
  auto client = dist_->client();
  if (!client) return attempt;  // not connected: local until the retry (logged by DistState)
  auto failed = [&](const std::string& why) {
    spdlog::warn("dist: {}: {}; compiling locally", job.input, why);
    stats_.update([](ServerStats& s) { ++s.dist_errors; });
    attempt.kind = DistAttempt::fallback;
    return attempt;
  };
  auto flavor = compiler.kind == CompilerKind::clang ? dist::ToolchainFlavor::clang : dist::ToolchainFlavor::gcc;
  auto toolchain = dist_->toolchains().resolve(compiler.path, compiler.identity, flavor);
  // As in sccache, a `no_dist` compiler is a failed distributed compile too (and runs locally).
  if (!toolchain) return failed("toolchain: " + toolchain.error().message);
  auto alloc = client->alloc_job(toolchain->archive_id);
  if (!alloc) {
    if (alloc.error().code == dist::kDistFatal) {
      dist_->reset(alloc.error().message);
      attempt.kind = DistAttempt::fatal;
      attempt.message = alloc.error().message;
      return attempt;
    }
    return failed(alloc.error().message);
  }
  if (alloc->need_toolchain) {
    auto archive = read_file(toolchain->archive_path);
    if (!archive) return failed("toolchain archive: " + archive.error().message);
    if (auto st = client->submit_toolchain(*alloc, *archive); !st) return failed(st.error().message);
  }
  dist::CompileCommand command;
  command.executable = toolchain->executable;
  command.arguments = dist_compile_args(job, preprocessed_language(job.language));
  command.arguments.insert(command.arguments.end(), job.compile_extra_args.begin(), job.compile_extra_args.end());
  for (const auto& kv : inv.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq);
    if (name == "TMPDIR") continue;  // a directory of this host; the sandbox has its own /tmp
    command.env_vars.emplace_back(std::move(name), kv.substr(eq + 1));
  }
  command.cwd = inv.cwd;
  const std::string object = absolute_from(inv.cwd, job.output);
  std::vector<dist::JobInput> inputs{{absolute_from(inv.cwd, job.input), std::move(text), 0644}};
  auto ran = client->run_job(*alloc, command, {job.output}, inputs);
  if (!ran) return failed(ran.error().message);
  if (ran->code != 0 || ran->signal) {
    // Compile errors are reported by the local compiler, whose diagnostics see the macros.
    spdlog::debug("dist: {} failed on {} (exit {}); compiling locally", job.input, alloc->server_id, ran->code);
    return attempt;
  }
  auto it = std::find_if(ran->outputs.begin(), ran->outputs.end(),
                         [&](const auto& o) { return o.first == job.output; });
  if (it == ran->outputs.end()) return failed("the build server returned no " + job.output);
  if (auto st = write_file_atomic(object, it->second, output_mode(compiler.kind, object, inv.umask)); !st) {
    return failed("cannot write " + object + ": " + st.error().message);
  }
  stats_.update([](ServerStats& s) { ++s.dist_compiles; });
  spdlog::debug("dist: {} compiled on {} (job {})", job.input, alloc->server_id, alloc->job_id);
  attempt.kind = DistAttempt::ok;
  attempt.result.exit_code = 0;
  attempt.result.stdout_data = std::move(ran->stdout_data);
  attempt.result.stderr_data = std::move(ran->stderr_data);
  return attempt;
}

}  // namespace sccache
