#include "compiler/rust/rust_compile_job.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <iterator>
#include <set>

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

// Entry member holding the --out-dir of the compile that made the entry: dep-info files and
// cargo's JSON artifact notices name it, and are rewritten when a hit lands elsewhere.
constexpr const char* kOutDirMember = ":out-dir";

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

// Digests of `paths` into `h` (with the path itself first when `named`); error names the file.
Status hash_files(Hasher& h, FileDigests& digests, const std::vector<std::string>& paths, const std::string& cwd,
                  bool named, const char* what) {
  for (const auto& p : paths) {
    auto d = digests.digest(absolute_from(cwd, p));
    if (!d) return make_error(std::string("cannot read ") + what + p);
    if (named) h.update_field(p);
    h.update_field(d->digest);
  }
  return Ok{};
}

}  // namespace

RustCompileJob::RustCompileJob(RustCompilerInfo compiler, RustArguments args, Invocation inv)
    : compiler_(std::move(compiler)), args_(std::move(args)), inv_(std::move(inv)), names_(rust_output_names(args_)) {}

std::vector<std::string> RustCompileJob::output_paths() const {
  std::vector<std::string> out;
  for (const auto& n : names_) out.push_back(absolute_from(inv_.cwd, join_path(args_.out_dir, n)));
  return out;
}

mode_t RustCompileJob::output_mode(const std::string& path, mode_t umask) const {
  return static_cast<mode_t>((path.ends_with(".so") ? 0777 : 0666) & ~umask);
}

ProcessSpec RustCompileJob::compile_command() const {
  ProcessSpec command{{inv_.exe}, inv_.env, inv_.cwd, inv_.umask, inv_.cancel_fd};
  command.argv.insert(command.argv.end(), inv_.args.begin(), inv_.args.end());
  return command;
}

// The sources, from a dep-info pre-pass (parsing and macro expansion only).
Expected<DepInfo> RustCompileJob::dep_info_prepass(ProcessRunner& runner) const {
  SCCACHE_TRY(tmp, make_temp_dir("sccache-rustc-"));
  std::string depfile = join_path(tmp, "deps.d");
  ProcessSpec prepass{{inv_.exe}, inv_.env, inv_.cwd, inv_.umask, inv_.cancel_fd};
  prepass.argv.insert(prepass.argv.end(), args_.depinfo_args.begin(), args_.depinfo_args.end());
  prepass.argv.insert(prepass.argv.end(), {"--emit=dep-info", "-o", depfile});
  auto pre = runner.run(prepass);
  auto text = pre && pre->success() ? read_file(depfile) : Expected<std::string>(make_error("no dep-info"));
  remove_tree(tmp);
  if (!text) return make_error("dep-info pre-pass failed");
  return parse_dep_info(*text);
}

Expected<std::string> RustCompileJob::hash_inputs(FileDigests& digests, const DepInfo& deps) const {
  Hasher h;
  h.update_field(kRustKeyVersion);
  h.update_field(compiler_.identity);
  h.update_field("args");
  for (const auto& a : args_.key_args) h.update_field(a);
  h.update_field("sources");
  std::vector<std::string> sources = deps.files;
  std::sort(sources.begin(), sources.end());
  SCCACHE_TRY_STATUS(hash_files(h, digests, sources, inv_.cwd, true, "source "));
  h.update_field("externs");
  for (const auto& e : args_.externs) {
    h.update_field(e.name);
    if (!e.path.empty()) SCCACHE_TRY_STATUS(hash_files(h, digests, {e.path}, inv_.cwd, false, "extern "));
  }
  h.update_field("static-libs");
  SCCACHE_TRY_STATUS(hash_files(h, digests, args_.static_libs, inv_.cwd, false, ""));
  h.update_field("env");
  std::vector<std::string> env;
  std::copy_if(inv_.env.begin(), inv_.env.end(), std::back_inserter(env), keyed_env);
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
  h.update_field(inv_.cwd);
  if (args_.links()) {
    // proc-macro and dylib outputs are linked by the system linker: its identity counts.
    std::string linker = args_.linker.value_or("cc");
    auto path = find_in_path(linker, env_value(inv_.env, "PATH").value_or("/usr/bin:/bin"), inv_.cwd);
    auto real = path ? real_path(*path) : std::nullopt;
    auto d = real ? digests.digest(*real) : std::nullopt;
    if (!d) return make_error("cannot find the linker " + linker);
    h.update_field("linker");
    h.update_field(d->digest);
  }
  return h.finish_hex();
}

KeyResult RustCompileJob::compute_key(JobServices& services, bool record_inputs, bool for_dist) {
  (void)record_inputs;  // no direct mode: the pre-pass is the lookup
  (void)for_dist;       // the sources the pre-pass names are what a build server needs
  KeyResult out;
  auto deps = dep_info_prepass(services.runner);
  if (!deps) {
    out.error = deps.error().message;
    return out;
  }
  sources_ = deps->files;
  auto key = hash_inputs(services.digests, *deps);
  if (!key) {
    out.error = key.error().message;
    return out;
  }
  out.key = std::move(*key);
  return out;
}

