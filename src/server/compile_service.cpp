#include "server/compile_service.hpp"

#include <algorithm>
#include <sys/stat.h>

#include <chrono>
#include <set>

#include "cache/entry.hpp"
#include "compiler/c_job.hpp"
#include "compiler/gcc_args.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

constexpr const char* kLang = "C/C++";

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

bool wants_forced_color(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv) {
  if (compiler.kind != CompilerKind::clang || job.color != ColorMode::automatic || !inv.stderr_is_tty) return false;
  auto term = env_value(inv.env, "TERM");
  if (term && *term == "dumb") return false;
  // The flag would be recorded in the object with these, so the object would differ.
  for (const auto& a : job.args) {
    if (a == "-grecord-command-line" || a == "-frecord-command-line" || a == "-grecord-gcc-switches" ||
        a == "-frecord-gcc-switches") {
      return false;
    }
  }
  return true;
}

}  // namespace

// The mode the compiler itself would leave: gcc rewrites an existing file in place (keeping
// its mode); clang and new files get 0666 minus the caller's umask.
mode_t output_mode(CompilerKind kind, const std::string& path, mode_t umask) {
  if (kind == CompilerKind::gcc) {
    if (auto st = stat_file(path)) return static_cast<mode_t>(st->mode & 07777);
  }
  return static_cast<mode_t>(0666 & ~umask);
}

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

CompileService::CompileService(Storage& storage, CompilerCache& compilers, ProcessRunner& runner,
                               StatsCollector& stats, unsigned max_parallel_processes, bool direct_mode,
                               DistState* dist)
    : storage_(storage),
      compilers_(compilers),
      runner_(runner),
      stats_(stats),
      slots_(static_cast<std::ptrdiff_t>(std::max(1U, std::min(max_parallel_processes, 1024U)))),
      direct_mode_(direct_mode),
      dist_(dist) {}

// A lookup that timed out is a "Cache timeout", any other failure a "Cache error"; both are misses.
void CompileService::count_lookup_failure(const Error& error, const char* lang) {
  stats_.update([&](ServerStats& s) {
    if (error.code == kStorageTimeout) {
      ++s.cache_timeouts;
    } else {
      ++s.cache_errors[lang];
    }
  });
}

bool CompileService::entry_still_valid(const ManifestEntry& entry) {
  for (const auto& d : entry.dirs) {  // shadowing candidates: still absent, or unchanged
    auto st = stat_file(d.path);
    if ((st ? st->mtime_ns : -1) != d.mtime_ns) return false;
  }
  for (const auto& f : entry.files) {
    auto digest = file_hashes_.digest(f.path);
    if (!digest || digest->digest != f.digest) return false;
  }
  return true;
}

