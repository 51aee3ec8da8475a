// One rustc request: parse, run the dep-info pre-pass to learn the sources, key, then replay the
// entry into --out-dir or compile and store. The C path is in compile_service.cpp.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <iterator>

#include "compiler/rust.hpp"
#include "server/compile_service.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

constexpr const char* kRust = "Rust";
// Entry member holding the --out-dir of the compile that made the entry: dep-info files and
// cargo's JSON artifact notices name it, and are rewritten when a hit lands elsewhere.
constexpr const char* kOutDirMember = ":out-dir";

// rustc decided its colours itself: the client passes the bytes through untouched.
CompileFinished finished(const ProcessResult& r) { return finished_from(r, ColorMode::on); }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty() || from == to) return text;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(text, pos);
  return out;
}

// Variables rustc or the crate can read at compile time, besides the ones dep-info names.
bool keyed_env(std::string_view kv) {
  auto name = kv.substr(0, kv.find('='));
  return name.substr(0, 6) == "CARGO_" || name == "RUSTC_BOOTSTRAP" || name == "RUSTC_FORCE_INCREMENTAL" ||
         name == "RUST_MIN_STACK" || name == "SOURCE_DATE_EPOCH";
}

std::optional<std::string> find_on_path(const std::string& name, const std::vector<std::string>& env,
                                        const std::string& cwd) {
  if (name.find('/') != std::string::npos) return absolute_from(cwd, name);
  for (const auto& dir : split(env_value(env, "PATH").value_or("/usr/bin:/bin"), ':')) {
    if (dir.empty()) continue;
    std::string p = join_path(dir, name);
    if (auto st = stat_file(p); st && S_ISREG(st->mode)) return p;
  }
  return std::nullopt;
}

}  // namespace

