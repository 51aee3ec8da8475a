// Cache misses compiled on a sccache-dist build server (SPEC 7.3, 7.8), for any job with a
// dist plan (CompileJob::dist_plan): the C family sends the preprocessed text at the source's
// path; rustc sends the crate's sources, externs and the crates of its -L directories.
// Every failure but the fatal ones of SPEC 7.2 falls back to a local compile and counts in
// dist_errors. A compile that fails on the build server is run again locally, so that its
// diagnostics are exactly the local ones.
#include <algorithm>
#include <chrono>

#include "server/compile_service.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

std::vector<std::pair<std::string, std::string>> remote_env(const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq);
    if (name == "TMPDIR") continue;  // a directory of this host; the sandbox has its own /tmp
    out.emplace_back(std::move(name), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

void CompileService::dist_failed(const std::string& what, const std::string& why) {
  spdlog::warn("dist: {}: {}; compiling locally", what, why);
  stats_.update([](ServerStats& s) { ++s.dist_errors; });
}

CompileService::RemoteRun CompileService::run_remote(DistPlan& plan, dist::CompileCommand command,
                                                     const std::string& what) {
  RemoteRun run;
  auto client = dist_->client();
  if (!client) return run;  // not connected: local until the retry (logged by DistState)
  auto failed = [&](const std::string& why) {
    dist_failed(what, why);
    return run;
  };
  // As in sccache, a `no_dist` compiler is a failed distributed compile too (and runs locally).
  auto flavor = dist::toolchain_flavor_named(plan.toolchain_flavor);
  if (!flavor) return failed("toolchain: " + flavor.error().message);
  auto toolchain = dist_->toolchains().resolve(plan.toolchain_compiler, plan.toolchain_identity, *flavor);
  if (!toolchain) return failed("toolchain: " + toolchain.error().message);
  auto t0 = std::chrono::steady_clock::now();
  auto alloc = client->alloc_job(toolchain->archive_id);
  if (!alloc) {
    if (alloc.error().code == dist::kDistFatal) {
      dist_->reset(alloc.error().message);
      run.kind = DistAttempt::fatal;
      run.message = alloc.error().message;
      return run;
    }
    return failed(alloc.error().message);
  }
  if (alloc->need_toolchain) {
    auto archive = read_file(toolchain->archive_path);
    if (!archive) return failed("toolchain archive: " + archive.error().message);
    if (auto st = client->submit_toolchain(*alloc, *archive); !st) return failed(st.error().message);
  }
  command.executable = toolchain->executable;
  auto t1 = std::chrono::steady_clock::now();
  std::vector<dist::JobInput> inputs;
  inputs.reserve(plan.inputs.size());
  for (auto& in : plan.inputs) inputs.push_back({in.path, std::move(in.data), in.mode});
  auto ran = client->run_job(*alloc, command, plan.outputs, inputs);
  auto t2 = std::chrono::steady_clock::now();
  if (!ran) return failed(ran.error().message);
  if (ran->code != 0 || ran->signal) {
    spdlog::debug("dist: {} failed on {} (exit {}); compiling locally", what, alloc->server_id, ran->code);
    return run;
  }
  size_t in_bytes = 0;
  for (const auto& in : inputs) in_bytes += in.data.size();
  // Read by bench/dist_build.sh: where the time of a distributed compile goes.
  spdlog::debug("dist: {} compiled on {} (job {}): alloc+toolchain {} us, run_job {} us, inputs {} bytes", what,
                alloc->server_id, alloc->job_id, elapsed_ns(t0) / 1000 - elapsed_ns(t1) / 1000,
                std::chrono::duration_cast<std::chrono::microseconds>(t2 - t1).count(), in_bytes);
  run.kind = DistAttempt::ok;
  run.result = std::move(*ran);
  return run;
}

CompileService::DistAttempt CompileService::run_dist(CompileJob& job, const Invocation& inv) {
  auto plan = job.dist_plan();
  if (!plan) {
    spdlog::debug("not distributing {}: {}", job.describe(), plan.error().message);
    return {};
  }
  dist::CompileCommand command;
  command.arguments = plan->arguments;
  command.env_vars = remote_env(inv.env);
  command.cwd = inv.cwd;
  auto run = run_remote(*plan, std::move(command), job.describe());
  if (run.kind != DistAttempt::ok) return {run.kind, {}, std::move(run.message)};
  if (plan->local_if_output && (!run.result.stdout_data.empty() || !run.result.stderr_data.empty())) {
    spdlog::debug("dist: {}: the build server's compile printed diagnostics; compiling locally", job.describe());
    return {};
  }
  return land_dist_outputs(job, inv, *plan, std::move(run.result));
}

// Every output the plan names, written as the compiler would have left it.
CompileService::DistAttempt CompileService::land_dist_outputs(const CompileJob& job, const Invocation& inv,
                                                              const DistPlan& plan, dist::JobResult result) {
  if (peer_hung_up(inv.cancel_fd)) return {};  // the client is gone: nothing lands
  for (const auto& out : plan.outputs) {
    auto it = std::find_if(result.outputs.begin(), result.outputs.end(), [&](const auto& o) { return o.first == out; });
    if (it == result.outputs.end()) {
      dist_failed(job.describe(), "the build server returned no " + out);
      return {};
    }
    std::string path = absolute_from(inv.cwd, out);
    if (auto st = write_file_atomic(path, it->second, job.output_mode(path, inv.umask)); !st) {
      dist_failed(job.describe(), "cannot write " + path + ": " + st.error().message);
      return {};
    }
  }
  stats_.update([](ServerStats& s) { ++s.dist_compiles; });
  DistAttempt attempt;
  attempt.kind = DistAttempt::ok;
  attempt.result.stdout_data = std::move(result.stdout_data);
  attempt.result.stderr_data = std::move(result.stderr_data);
  return attempt;
}

}  // namespace sccache