std::optional<CompileFinished> CompileService::try_direct(const CompilerInfo& compiler, const CompileJob& job,
                                                          const Invocation& inv, const std::string& direct_key) {
  auto got = storage_.get(direct_key);
  if (!got) {
    // The backend logs the outage once per burst; each failed lookup is counted.
    spdlog::debug("manifest lookup failed: {}", got.error().message);
    count_lookup_failure(got.error(), kLang);
    return std::nullopt;
  }
  if (!got->has_value()) return std::nullopt;
  auto manifest = decode_manifest(**got, direct_key);
  if (!manifest) {
    storage_.remove(direct_key);
    return std::nullopt;
  }
  for (const auto& entry : manifest->entries) {
    if (!entry_still_valid(entry)) continue;
    if (auto hit = try_hit(compiler, job, inv, entry.result_key)) {
      spdlog::debug("direct hit {}", entry.result_key);
      return hit;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// What the preprocessor depended on: every file it read (by content), and every path where a
// new file would change which file an #include finds (recorded as absent, or by mtime).
// Nothing is recorded if any of these changed moments before the compile, or if a file uses
// __DATE__/__TIME__/__TIMESTAMP__.
std::optional<ManifestEntry> CompileService::manifest_entry_for(const CompileJob& job, const Invocation& inv,
                                                                const KeyOutcome& key) {
  constexpr int64_t kSettleNs = 2'000'000'000;
  const int64_t limit = key.started_ns - kSettleNs;
  ManifestEntry entry;
  entry.result_key = *key.key;
  std::vector<std::string> files = key.include_files;
  std::string input = absolute_from(inv.cwd, job.input);
  if (std::find(files.begin(), files.end(), input) == files.end()) files.push_back(input);
  // Quote includes search the including file's directory first. Directories of installed
  // headers (/usr/...) are left out: they hold system headers that include with <...>.
  std::vector<std::string> user_dirs;
  for (const auto& f : files) {
    auto d = file_hashes_.digest(f);
    if (!d || d->too_new || d->has_time_macros || d->mtime_ns >= limit || d->ctime_ns >= limit) {
      spdlog::debug("direct mode: not recording, {} is {}", f,
                    !d ? "unreadable" : d->has_time_macros ? "using __DATE__/__TIME__" : "too new");
      return std::nullopt;
    }
    entry.files.push_back({f, d->digest});
    std::string dir = dirname_of(f);
    if (dir.rfind("/usr/", 0) != 0 && std::find(user_dirs.begin(), user_dirs.end(), dir) == user_dirs.end()) {
      user_dirs.push_back(dir);
    }
  }
  const auto& search = key.search_dirs;
  std::set<std::string> candidates;
  for (const auto& f : files) {
    for (size_t k = 0; k < search.size(); ++k) {
      const std::string& d = search[k];
      if (f.size() <= d.size() + 1 || f.compare(0, d.size(), d) != 0 || f[d.size()] != '/') continue;
      std::string rel = f.substr(d.size() + 1);
      for (size_t j = 0; j < k; ++j) candidates.insert(join_path(search[j], rel));
      for (const auto& u : user_dirs) candidates.insert(join_path(u, rel));
      break;
    }
  }
  for (const auto& f : files) candidates.erase(f);
  for (const auto& c : candidates) {
    auto st = stat_file(c);
    if (st && (st->mtime_ns >= limit || st->ctime_ns >= limit)) {
      spdlog::debug("direct mode: not recording, {} changed moments ago", c);
      return std::nullopt;
    }
    entry.dirs.push_back({c, st ? st->mtime_ns : -1});
  }
  return entry;
}

void CompileService::update_manifest(const std::string& direct_key, ManifestEntry entry) {
  Manifest manifest;
  if (auto got = storage_.get(direct_key); got && got->has_value()) {
    if (auto old = decode_manifest(**got, direct_key)) manifest = std::move(*old);
  }
  std::erase_if(manifest.entries, [&](const ManifestEntry& e) { return e.result_key == entry.result_key; });
  manifest.entries.insert(manifest.entries.begin(), std::move(entry));
  if (manifest.entries.size() > kMaxManifestEntries) manifest.entries.resize(kMaxManifestEntries);
  if (auto st = storage_.put(direct_key, encode_manifest(direct_key, manifest)); !st) {
    spdlog::debug("manifest write failed: {}", st.error().message);
  }
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

// A compile whose client hung up (while it waited for a slot, or while it ran) is an error:
// nothing of it is stored or used.
Expected<ProcessResult> CompileService::run_limited(const ProcessSpec& spec) {
  static const std::string cancelled = "the client disconnected: compile cancelled";
  slots_.acquire();
  auto result = peer_hung_up(spec.cancel_fd) ? Expected<ProcessResult>(make_error(cancelled)) : runner_.run(spec);
  slots_.release();
  if (result && result->cancelled) return make_error(cancelled);
  return result;
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
  if (compiler->kind == CompilerKind::rustc) return handle_rust(*compiler, inv);
  ParseResult parsed = parse_c_arguments(compiler->kind, inv);
  if (std::holds_alternative<NotCompilation>(parsed)) {
    stats_.update([](ServerStats& s) { ++s.requests_not_compile; });
    return {CompileUnhandled{"not a compilation"}, {}};
  }
  if (const auto* nc = std::get_if<NotCacheable>(&parsed)) {
    spdlog::debug("not cacheable ({}): {}", nc->reason, inv.exe);
    stats_.update([&](ServerStats& s) {
      ++s.requests_not_cacheable;
      ++s.not_cached[nc->reason];
    });
    return {CompileUnhandled{nc->reason}, {}};
  }
  CompileJob job = std::get<CompileJob>(std::move(parsed));
  // `-o /dev/null` and friends: caching would store nothing useful and a hit would replace
  // the device with a regular file.
  for (const auto& out : job.outputs) {
    auto st = stat_file(absolute_from(inv.cwd, out.path));
    if (st && !S_ISREG(st->mode)) {
      static const std::string reason = "output is not a regular file";
      stats_.update([&](ServerStats& s) {
        ++s.requests_not_cacheable;
        ++s.not_cached[reason];
      });
      return {CompileUnhandled{reason}, {}};
    }
  }
  stats_.update([](ServerStats& s) { ++s.requests_executed; });
  if (wants_forced_color(*compiler, job, inv)) job.compile_extra_args.emplace_back("-fcolor-diagnostics");
  return run_job(*compiler, job, inv);
}

std::optional<CompileFinished> CompileService::try_hit(const CompilerInfo& compiler, const CompileJob& job,
                                                       const Invocation& inv, const std::string& key) {
  auto start = std::chrono::steady_clock::now();
  auto got = storage_.get(key);
  if (!got) {
    spdlog::debug("cache read failed for {}: {}", key, got.error().message);
    count_lookup_failure(got.error(), kLang);
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
  // Match the entry to this job's outputs before touching any output file.
  std::vector<std::pair<const EntryFile*, const OutputSpec*>> writes;
  size_t required = 0;
  for (const auto& f : entry->files) {
    auto it = std::find_if(job.outputs.begin(), job.outputs.end(), [&](const OutputSpec& o) { return o.name == f.name; });
    if (it == job.outputs.end()) return std::nullopt;
    if (it->required) ++required;
    writes.emplace_back(&f, &*it);
  }
  if (required != static_cast<size_t>(std::count_if(job.outputs.begin(), job.outputs.end(),
                                                     [](const OutputSpec& o) { return o.required; }))) {
    return std::nullopt;
  }
  if (peer_hung_up(inv.cancel_fd)) return std::nullopt;  // the client is gone: nothing lands
  for (const auto& [f, out] : writes) {
    std::string path = absolute_from(inv.cwd, out->path);
    auto st = write_file_atomic(path, f->data, output_mode(compiler.kind, path, inv.umask));
    if (!st) {
      spdlog::debug("cannot restore {}: {}; compiling instead", path, st.error().message);
      return std::nullopt;
    }
  }
  stats_.update([&](ServerStats& s) {
    ++s.cache_hits[kLang];
    s.cache_read_hit_duration.add_ns(elapsed_ns(start));
  });
  CompileFinished f;
  f.stdout_data = std::move(entry->stdout_data);
  f.stderr_data = std::move(entry->stderr_data);
  f.color = wire_color(job.color);
  return f;
}

CompileOutcome CompileService::run_job(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv) {
  bool recache = env_value(inv.env, "SCCACHE_RECACHE").has_value();
  const std::string prefix = c_key_prefix(compiler, job, inv);
  std::optional<std::string> direct_key;
  if (direct_mode_ && !job.input_is_preprocessed) {
    if (auto input = file_hashes_.digest(absolute_from(inv.cwd, job.input))) {
      direct_key = c_direct_key(prefix, job, inv, input->digest);
      if (!recache) {
        if (auto hit = try_direct(compiler, job, inv, *direct_key)) return {std::move(*hit), {}};
      }
    }
  }
  // A miss may go to a build server: the preprocessor run then also writes the depfile and
  // keeps its text, which is what the build server compiles.
  bool for_dist = false;
  if (dist_ != nullptr && dist_->enabled()) {
    if (auto why = dist_refusal(compiler.kind, job)) {
      spdlog::debug("not distributing {}: {}", job.input, *why);
    } else {
      for_dist = true;
    }
  }
  KeyOutcome key;
  {
    slots_.acquire();
    key = compute_c_key(prefix, job, inv, runner_, direct_key.has_value(), for_dist);
    slots_.release();
  }
  // Recording the manifest happens after the reply, on hits and misses alike.
  std::function<void()> record;
  if (direct_key && key.key) {
    record = [this, direct_key = *direct_key, job, inv, key]() {
      if (auto entry = manifest_entry_for(job, inv, key)) update_manifest(direct_key, std::move(*entry));
    };
  }
  ProcessSpec command = c_compile_command(job, inv);
  if (!key.key) {
    // The preprocessor failed (e.g. a missing header): the compile itself reports it exactly.
    auto result = run_limited(command);
    if (!result) return {ErrorResponse{result.error().message}, {}};
    if (!key.error.empty()) spdlog::debug("compiling uncached: {}", key.error);
    stats_.update([&](ServerStats& s) {
      if (!result->success()) {
        ++s.compile_fails;
      } else if (key.not_cacheable) {
        ++s.cache_misses[kLang];
        ++s.non_cacheable_compilations;
      } else {
        ++s.cache_errors[kLang];
        ++s.non_cacheable_compilations;
      }
    });
    return {finished_from(*result, job.color), {}};
  }
  if (!recache) {
    if (auto hit = try_hit(compiler, job, inv, *key.key)) return {std::move(*hit), record};
  }
  stats_.update([&](ServerStats& s) {
    ++s.cache_misses[kLang];
    if (recache) ++s.forced_recaches;
  });
  // Optional outputs (.dwo, .gcno) count only if this compile wrote them.
  std::vector<std::optional<FileStat>> before;
  for (const auto& out : job.outputs) before.push_back(stat_file(absolute_from(inv.cwd, out.path)));
  std::optional<ProcessResult> remote;
  if (for_dist && key.preprocessor_diagnostics) {
    spdlog::debug("not distributing {}: the preprocessor printed diagnostics", job.input);
  } else if (for_dist && (key.preprocessed.find("__builtin_COLUMN") != std::string::npos ||
                          key.preprocessed.find("__builtin_source_location") != std::string::npos)) {
    spdlog::debug("not distributing {}: source columns reach the object (source_location)", job.input);
  } else if (for_dist) {
    DistAttempt attempt;
    try {
      attempt = run_dist(compiler, job, inv, std::move(key.preprocessed));
    } catch (const std::exception& e) {  // e.g. a non-UTF-8 argument in the JSON header
      dist_failed(job.input, e.what());
    }
    if (attempt.kind == DistAttempt::fatal) {
      CompileFinished f;
      f.exit_code = 1;
      f.stderr_data = "sccache: error: [" + job.output + "] " + attempt.message + "\n";
      f.color = wire_color(job.color);
      return {std::move(f), {}};
    }
    if (attempt.kind == DistAttempt::ok) remote = std::move(attempt.result);
  }
  auto result = remote ? Expected<ProcessResult>(std::move(*remote)) : run_limited(command);
  if (!result) return {ErrorResponse{result.error().message}, {}};
  if (!result->success()) {
    stats_.update([](ServerStats& s) { ++s.compile_fails; });
    return {finished_from(*result, job.color), {}};
  }
  CacheEntry entry;
  entry.stdout_data = result->stdout_data;
  entry.stderr_data = result->stderr_data;
  for (size_t i = 0; i < job.outputs.size(); ++i) {
    const auto& out = job.outputs[i];
    std::string path = absolute_from(inv.cwd, out.path);
    auto now = stat_file(path);
    if (!out.required && (!now || now == before[i])) continue;
    auto data = read_file(path);
    if (!data) {
      spdlog::debug("expected output {} missing: not caching", path);
      stats_.update([](ServerStats& s) { ++s.non_cacheable_compilations; });
      return {finished_from(*result, job.color), {}};
    }
    entry.files.push_back({out.name, std::move(*data)});
  }
  return {finished_from(*result, job.color), store_later(*key.key, std::move(entry), record)};
}

}  // namespace sccache
