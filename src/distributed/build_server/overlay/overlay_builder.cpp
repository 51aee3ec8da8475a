#include "distributed/build_server/overlay/overlay_builder.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "distributed/build_server/overlay/in_root.hpp"
#include "distributed/build_server/overlay/job_setup.hpp"
#include "distributed/build_server/overlay/overlay_host.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/unique_fd.hpp"

namespace sccache::dist {

namespace {

using overlay::JobFiles;
using overlay::sys_openat2;

constexpr std::array<int, 3> kMinBwrap{0, 3, 0};
constexpr std::array<int, 3> kClearenvBwrap{0, 5, 0};  // --clearenv appeared in bubblewrap 0.5.0
// After the sandbox's main process exited, how long stray holders of its stdout/stderr may keep
// them open before the server stops reading (the pid namespace dies with bwrap, so this is short).
constexpr std::chrono::milliseconds kPipeGrace{2000};

std::string errno_text(int e) { return std::strerror(e); }

std::string version_text(const std::array<int, 3>& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

void remove_job_dir(const std::string& dir) {
  // A killed sandbox's last processes may still be exiting (and writing) for a moment.
  for (int attempt = 0; attempt < 40; ++attempt) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (!std::filesystem::exists(dir, ec)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  spdlog::warn("overlay builder: could not remove job directory {}", dir);
}

// <build_dir>/builds/<n>/{upper,work,target}; removed, with whatever the job left, once made.
struct JobDir {
  JobDir(const std::string& build_dir, uint64_t n)
      : dir(join_path(join_path(build_dir, "builds"), std::to_string(n))),
        upper(join_path(dir, "upper")),
        work(join_path(dir, "work")),
        target(join_path(dir, "target")) {}
  JobDir(const JobDir&) = delete;
  JobDir& operator=(const JobDir&) = delete;
  ~JobDir() {
    if (made) remove_job_dir(dir);
  }
  Status make() {
    remove_tree(dir);
    for (const auto& d : {upper, work, target}) SCCACHE_TRY_STATUS(make_dirs(d));
    made = true;
    return Ok{};
  }
  std::string dir, upper, work, target;
  bool made = false;
};

std::vector<std::string> bwrap_args(const std::string& bwrap, bool clearenv, const SandboxJob& job,
                                    const std::string& target, bool under_tmp) {
  std::vector<std::string> args{bwrap,
                                "--die-with-parent",
                                "--cap-drop",
                                "ALL",
                                "--unshare-user",
                                "--unshare-ipc",
                                "--unshare-pid",
                                "--unshare-net",
                                "--unshare-uts",
                                "--unshare-cgroup-try",
                                "--bind",
                                target,
                                "/",
                                "--proc",
                                "/proc",
                                "--dev",
                                "/dev"};
  // A tmpfs on /tmp would hide a cwd, inputs or outputs there; /tmp is then a 1777 directory of
  // the job's own overlay instead (gone with the job as well).
  if (!under_tmp) args.insert(args.end(), {"--tmpfs", "/tmp"});
  args.insert(args.end(), {"--chdir", job.cwd});
  if (clearenv) args.emplace_back("--clearenv");
  for (const auto& [k, v] : job.env) {
    if (k.empty() || k.find('=') != std::string::npos || overlay::has_nul(k) || overlay::has_nul(v)) continue;
    args.insert(args.end(), {"--setenv", k, v});
  }
  args.emplace_back("--");
  args.push_back(job.executable);
  args.insert(args.end(), job.args.begin(), job.args.end());
  return args;
}

// How bwrap is run: its own process group (killed as one on timeout or flood), default signals,
// umask 022, an empty environment, no descriptor of the server but its stdio, and its exit watched.
ProcessSpec sandbox_spec(std::vector<std::string> args, const SandboxJob& job) {
  ProcessSpec spec{std::move(args), {}, "", mode_t{022}};
  spec.own_process_group = true;
  spec.default_signals = true;
  spec.close_other_fds = true;
  spec.exit_grace = kPipeGrace;
  spec.max_output = job.max_output_size;
  if (job.timeout.count() > 0 && job.timeout < std::chrono::hours(24 * 365 * 100)) spec.timeout = job.timeout;
  return spec;
}

Expected<UniqueFd> pipe_end(UniqueFd& other_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  other_end.reset(fds[1]);
  return UniqueFd(fds[0]);
}

// The server's side of the setup child's handshake (job_setup.hpp): the status pipe (child ->
// server) and the go pipe (server -> child).
struct Handshake {
  UniqueFd status_r, status_w, go_r, go_w;

  Status make() {
    SCCACHE_TRY(s, pipe_end(status_w));
    status_r = std::move(s);
    SCCACHE_TRY(g, pipe_end(go_w));
    go_r = std::move(g);
    return Ok{};
  }

  // SystemProcessRunner's on_spawned: waits for "ready", opens the merged overlay through the
  // child's root into `merged`, and says go. An Error kills the child.
  Status start(pid_t pid, const SandboxJob& job, const JobFiles& files, const std::string& target, UniqueFd& merged) {
    status_w.reset();
    go_r.reset();
    overlay::ChildMessage msg;
    if (!overlay::read_message(status_r.get(), msg)) {
      return make_error("the sandbox setup process died before the job started");
    }
    if (msg.stage != overlay::kReady) return make_error(overlay::describe_failure(msg, job, files, target));
    // The overlay is only mounted in the child's namespace: reach it through the child's root.
    // This descriptor keeps the mount alive for reading the outputs after the namespace has gone.
    merged.reset(::open(("/proc/" + std::to_string(pid) + "/root" + target).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!merged.valid()) return make_error("cannot open the job's overlay through /proc: " + errno_text(errno));
    struct statfs mfs {};
    if (::fstatfs(merged.get(), &mfs) != 0 || static_cast<unsigned long>(mfs.f_type) != OVERLAYFS_SUPER_MAGIC) {
      return make_error("the job's root " + target + " is not the overlay it should be");
    }
    char go = 1;
    if (::write(go_w.get(), &go, 1) != 1) return make_error("cannot start the sandbox: " + errno_text(errno));
    go_w.reset();
    return Ok{};
  }
};

Expected<SandboxResult> sandbox_result(ProcessResult ran, const SandboxJob& job) {
  if (ran.status_lost) {
    return make_error("lost the sandbox's exit status: " + errno_text(ECHILD) + " (is SIGCHLD ignored?)");
  }
  if (ran.output_exceeded) {
    return make_error("the job's stdout and stderr exceed max_job_output_size (" + std::to_string(job.max_output_size) +
                      " bytes); the job was killed");
  }
  SandboxResult result;
  result.exit_code = ran.exit_code;
  result.signal = ran.signal;
  result.timed_out = ran.timed_out;
  result.stdout_data = std::move(ran.stdout_data);
  result.stderr_data = std::move(ran.stderr_data);
  return result;
}

// The outputs, from the overlay as the job saw it, within what is left of max_output_size.
Status read_outputs(int merged, const SandboxJob& job, const JobFiles& files, SandboxResult& result) {
  for (size_t i = 0; i < job.outputs.size(); ++i) {
    auto parts = overlay::components(files.output_abs[i]);
    if (parts.empty()) continue;
    uint64_t used = result.stdout_data.size() + result.stderr_data.size();
    for (const auto& o : result.outputs) used += o.second.size();
    auto data = overlay::read_output(merged, overlay::join_components(parts, parts.size()), job.max_output_size - used);
    if (!data) {
      return make_error("output " + data.error().message + " (" + std::to_string(job.max_output_size) +
                        " bytes for stdout, stderr and outputs together)");
    }
    if (*data) result.outputs.emplace_back(job.outputs[i], std::move(**data));
  }
  return Ok{};
}

}  // namespace

std::optional<std::array<int, 3>> parse_bwrap_version(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto sp = text.find_last_of(" \t");
  std::string_view v = sp == std::string_view::npos ? text : text.substr(sp + 1);
  if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  std::array<int, 3> out{0, 0, 0};
  for (size_t part = 0; part < 3 && !v.empty(); ++part) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || n < 0) return part == 0 ? std::nullopt : std::optional(out);
    out[part] = n;
    v.remove_prefix(static_cast<size_t>(ptr - v.data()));
    if (v.empty() || v[0] != '.') break;
    v.remove_prefix(1);
  }
  return out;
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): by value in the public API (config strings)
Expected<std::unique_ptr<OverlayBuilder>> OverlayBuilder::create(std::string build_dir, std::string bwrap_path) {
  if (::geteuid() != 0) {
    return make_error("the overlay builder must run as root (running as uid " + std::to_string(::geteuid()) + ")");
  }
  SCCACHE_TRY(bwrap, find_bwrap(bwrap_path));
  SystemProcessRunner runner;
  auto ran = runner.run(ProcessSpec{{bwrap, "--version"}, {}, "", std::nullopt});
  if (!ran) return make_error("cannot run `" + bwrap + " --version`: " + ran.error().message);
  if (!ran->success()) {
    return make_error("`" + bwrap + " --version` failed: " + ran->stderr_data + ran->stdout_data);
  }
  auto version = parse_bwrap_version(ran->stdout_data);
  if (!version)
    return make_error("cannot read the bubblewrap version from `" + bwrap + " --version`: " + ran->stdout_data);
  if (*version < kMinBwrap) {
    return make_error("bubblewrap " + version_text(*version) + " (" + bwrap +
                      ") is too old: the overlay builder needs bubblewrap >= " + version_text(kMinBwrap));
  }
  if (!overlay_supported()) {
    return make_error(
        "the kernel has no overlay filesystem (`overlay` is not in /proc/filesystems; try `modprobe overlay`)");
  }
  errno = 0;
  int probe = sys_openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
  if (probe < 0) return make_error("the kernel lacks openat2 (Linux >= 5.6 is needed): " + errno_text(errno));
  ::close(probe);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd < 0) return make_error("the kernel lacks pidfd_open (Linux >= 5.3 is needed): " + errno_text(errno));
  ::close(pidfd);