std::optional<Replay> RustCompileJob::replay(StoredResult&& stored) const {
  std::string old_dir;
  Replay out;
  for (auto& f : stored.files) {
    if (f.name == kOutDirMember) {
      old_dir = std::move(f.data);
      continue;
    }
    if (std::find(names_.begin(), names_.end(), f.name) == names_.end()) return std::nullopt;
    out.writes.emplace_back(absolute_from(inv_.cwd, join_path(args_.out_dir, f.name)), std::move(f.data));
  }
  if (out.writes.size() != names_.size()) return std::nullopt;
  for (auto& [path, data] : out.writes) {
    if (path.ends_with(".d")) data = replace_all(std::move(data), old_dir, args_.out_dir);
  }
  out.stdout_data = std::move(stored.stdout_data);
  out.stderr_data = replace_all(std::move(stored.stderr_data), old_dir, args_.out_dir);
  return out;
}

Expected<StoredResult> RustCompileJob::collect(const ProcessResult& result) const {
  StoredResult stored{result.stdout_data, result.stderr_data, {}};
  for (const auto& name : names_) {
    auto data = read_file(absolute_from(inv_.cwd, join_path(args_.out_dir, name)));
    if (!data) return make_error("expected rustc output " + name + " missing");
    stored.files.push_back({name, std::move(*data)});
  }
  stored.files.push_back({kOutDirMember, args_.out_dir});
  return stored;
}

// Crates that link (proc-macro, dylib) need the system linker, which is not in a Rust toolchain
// archive; other targets need their own standard library.
std::optional<std::string> RustCompileJob::dist_refusal() const {
  if (args_.links()) return "it links a shared object";
  if (!args_.target.empty() && args_.target != compiler_.host) return "--target " + args_.target;
  if (std::any_of(args_.args.begin(), args_.args.end(),
                  [](const std::string& a) { return a.find("target-cpu=native") != std::string::npos; })) {
    return "-C target-cpu=native means this machine's CPU";
  }
  return std::nullopt;
}

namespace {

// The crates of the job's -L directories: crates are found through them by name and hash (the
// dependencies of externs). `native`/`framework` dirs hold system libraries for the linker,
// which an rlib compile does not run.
void add_search_dir_crates(const std::vector<std::string>& args, const std::string& cwd, std::set<std::string>& paths) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "-L" && i + 1 < args.size()) {
      value = args[++i];
    } else if (args[i].rfind("-L", 0) == 0 && args[i].size() > 2) {
      value = args[i].substr(2);
    } else {
      continue;
    }
    if (auto eq = value.find('='); eq != std::string::npos && value.find('/') > eq) {
      std::string kind = value.substr(0, eq);
      if (kind == "native" || kind == "framework") continue;
      value = value.substr(eq + 1);
    }
    std::string dir = absolute_from(cwd, value);
    auto names_in = list_dir(dir);
    if (!names_in) continue;
    for (const auto& n : *names_in) {
      if (n.rfind("lib", 0) == 0 &&
          (n.ends_with(".rlib") || n.ends_with(".rmeta") || n.ends_with(".so") || n.ends_with(".a"))) {
        paths.insert(join_path(dir, n));
      }
    }
  }
}

}  // namespace

// An rlib/staticlib crate (SPEC 7.8): sources, externs, static libraries and the crates of its -L
// directories go as inputs at their own paths, and rustc runs with the same arguments.
Expected<DistPlan> RustCompileJob::dist_plan() {
  std::set<std::string> paths;
  for (const auto& f : sources_) paths.insert(absolute_from(inv_.cwd, f));
  for (const auto& e : args_.externs) {
    if (!e.path.empty()) paths.insert(absolute_from(inv_.cwd, e.path));
  }
  for (const auto& lib : args_.static_libs) paths.insert(lib);
  add_search_dir_crates(args_.args, inv_.cwd, paths);
  DistPlan plan;
  for (const auto& p : paths) {
    auto st = stat_file(p);
    if (!st || !S_ISREG(st->mode)) continue;  // a directory listed by dep-info, or gone
    SCCACHE_TRY(data, read_file(p));
    plan.inputs.push_back({p, std::move(data), (st->mode & 0111) != 0 ? 0755U : 0644U});
  }
  // The toolchain is the sysroot's own rustc (behind a rustup proxy, the toolchain it chose).
  plan.toolchain_compiler = compiler_.sysroot.empty() ? compiler_.path : join_path(compiler_.sysroot, "bin/rustc");
  plan.toolchain_identity = compiler_.identity;
  plan.toolchain_flavor = "rust";
  plan.arguments = inv_.args;
  for (const auto& n : names_) plan.outputs.push_back(absolute_from(inv_.cwd, join_path(args_.out_dir, n)));
  return plan;
}

}  // namespace sccache
