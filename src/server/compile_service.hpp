#pragma once
// One compile request, start to finish: detect, parse, key, look up, replay or compile, and
// hand back the entry to store after the reply has gone out. Read this file first.
#include <chrono>
#include <functional>
#include <memory>
#include <semaphore>
#include <string>

#include "cache/storage.hpp"
#include "protocol/messages.hpp"
#include "cache/entry.hpp"
#include "cache/manifest.hpp"
#include "compiler/c_job.hpp"
#include "compiler/rust.hpp"
#include "server/compiler_cache.hpp"
#include "server/dist_state.hpp"
#include "server/file_hash_cache.hpp"
#include "server/stats_collector.hpp"
#include "util/process.hpp"

namespace sccache {

// The reply for a compile that ran (colour mode tells the client whether to strip escapes).
CompileFinished finished_from(const ProcessResult& r, ColorMode color);
uint64_t elapsed_ns(std::chrono::steady_clock::time_point since);
// The mode the compiler itself would leave on an output file.
mode_t output_mode(CompilerKind kind, const std::string& path, mode_t umask);

struct CompileOutcome {
  Response response;
  // Work to run after the response is sent (the cache write); may be empty.
  std::function<void()> after_reply;
};

class CompileService {
 public:
  // `dist` (may be null) sends cache misses to a sccache-dist scheduler.
  CompileService(Storage& storage, CompilerCache& compilers, ProcessRunner& runner, StatsCollector& stats,
                 unsigned max_parallel_processes, bool direct_mode, DistState* dist = nullptr);
  // `client_fd` is the client's connection: when it hangs up, the compile is cancelled.
  CompileOutcome handle(const CompileRequest& request, int client_fd = -1);

 private:
  CompileOutcome run_job(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv);
  // rustc (rust_compile.cpp): dep-info pre-pass, key, replay or compile.
  CompileOutcome handle_rust(const CompilerInfo& compiler, const Invocation& inv);
  void count_lookup_failure(const Error& error, const char* lang);
  // The cache write, run after the reply; `record` (may be empty) runs if it succeeded.
  std::function<void()> store_later(std::string key, CacheEntry entry, std::function<void()> record);
  std::optional<CompileFinished> try_hit(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv,
                                         const std::string& key);
  Expected<ProcessResult> run_limited(const ProcessSpec& spec);
  // Direct mode: a manifest entry whose files and directories are all unchanged names the result.
  std::optional<CompileFinished> try_direct(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv,
                                            const std::string& direct_key);
  bool entry_still_valid(const ManifestEntry& entry);
  std::optional<ManifestEntry> manifest_entry_for(const CompileJob& job, const Invocation& inv, const KeyOutcome& key);
  void update_manifest(const std::string& direct_key, ManifestEntry entry);
  // A miss on a build server (server/dist_compile.cpp). `ok`: the object is written and `result`
  // is the compile's; `fallback`: compile locally; `fatal`: the compile fails with `message`.
  struct DistAttempt {
    enum Kind { ok, fallback, fatal } kind = fallback;
    ProcessResult result;
    std::string message;
  };
  DistAttempt run_dist(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv, std::string text);
  // A rustc miss of an rlib/staticlib crate (SPEC 7.8): sources, externs, static libraries and the
  // crates of its -L directories go as inputs; `names` (in --out-dir) come back.
  DistAttempt run_rust_dist(const CompilerInfo& compiler, const RustJob& job, const Invocation& inv,
                            const std::vector<std::string>& sources, const std::vector<std::string>& names);
  // The part both share: toolchain, alloc_job, submit_toolchain, run_job. `result` is set when
  // the kind is ok (the remote compile ran, maybe failing).
  struct RemoteRun {
    DistAttempt::Kind kind = DistAttempt::fallback;
    std::string message;
    dist::JobResult result;
  };
  // A distributed compile that failed and runs locally instead: logged and counted.
  void dist_failed(const std::string& what, const std::string& why);
  RemoteRun run_remote(const CompilerInfo& compiler, dist::ToolchainFlavor flavor, dist::CompileCommand command,
                       const std::vector<dist::JobInput>& inputs, const std::vector<std::string>& outputs,
                       const std::string& what);

  Storage& storage_;
  CompilerCache& compilers_;
  ProcessRunner& runner_;
  StatsCollector& stats_;
  std::counting_semaphore<1024> slots_;
  bool direct_mode_;
  DistState* dist_;
  FileHashCache file_hashes_;
};

}  // namespace sccache