CompileOutcome CompileService::handle_rust(const CompilerInfo& compiler, const Invocation& inv) {
  auto parsed = parse_rust_arguments(inv.args, inv.cwd);
  if (std::holds_alternative<NotCompilation>(parsed)) {
    stats_.update([](ServerStats& s) { ++s.requests_not_compile; });
    return {CompileUnhandled{"not a compilation"}, {}};
  }
  if (const auto* nc = std::get_if<NotCacheable>(&parsed)) {
    spdlog::debug("rustc not cacheable ({})", nc->reason);
    stats_.update([&](ServerStats& s) {
      ++s.requests_not_cacheable;
      ++s.not_cached[nc->reason];
    });
    return {CompileUnhandled{nc->reason}, {}};
  }
  const RustJob job = std::get<RustJob>(std::move(parsed));
  stats_.update([](ServerStats& s) { ++s.requests_executed; });
  ProcessSpec command{{inv.exe}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
  command.argv.insert(command.argv.end(), inv.args.begin(), inv.args.end());

  // Compiles uncached (the pre-pass failed or an input could not be hashed) and reports exactly.
  auto uncached = [&](const std::string& why) -> CompileOutcome {
    spdlog::debug("rustc compiling uncached: {}", why);
    auto result = run_limited(command);
    if (!result) return {ErrorResponse{result.error().message}, {}};
    stats_.update([&](ServerStats& s) {
      if (!result->success()) {
        ++s.compile_fails;
      } else {
        ++s.cache_errors[kRust];
        ++s.non_cacheable_compilations;
      }
    });
    return {finished(*result), {}};
  };

  // 1. The sources, from a dep-info pre-pass (parsing and macro expansion only).
  auto tmp = make_temp_dir("sccache-rustc-");
  if (!tmp) return uncached(tmp.error().message);
  std::string depfile = join_path(*tmp, "deps.d");
  ProcessSpec prepass{{inv.exe}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
  prepass.argv.insert(prepass.argv.end(), job.depinfo_args.begin(), job.depinfo_args.end());
  prepass.argv.insert(prepass.argv.end(), {"--emit=dep-info", "-o", depfile});
  auto pre = run_limited(prepass);
  auto dep_text = pre && pre->success() ? read_file(depfile) : Expected<std::string>(make_error("no dep-info"));
  remove_tree(*tmp);
  if (!dep_text) return uncached("dep-info pre-pass failed");
  DepInfo deps = parse_dep_info(*dep_text);

  // 2. The key.
  Hasher h;
  h.update_field(kRustKeyVersion);
  h.update_field(compiler.identity);
  h.update_field("args");
  for (const auto& a : job.key_args) h.update_field(a);
  h.update_field("sources");
  std::vector<std::string> sources = deps.files;
  std::sort(sources.begin(), sources.end());
  for (const auto& f : sources) {
    auto d = file_hashes_.digest(absolute_from(inv.cwd, f));
    if (!d) return uncached("cannot read source " + f);
    h.update_field(f);
    h.update_field(d->digest);
  }
  h.update_field("externs");
  for (const auto& e : job.externs) {
    h.update_field(e.name);
    if (e.path.empty()) continue;
    auto d = file_hashes_.digest(e.path);
    if (!d) return uncached("cannot read extern " + e.path);
    h.update_field(d->digest);
  }
  h.update_field("static-libs");
  for (const auto& lib : job.static_libs) {
    auto d = file_hashes_.digest(lib);
    if (!d) return uncached("cannot read " + lib);
    h.update_field(d->digest);
  }
  h.update_field("env");
  std::vector<std::string> env;
  std::copy_if(inv.env.begin(), inv.env.end(), std::back_inserter(env), keyed_env);
  std::sort(env.begin(), env.end());
  for (const auto& kv : env) h.update_field(kv);
  h.update_field("env-deps");
  auto env_deps = deps.env;
  std::sort(env_deps.begin(), env_deps.end());
  for (const auto& [name, value] : env_deps) {
    h.update_field(name);
    h.update_field(value ? "=" + *value : "<unset>");
  }
  h.update_field("cwd");
  h.update_field(inv.cwd);
  if (job.links()) {
    // proc-macro and dylib outputs are linked by the system linker: its identity counts.
    std::string linker = job.linker.value_or("cc");
    auto path = find_on_path(linker, inv.env, inv.cwd);
    auto real = path ? real_path(*path) : std::nullopt;
    auto d = real ? file_hashes_.digest(*real) : std::nullopt;
    if (!d) return uncached("cannot find the linker " + linker);
    h.update_field("linker");
    h.update_field(d->digest);
  }
  const std::string key = h.finish_hex();
  const std::vector<std::string> names = rust_output_names(job);
  bool recache = env_value(inv.env, "SCCACHE_RECACHE").has_value();

  // 3. Hit: the entry's files go into --out-dir under cargo's names.
  auto start = std::chrono::steady_clock::now();
  if (!recache) {
    auto got = storage_.get(key);
    if (!got) {
      spdlog::debug("cache read failed for {}: {}", key, got.error().message);
      count_lookup_failure(got.error(), kRust);
    } else if (got->has_value()) {
      auto entry = decode_entry(**got, key);
      if (!entry) {
        spdlog::warn("corrupt cache entry {}: {}; recompiling", key, entry.error().message);
        storage_.remove(key);
        stats_.update([](ServerStats& s) { ++s.cache_read_errors; });
      } else {
        std::string old_dir;
        std::vector<const EntryFile*> files;
        for (const auto& f : entry->files) {
          if (f.name == kOutDirMember) {
            old_dir = f.data;
          } else {
            files.push_back(&f);
          }
        }
        bool complete = files.size() == names.size() &&
                        std::all_of(files.begin(), files.end(), [&](const EntryFile* f) {
                          return std::find(names.begin(), names.end(), f->name) != names.end();
                        });
        bool restored = complete && !peer_hung_up(inv.cancel_fd);  // nothing lands for a gone client
        for (const EntryFile* f : files) {
          if (!restored) break;
          std::string path = join_path(job.out_dir, f->name);
          bool rewrite = f->name.ends_with(".d");
          mode_t mode = static_cast<mode_t>((f->name.ends_with(".so") ? 0777 : 0666) & ~inv.umask);
          auto st = write_file_atomic(path, rewrite ? replace_all(f->data, old_dir, job.out_dir) : f->data, mode);
          if (!st) {
            spdlog::debug("cannot restore {}: {}; compiling instead", path, st.error().message);
            restored = false;
          }
        }
        if (restored) {
          stats_.update([&](ServerStats& s) {
            ++s.cache_hits[kRust];
            s.cache_read_hit_duration.add_ns(elapsed_ns(start));
          });
          CompileFinished f;
          f.stdout_data = std::move(entry->stdout_data);
          f.stderr_data = replace_all(std::move(entry->stderr_data), old_dir, job.out_dir);
          f.color = WireColor::on;
          return {std::move(f), {}};
        }
      }
    } else {
      stats_.update([&](ServerStats& s) { s.cache_read_miss_duration.add_ns(elapsed_ns(start)); });
    }
  }

  // 4. Miss: the user's own command, then its outputs into an entry.
  stats_.update([&](ServerStats& s) {
    ++s.cache_misses[kRust];
    if (recache) ++s.forced_recaches;
  });
  std::optional<ProcessResult> remote;
  if (dist_ != nullptr && dist_->enabled()) {
    // Crates that link (proc-macro, dylib) need the system linker, which is not in a Rust
    // toolchain archive; other targets need their own standard library.
    if (job.links()) {
      spdlog::debug("not distributing crate {}: it links a shared object", job.crate_name);
    } else if (!job.target.empty() && job.target != compiler.rust_host) {
      spdlog::debug("not distributing crate {}: --target {}", job.crate_name, job.target);
    } else if (std::any_of(job.args.begin(), job.args.end(),
                           [](const std::string& a) { return a.find("target-cpu=native") != std::string::npos; })) {
      spdlog::debug("not distributing crate {}: -C target-cpu=native means this machine's CPU", job.crate_name);
    } else {
      DistAttempt attempt;
      try {
        attempt = run_rust_dist(compiler, job, inv, deps.files, names);
      } catch (const std::exception& e) {  // e.g. a non-UTF-8 argument in the JSON header
        dist_failed("crate " + job.crate_name, e.what());
      }
      if (attempt.kind == DistAttempt::fatal) {
        CompileFinished f;
        f.exit_code = 1;
        f.stderr_data = "sccache: error: [" + job.crate_name + "] " + attempt.message + "\n";
        f.color = WireColor::on;
        return {std::move(f), {}};
      }
      if (attempt.kind == DistAttempt::ok) remote = std::move(attempt.result);
    }
  }
  auto result = remote ? Expected<ProcessResult>(std::move(*remote)) : run_limited(command);
  if (!result) return {ErrorResponse{result.error().message}, {}};
  if (!result->success()) {
    stats_.update([](ServerStats& s) { ++s.compile_fails; });
    return {finished(*result), {}};
  }
  CacheEntry entry;
  entry.stdout_data = result->stdout_data;
  entry.stderr_data = result->stderr_data;
  for (const auto& name : names) {
    auto data = read_file(join_path(job.out_dir, name));
    if (!data) {
      spdlog::debug("expected rustc output {} missing: not caching", name);
      stats_.update([](ServerStats& s) { ++s.non_cacheable_compilations; });
      return {finished(*result), {}};
    }
    entry.files.push_back({name, std::move(*data)});
  }
  entry.files.push_back({kOutDirMember, job.out_dir});
  return {finished(*result), store_later(key, std::move(entry), {})};
}

}  // namespace sccache
