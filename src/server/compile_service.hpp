#pragma once
// One compile request, start to finish, for every compiler family: detect -> parse -> look up
// (direct mode, then the result key) -> replay a hit | compile the miss (locally or on a build
// server) -> hand back the entry to store after the reply has gone out. Read this file first;
// what differs per family is behind CompileJob (compiler/compile_job.hpp).
#include <chrono>
#include <functional>
#include <memory>
#include <semaphore>
#include <string>

#include "cache/codec/entry.hpp"
#include "cache/codec/manifest.hpp"
#include "cache/storage.hpp"
#include "compiler/compile_job.hpp"
#include "protocol/messages.hpp"
#include "server/absence_cache.hpp"
#include "server/compiler_cache.hpp"
#include "server/direct_plans.hpp"
#include "server/dist_state.hpp"
#include "server/file_hash_cache.hpp"
#include "server/stats_collector.hpp"
#include "util/process.hpp"

namespace sccache {

// The reply for a compile that ran (colour mode tells the client whether to strip escapes).
CompileFinished finished_from(const ProcessResult& r, ColorMode color);
uint64_t elapsed_ns(std::chrono::steady_clock::time_point since);

struct CompileOutcome {
  Response response;
  // Work to run after the response is sent (the cache write); may be empty.
  std::function<void()> after_reply;
};

// Runs each process under one of a bounded number of slots; a process whose client hung up
// (while it waited for a slot, or while it ran) is an error, so nothing of it is used.
class LimitedRunner final : public ProcessRunner {
 public:
  LimitedRunner(ProcessRunner& runner, unsigned slots);
  Expected<ProcessResult> run(const ProcessSpec& spec) override;

 private:
  ProcessRunner& runner_;
  std::counting_semaphore<1024> slots_;
};

class CompileService {
 public:
  // `dist` (may be null) sends cache misses to a sccache-dist scheduler.
  CompileService(Storage& storage, CompilerCache& compilers, ProcessRunner& runner, StatsCollector& stats,
                 unsigned max_parallel_processes, bool direct_mode, DistState* dist = nullptr);
  // `client_fd` is the client's connection: when it hangs up, the compile is cancelled.
  CompileOutcome handle(const CompileRequest& request, int client_fd = -1);
  // What the server keeps across restarts (server/warm_state).
  FileHashCache& file_hashes() { return file_hashes_; }
  DirectPlans& plans() { return plans_; }

 private:
  CompileOutcome run_job(const std::shared_ptr<CompileJob>& job, const Invocation& inv);
  CompileOutcome compile_uncached(const CompileJob& job, const KeyResult& key);
  CompileOutcome compile_miss(CompileJob& job, const Invocation& inv, const std::string& key, bool for_dist,
                              std::function<void()> record);
  void count_lookup_failure(const Error& error, std::string_view lang);
  void count_not_cacheable(const std::string& reason);
  // The cache write, run after the reply; `record` (may be empty) runs if it succeeded.
  std::function<void()> store_later(std::string key, CacheEntry entry, std::function<void()> record);
  std::optional<CompileFinished> try_hit(const CompileJob& job, const Invocation& inv, const std::string& key);

  // Direct mode (server/direct_lookup.cpp): a manifest entry whose files and paths are all
  // unchanged names the result.
  std::optional<CompileFinished> try_direct(const CompileJob& job, const Invocation& inv, const std::string& direct_key);
  bool entry_still_valid(const ManifestEntry& entry, std::optional<DirectPlan::Builder>* plan);
  static std::string plan_id(const std::string& direct_key, const std::string& manifest_bytes);
  void update_manifest(const std::string& direct_key, ManifestEntry entry);
  // Recording the manifest entry after the reply (hits and misses alike).
  std::function<void()> record_later(const std::shared_ptr<CompileJob>& job, const std::string& direct_key,
                                     const std::string& result_key);

  // A miss on a build server (server/dist_compile.cpp). `ok`: the outputs are written and `result`
  // is the compile's; `fallback`: compile locally; `fatal`: the compile fails with `message`.
  struct DistAttempt {
    enum Kind { ok, fallback, fatal } kind = fallback;
    ProcessResult result;
    std::string message;
  };
  DistAttempt run_dist(CompileJob& job, const Invocation& inv);
  DistAttempt land_dist_outputs(const CompileJob& job, const Invocation& inv, const DistPlan& plan,
                                dist::JobResult result);
  // A distributed compile that failed and runs locally instead: logged and counted.
  void dist_failed(const std::string& what, const std::string& why);
  // Toolchain, alloc_job, submit_toolchain, run_job. `result` is set when the kind is ok (the
  // remote compile ran, maybe failing).
  struct RemoteRun {
    DistAttempt::Kind kind = DistAttempt::fallback;
    std::string message;
    dist::JobResult result;
  };
  RemoteRun run_remote(DistPlan& plan, dist::CompileCommand command, const std::string& what);

  Storage& storage_;
  CompilerCache& compilers_;
  LimitedRunner runner_;
  StatsCollector& stats_;
  bool direct_mode_;
  DistState* dist_;
  FileHashCache file_hashes_;
  AbsenceCache absent_;  // direct mode: shadowing candidates proven still absent
  DirectPlans plans_;    // direct mode: what a checked manifest entry rested on
};

}  // namespace sccache
