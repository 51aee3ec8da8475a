// Cache misses compiled on a sccache-dist build server (SPEC 7.3, 7.8).
//  * C/C++: the preprocessed text of the compile key is sent as the only input, at the source
//    file's path, and compiled there with the same compiler (the toolchain archive) in the same
//    cwd; the depfile was written by the local preprocessor run.
//  * Rust: the crate's sources (from the dep-info pre-pass), externs, static libraries and the
//    crates in its -L directories go at their own paths, and rustc runs with the same arguments.
// Every failure but the fatal ones of SPEC 7.2 falls back to a local compile and counts in
// dist_errors. A compile that fails on the build server is run again locally, so that its
// diagnostics are exactly the local ones.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "compiler/gcc_args.hpp"
#include "server/compile_service.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

std::string preprocessed_language(const std::string& language) {
  if (language == "c") return "cpp-output";
  if (language == "objective-c") return "objective-c-cpp-output";
  if (language == "objective-c++") return "objective-c++-cpp-output";
  return "c++-cpp-output";
}

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

CompileService::RemoteRun CompileService::run_remote(const CompilerInfo& compiler, dist::ToolchainFlavor flavor,
                                                     dist::CompileCommand command,
                                                     const std::vector<dist::JobInput>& inputs,
                                                     const std::vector<std::string>& outputs, const std::string& what) {
  RemoteRun run;
  auto client = dist_->client();
  if (!client) return run;  // not connected: local until the retry (logged by DistState)
  auto failed = [&](const std::string& why) {
    dist_failed(what, why);
    return run;
  };
  // As in sccache, a `no_dist` compiler is a failed distributed compile too (and runs locally).
  auto toolchain = dist_->toolchains().resolve(compiler.path, compiler.identity, flavor);
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
  auto ran = client->run_job(*alloc, command, outputs, inputs);
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

CompileService::DistAttempt CompileService::run_dist(const CompilerInfo& compiler, const CompileJob& job,
                                                     const Invocation& inv, std::string text) {
  DistAttempt attempt;
  dist::CompileCommand command;
  command.arguments = dist_compile_args(job, preprocessed_language(job.language));
  command.arguments.insert(command.arguments.end(), job.compile_extra_args.begin(), job.compile_extra_args.end());
  command.env_vars = remote_env(inv.env);
  command.cwd = inv.cwd;
  std::vector<dist::JobInput> inputs{{absolute_from(inv.cwd, job.input), std::move(text), 0644}};
  auto flavor = compiler.kind == CompilerKind::clang ? dist::ToolchainFlavor::clang : dist::ToolchainFlavor::gcc;
  auto run = run_remote(compiler, flavor, std::move(command), inputs, {job.output}, job.input);
  attempt.kind = run.kind;
  attempt.message = std::move(run.message);
  if (run.kind != DistAttempt::ok) return attempt;
  attempt.kind = DistAttempt::fallback;
  if (!run.result.stdout_data.empty() || !run.result.stderr_data.empty()) {
    // Diagnostics of preprocessed text differ from the local ones (columns, source lines, macro
    // notes, the locale's quotes): the local compile says them exactly.
    spdlog::debug("dist: {}: the build server's compile printed diagnostics; compiling locally", job.input);
    return attempt;
  }
  auto it = std::find_if(run.result.outputs.begin(), run.result.outputs.end(),
                         [&](const auto& o) { return o.first == job.output; });
  const std::string object = absolute_from(inv.cwd, job.output);
  if (it == run.result.outputs.end()) {
    dist_failed(job.input, "the build server returned no " + job.output);
    return attempt;
  }
  if (peer_hung_up(inv.cancel_fd)) return attempt;  // the client is gone: nothing lands
  if (auto st = write_file_atomic(object, it->second, output_mode(compiler.kind, object, inv.umask)); !st) {
    dist_failed(job.input, "cannot write " + object + ": " + st.error().message);
    return attempt;
  }
  stats_.update([](ServerStats& s) { ++s.dist_compiles; });
  attempt.kind = DistAttempt::ok;
  attempt.result.stdout_data = std::move(run.result.stdout_data);
  attempt.result.stderr_data = std::move(run.result.stderr_data);
  return attempt;
}

CompileService::DistAttempt CompileService::run_rust_dist(const CompilerInfo& compiler, const RustJob& job,
                                                          const Invocation& inv,
                                                          const std::vector<std::string>& sources,
                                                          const std::vector<std::string>& names) {
  DistAttempt attempt;
  // Inputs at their own paths: what rustc reads. Crates are found through -L directories by name
  // and hash (the dependencies of externs), so every crate file in them goes too.
  std::set<std::string> paths;
  for (const auto& f : sources) paths.insert(absolute_from(inv.cwd, f));
  for (const auto& e : job.externs) {
    if (!e.path.empty()) paths.insert(absolute_from(inv.cwd, e.path));
  }
  for (const auto& lib : job.static_libs) paths.insert(lib);
  for (size_t i = 0; i < job.args.size(); ++i) {
    std::string value;
    if (job.args[i] == "-L" && i + 1 < job.args.size()) {
      value = job.args[++i];
    } else if (job.args[i].rfind("-L", 0) == 0 && job.args[i].size() > 2) {
      value = job.args[i].substr(2);
    } else {
      continue;
    }
    if (auto eq = value.find('='); eq != std::string::npos && value.find('/') > eq) {
      // Crates are looked up in `dependency`, `crate` and `all` dirs; `native`/`framework` dirs
      // hold system libraries for the linker, which an rlib compile does not run.
      std::string kind = value.substr(0, eq);
      if (kind == "native" || kind == "framework") continue;
      value = value.substr(eq + 1);
    }
    std::string dir = absolute_from(inv.cwd, value);
    auto names_in = list_dir(dir);
    if (!names_in) continue;
    for (const auto& n : *names_in) {
      if (n.rfind("lib", 0) == 0 &&
          (n.ends_with(".rlib") || n.ends_with(".rmeta") || n.ends_with(".so") || n.ends_with(".a"))) {
        paths.insert(join_path(dir, n));
      }
    }
  }
  std::vector<dist::JobInput> inputs;
  for (const auto& p : paths) {
    auto st = stat_file(p);
    if (!st || !S_ISREG(st->mode)) continue;  // a directory listed by dep-info, or gone
    auto data = read_file(p);
    if (!data) {
      spdlog::debug("dist: not distributing {}: {}", job.crate_name, data.error().message);
      return attempt;
    }
    inputs.push_back({p, std::move(*data), (st->mode & 0111) != 0 ? 0755U : 0644U});
  }
  dist::CompileCommand command;
  command.arguments = inv.args;
  command.env_vars = remote_env(inv.env);
  command.cwd = inv.cwd;
  std::vector<std::string> outputs;
  outputs.reserve(names.size());
  for (const auto& n : names) outputs.push_back(join_path(job.out_dir, n));
  // The toolchain is the sysroot's own rustc (behind a rustup proxy, the toolchain it chose).
  CompilerInfo rustc = compiler;
  if (!compiler.rust_sysroot.empty()) rustc.path = join_path(compiler.rust_sysroot, "bin/rustc");
  auto run =
      run_remote(rustc, dist::ToolchainFlavor::rust, std::move(command), inputs, outputs, "crate " + job.crate_name);
  attempt.kind = run.kind;
  attempt.message = std::move(run.message);
  if (run.kind != DistAttempt::ok) return attempt;
  attempt.kind = DistAttempt::fallback;
  if (peer_hung_up(inv.cancel_fd)) return attempt;  // the client is gone: nothing lands
  for (const auto& out : outputs) {
    auto it = std::find_if(run.result.outputs.begin(), run.result.outputs.end(),
                           [&](const auto& o) { return o.first == out; });
    bool ok =
        it != run.result.outputs.end() &&
        write_file_atomic(out, it->second, static_cast<mode_t>((out.ends_with(".so") ? 0777 : 0666) & ~inv.umask));
    if (!ok) {
      dist_failed("crate " + job.crate_name, "output " + out + " missing or not written");
      return attempt;
    }
  }
  stats_.update([](ServerStats& s) { ++s.dist_compiles; });
  attempt.kind = DistAttempt::ok;
  attempt.result.stdout_data = std::move(run.result.stdout_data);
  attempt.result.stderr_data = std::move(run.result.stderr_data);
  return attempt;
}

}  // namespace sccache
