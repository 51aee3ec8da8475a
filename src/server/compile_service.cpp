#include "server/compile_service.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "cache/codec/entry.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

WireColor wire_color(ColorMode m) {
  switch (m) {
    case ColorMode::on: return WireColor::on;
    case ColorMode::off: return WireColor::off;
    case ColorMode::automatic: return WireColor::automatic;
  }
  return WireColor::automatic;
}

Invocation invocation_from(const CompileRequest& req) {
  Invocation inv;
  inv.exe = req.exe;
  inv.args = req.args;
  inv.cwd = req.cwd;
  // The jobserver named by MAKEFLAGS/MFLAGS/CARGO_MAKEFLAGS is file descriptors of the
  // client's process tree, which the daemon's compilers do not have: rustc (and gcc's LTO) would
  // warn that they cannot reach it, and the warning would be cached. Without it they use their
  // own default parallelism.
  std::copy_if(req.env.begin(), req.env.end(), std::back_inserter(inv.env), [](const std::string& kv) {
    auto name = std::string_view(kv).substr(0, kv.find('='));
    return name != "MAKEFLAGS" && name != "MFLAGS" && name != "CARGO_MAKEFLAGS";
  });
  inv.umask = static_cast<mode_t>(req.umask & 0777);
  inv.stderr_is_tty = req.stderr_is_tty;
  return inv;
}

StoredResult stored_from(CacheEntry&& entry) {
  StoredResult stored{std::move(entry.stdout_data), std::move(entry.stderr_data), {}};
  for (auto& f : entry.files) stored.files.push_back({std::move(f.name), std::move(f.data)});
  return stored;
}

CacheEntry entry_from(StoredResult&& stored) {
  CacheEntry entry;
  entry.stdout_data = std::move(stored.stdout_data);
  entry.stderr_data = std::move(stored.stderr_data);
  for (auto& f : stored.files) entry.files.push_back({std::move(f.name), std::move(f.data)});
  return entry;
}

}  // namespace

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}

CompileFinished finished_from(const ProcessResult& r, ColorMode color) {
  CompileFinished f;
  f.exit_code = r.exit_code;
  f.signal = r.signal;
  f.stdout_data = r.stdout_data;
  f.stderr_data = r.stderr_data;
  f.color = wire_color(color);
  return f;
}

LimitedRunner::LimitedRunner(ProcessRunner& runner, unsigned slots)
    : runner_(runner), slots_(static_cast<std::ptrdiff_t>(std::max(1U, std::min(slots, 1024U)))) {}

Expected<ProcessResult> LimitedRunner::run(const ProcessSpec& spec) {
  static const std::string cancelled = "the client disconnected: compile cancelled";
  slots_.acquire();
  auto result = peer_hung_up(spec.cancel_fd) ? Expected<ProcessResult>(make_error(cancelled)) : runner_.run(spec);
  slots_.release();
  if (result && result->cancelled) return make_error(cancelled);
  // Without its exit status a compile's outputs cannot be trusted (nor its success reported): the
  // client runs the compiler itself.
  if (result && result->status_lost) return make_error("the exit status of " + spec.argv[0] + " was lost");
  return result;
}

CompileService::CompileService(Storage& storage, CompilerCache& compilers, ProcessRunner& runner,
                               StatsCollector& stats, unsigned max_parallel_processes, bool direct_mode,
                               DistState* dist)
    : storage_(storage),
      compilers_(compilers),
      runner_(runner, max_parallel_processes),
      stats_(stats),
      direct_mode_(direct_mode),
      dist_(dist) {}

// A lookup that timed out is a "Cache timeout", any other failure a "Cache error"; both are misses.
void CompileService::count_lookup_failure(const Error& error, std::string_view lang) {
  stats_.update([&](ServerStats& s) {
    if (storage_failure(error) == StorageFailure::timeout) {
      ++s.cache_timeouts;
    } else {
      ++s.cache_errors[std::string(lang)];
    }
  });
}

void CompileService::count_not_cacheable(const std::string& reason) {
  stats_.update([&](ServerStats& s) {
    ++s.requests_not_cacheable;
    ++s.not_cached[reason];
  });
}