  SCCACHE_TRY(prepared, prepare_build_dir(build_dir));
  build_dir = prepared;
  struct statfs sfs {};
  if (::statfs(build_dir.c_str(), &sfs) == 0 && static_cast<unsigned long>(sfs.f_type) == OVERLAYFS_SUPER_MAGIC) {
    return make_error("build_dir " + build_dir +
                      " is on overlayfs: the overlay's upper and work directories cannot be");
  }
  spdlog::info("overlay builder: bubblewrap {} ({}), build_dir {}", version_text(*version), bwrap, build_dir);
  return std::unique_ptr<OverlayBuilder>(
      new OverlayBuilder(build_dir, bwrap, version_text(*version), !(*version < kClearenvBwrap)));
}

Expected<SandboxResult> OverlayBuilder::run(const SandboxJob& job) {
  // Everything the child needs is prepared before the fork.
  SCCACHE_TRY(files, overlay::plan_job_files(job));
  JobDir dir(build_dir_, next_job_++);
  SCCACHE_TRY_STATUS(dir.make());
  const std::string options = "lowerdir=" + overlay::escape_overlay_path(files.toolchain) +
                              ",upperdir=" + overlay::escape_overlay_path(dir.upper) +
                              ",workdir=" + overlay::escape_overlay_path(dir.work);
  Handshake handshake;
  SCCACHE_TRY_STATUS(handshake.make());
  overlay::ChildPlan plan{dir.target.c_str(), options.c_str(), &files, handshake.status_w.get(), handshake.go_r.get()};
  UniqueFd merged;  // the job's overlay root, from before the exec until the outputs are read
  ProcessSpec spec = sandbox_spec(bwrap_args(bwrap_path_, clearenv_, job, dir.target, files.under_tmp), job);
  spec.child_setup = [&plan] { overlay::setup_job_root(plan); };
  spec.on_spawned = [&](pid_t pid) { return handshake.start(pid, job, files, dir.target, merged); };

  SystemProcessRunner runner;
  auto ran = runner.run(spec);
  if (!ran && ran.error().code == kProcessExecFailed) return make_error("sandbox setup failed: " + ran.error().message);
  if (!ran) return ran.error();
  SCCACHE_TRY(result, sandbox_result(std::move(*ran), job));
  SCCACHE_TRY_STATUS(read_outputs(merged.get(), job, files, result));
  merged.reset();  // the last reference to the overlay mount once the job's namespace has gone
  return result;
}

}  // namespace sccache::dist