CompileOutcome CompileService::handle(const CompileRequest& request, int client_fd) {
  stats_.update([](ServerStats& s) { ++s.compile_requests; });
  Invocation inv = invocation_from(request);
  inv.cancel_fd = client_fd;
  auto compiler = compilers_.get(inv.exe, inv.env, inv.cwd);
  if (!compiler) {
    spdlog::debug("unsupported compiler {}: {}", inv.exe, compiler.error().message);
    stats_.update([](ServerStats& s) { ++s.requests_unsupported_compiler; });
    return {CompileUnhandled{compiler.error().message}, {}};
  }
  ParseResult parsed = (*compiler)->parse(inv);
  if (std::holds_alternative<NotCompilation>(parsed)) {
    stats_.update([](ServerStats& s) { ++s.requests_not_compile; });
    return {CompileUnhandled{"not a compilation"}, {}};
  }
  if (const auto* nc = std::get_if<NotCacheable>(&parsed)) {
    spdlog::debug("not cacheable ({}): {}", nc->reason, inv.exe);
    count_not_cacheable(nc->reason);
    return {CompileUnhandled{nc->reason}, {}};
  }
  std::shared_ptr<CompileJob> job = std::get<std::unique_ptr<CompileJob>>(std::move(parsed));
  // `-o /dev/null` and friends: caching would store nothing useful and a hit would replace
  // the device with a regular file.
  for (const auto& path : job->output_paths()) {
    auto st = stat_file(path);
    if (st && !S_ISREG(st->mode)) {
      static const std::string reason = "output is not a regular file";
      count_not_cacheable(reason);
      return {CompileUnhandled{reason}, {}};
    }
  }
  stats_.update([](ServerStats& s) { ++s.requests_executed; });
  return run_job(job, inv);
}

std::optional<CompileFinished> CompileService::try_hit(const CompileJob& job, const Invocation& inv,
                                                       const std::string& key) {
  auto start = std::chrono::steady_clock::now();
  auto got = storage_.get(key);
  const std::string level = storage_.last_hit_level();  // this thread's get: a chain's level
  if (!got) {
    spdlog::debug("cache read failed for {}: {}", key, got.error().message);
    count_lookup_failure(got.error(), job.stats_language());
    return std::nullopt;
  }
  if (!got->has_value()) {
    stats_.update([&](ServerStats& s) { s.cache_read_miss_duration.add_ns(elapsed_ns(start)); });
    return std::nullopt;
  }
  auto entry = decode_entry(**got, key);
  if (!entry) {
    spdlog::warn("corrupt cache entry {}: {}; recompiling", key, entry.error().message);
    storage_.remove(key);
    stats_.update([](ServerStats& s) { ++s.cache_read_errors; });
    return std::nullopt;
  }
  // Place the entry for this job before touching any output file.
  auto replay = job.replay(stored_from(std::move(*entry)));
  if (!replay) return std::nullopt;
  if (peer_hung_up(inv.cancel_fd)) return std::nullopt;  // the client is gone: nothing lands
  for (const auto& [path, data] : replay->writes) {
    auto st = write_file_atomic(path, data, job.output_mode(path, inv.umask));
    if (!st) {
      spdlog::debug("cannot restore {}: {}; compiling instead", path, st.error().message);
      return std::nullopt;
    }
  }
  stats_.update([&](ServerStats& s) {
    ++s.cache_hits[std::string(job.stats_language())];
    if (!level.empty()) ++s.cache_hits_by_level[level];
    s.cache_read_hit_duration.add_ns(elapsed_ns(start));
  });
  CompileFinished f;
  f.stdout_data = std::move(replay->stdout_data);
  f.stderr_data = std::move(replay->stderr_data);
  f.color = wire_color(job.color());
  return f;
}

std::function<void()> CompileService::store_later(std::string key, CacheEntry entry, std::function<void()> record) {
  return [this, key = std::move(key), entry = std::move(entry), record = std::move(record)]() {
    if (storage_.read_only()) {
      stats_.update([](ServerStats& s) { ++s.cache_writes_skipped; });
      return;
    }
    auto start = std::chrono::steady_clock::now();
    auto st = storage_.put(key, encode_entry(key, entry));
    stats_.update([&](ServerStats& s) {
      if (st) {
        ++s.cache_writes;
        s.cache_write_duration.add_ns(elapsed_ns(start));
      } else {
        ++s.cache_write_errors;
      }
    });
    if (!st) spdlog::debug("cache write failed: {}", st.error().message);
    if (st && record) record();
  };
}

CompileOutcome CompileService::run_job(const std::shared_ptr<CompileJob>& job, const Invocation& inv) {
  bool recache = env_value(inv.env, "SCCACHE_RECACHE").has_value();
  std::optional<std::string> direct_key = direct_mode_ ? job->direct_key(file_hashes_) : std::nullopt;
  if (direct_key && !recache) {
    if (auto hit = try_direct(*job, inv, *direct_key)) return {std::move(*hit), {}};
  }
  // A miss may go to a build server: the key's run then also keeps what the build server needs.
  bool for_dist = false;
  if (dist_ != nullptr && dist_->enabled()) {
    if (auto why = job->dist_refusal()) {
      spdlog::debug("not distributing {}: {}", job->describe(), *why);
    } else {
      for_dist = true;
    }
  }
  JobServices services{runner_, file_hashes_};
  KeyResult key = job->compute_key(services, direct_key.has_value(), for_dist);
  if (!key.key) return compile_uncached(*job, key);
  std::function<void()> record = direct_key ? record_later(job, *direct_key, *key.key) : nullptr;
  if (!recache) {
    if (auto hit = try_hit(*job, inv, *key.key)) return {std::move(*hit), record};
  }
  if (recache) stats_.update([](ServerStats& s) { ++s.forced_recaches; });
  return compile_miss(*job, inv, *key.key, for_dist, std::move(record));
}

// No key (the preprocessor or pre-pass failed, or an input defeats the key): the compile itself
// runs and reports exactly.
CompileOutcome CompileService::compile_uncached(const CompileJob& job, const KeyResult& key) {
  auto result = runner_.run(job.compile_command());
  if (!result) return {ErrorResponse{result.error().message}, {}};
  spdlog::debug("compiling {} uncached: {}", job.describe(), key.error);
  const std::string lang(job.stats_language());
  stats_.update([&](ServerStats& s) {
    if (!result->success()) {
      ++s.compile_fails;
    } else if (key.not_cacheable) {
      ++s.cache_misses[lang];
      ++s.non_cacheable_compilations;
    } else {
      ++s.cache_errors[lang];
      ++s.non_cacheable_compilations;
    }
  });
  return {finished_from(*result, job.color()), {}};
}

CompileOutcome CompileService::compile_miss(CompileJob& job, const Invocation& inv, const std::string& key,
                                            bool for_dist, std::function<void()> record) {
  job.before_compile();
  std::optional<ProcessResult> remote;
  if (for_dist) {
    DistAttempt attempt;
    try {
      attempt = run_dist(job, inv);
    } catch (const std::exception& e) {  // e.g. a non-UTF-8 argument in the JSON header
      dist_failed(job.describe(), e.what());
    }
    if (attempt.kind == DistAttempt::fatal) {
      stats_.update([&](ServerStats& s) { ++s.cache_misses[std::string(job.stats_language())]; });
      CompileFinished f;
      f.exit_code = 1;
      f.stderr_data = "sccache: error: [" + job.error_tag() + "] " + attempt.message + "\n";
      f.color = wire_color(job.color());
      return {std::move(f), {}};
    }
    if (attempt.kind == DistAttempt::ok) remote = std::move(attempt.result);
  }
  auto result = remote ? Expected<ProcessResult>(std::move(*remote)) : runner_.run(job.compile_command());
  if (!result) return {ErrorResponse{result.error().message}, {}};
  // A compile that fails counts as a failure only, as in sccache: it was no cache miss worth
  // caching. (The miss is counted once the compiler has answered.)
  const std::string lang(job.stats_language());
  stats_.update([&](ServerStats& s) {
    if (result->success()) {
      ++s.cache_misses[lang];
    } else {
      ++s.compile_fails;
    }
  });
  if (!result->success()) return {finished_from(*result, job.color()), {}};
  auto stored = job.collect(*result);
  if (!stored) {
    spdlog::debug("{}: not caching", stored.error().message);
    stats_.update([](ServerStats& s) { ++s.non_cacheable_compilations; });
    return {finished_from(*result, job.color()), {}};
  }
  return {finished_from(*result, job.color()), store_later(key, entry_from(std::move(*stored)), std::move(record))};
}

}  // namespace sccache
