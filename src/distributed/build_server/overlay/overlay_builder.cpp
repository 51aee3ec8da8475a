#include "distributed/build_server/overlay/overlay_builder.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "distributed/build_server/overlay/overlay_host.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/process.hpp"
#include "util/unique_fd.hpp"

namespace sccache::dist {

namespace {

constexpr std::array<int, 3> kMinBwrap{0, 3, 0};
constexpr std::array<int, 3> kClearenvBwrap{0, 5, 0};  // --clearenv appeared in bubblewrap 0.5.0
// After the sandbox's main process exited, how long stray holders of its stdout/stderr may keep
// them open before the server stops reading (the pid namespace dies with bwrap, so this is short).
constexpr std::chrono::milliseconds kPipeGrace{2000};

std::string errno_text(int e) { return std::strerror(e); }

std::string version_text(const std::array<int, 3>& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

// Path components of `path` relative to "/", without empty and "." parts ("a//./b" -> a, b).
// ".." is kept: openat2(RESOLVE_IN_ROOT) resolves it physically and never above the root.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    i = j + 1;
  }
  return out;
}

std::string join_components(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

// First component of the lexically normalised absolute path ("/x/../tmp/a" -> "tmp").
std::string top_component(const std::string& abs_path) {
  auto norm = std::filesystem::path(abs_path).lexically_normal();
  auto it = norm.begin();
  if (it != norm.end() && it->string() == "/") ++it;
  return it == norm.end() ? std::string() : it->string();
}

// overlayfs option values: ',' separates options, ':' lower dirs; both are escaped with '\'.
std::string escape_overlay_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ',' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.mode = 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// Opens `rel` beneath `root_fd` as if root_fd were "/": absolute symlinks and ".." stay inside.
int open_in_root(int root_fd, const char* rel, uint64_t flags) {
  return sys_openat2(root_fd, (rel == nullptr || *rel == '\0') ? "." : rel, flags | O_CLOEXEC,
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
}

// ---- the child: everything below runs between fork and exec, so it only makes system calls ----

enum Stage : int32_t {
  kReady = 0,
  kUnshare,
  kPrivate,
  kMount,
  kOpenTarget,
  kMakeTmp,
  kMkdir,
  kCheckDir,
  kInputParent,
  kInputOpen,
  kInputWrite,
  kStdio,
  kExec,
};

struct ChildMessage {
  int32_t stage = kReady;
  int32_t index = 0;
  int32_t err = 0;
};

struct MkdirStep {
  std::string parent;  // path of the parent below the root ("" = the root)
  std::string name;    // component to create in it
  std::string path;    // parent/name
};

struct ChildInput {
  std::string parent;  // below the root
  std::string name;
  const std::string* data = nullptr;
  mode_t mode = 0644;
};

struct ChildPlan {
  const char* target = nullptr;
  const char* overlay_options = nullptr;
  bool make_tmp = false;                // create /tmp (1777) in the overlay instead of a tmpfs
  std::vector<MkdirStep> mkdirs;        // in order: parents first
  std::vector<std::string> check_dirs;  // must be directories afterwards (cwd, output parents)
  std::vector<ChildInput> inputs;
  const char* bwrap = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;  // just the terminating nullptr
  int out_fd = -1;
  int err_fd = -1;
  int status_fd = -1;  // child -> parent: ChildMessage
  int go_fd = -1;      // parent -> child: one byte once the parent holds the merged root
};

[[noreturn]] void child_fail(const ChildPlan& p, Stage stage, int index, int err) {
  ChildMessage m{stage, index, err};
  ssize_t ignored = ::write(p.status_fd, &m, sizeof m);
  (void)ignored;
  ::_exit(127);
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void mark_fds_cloexec() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  rlimit lim{};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < 65536) {
    max_fd = static_cast<int>(lim.rlim_cur);
  }
  for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

[[noreturn]] void child_main(const ChildPlan& p) {
  // Signals were blocked around fork(); give the job default dispositions and an empty mask.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setpgid(0, 0);  // the whole sandbox is killed as one process group on timeout
  ::umask(022);

  if (::unshare(CLONE_NEWNS) != 0) child_fail(p, kUnshare, 0, errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(p, kPrivate, 0, errno);
  if (::mount("overlay", p.target, "overlay", 0, p.overlay_options) != 0) child_fail(p, kMount, 0, errno);
  int root = ::open(p.target, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) child_fail(p, kOpenTarget, 0, errno);

  if (p.make_tmp) {
    if (::mkdirat(root, "tmp", 01777) != 0 && errno != EEXIST) child_fail(p, kMakeTmp, 0, errno);
    int fd = open_in_root(root, "tmp", O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ::fchmod(fd, 01777) != 0) child_fail(p, kMakeTmp, 0, errno);
    ::close(fd);
  }
  for (size_t i = 0; i < p.mkdirs.size(); ++i) {
    const MkdirStep& s = p.mkdirs[i];
    int parent = open_in_root(root, s.parent.c_str(), O_PATH | O_DIRECTORY);
    if (parent < 0) child_fail(p, kMkdir, static_cast<int>(i), errno);
    // EEXIST also for a symlink: the check below (and later steps) resolve it inside the root.
    if (::mkdirat(parent, s.name.c_str(), 0755) != 0 && errno != EEXIST)
      child_fail(p, kMkdir, static_cast<int>(i), errno);
    ::close(parent);
  }
  for (size_t i = 0; i < p.check_dirs.size(); ++i) {
    int fd = open_in_root(root, p.check_dirs[i].c_str(), O_PATH | O_DIRECTORY);
    if (fd < 0) child_fail(p, kCheckDir, static_cast<int>(i), errno);
    ::close(fd);
  }
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    const ChildInput& in = p.inputs[i];
    int parent = open_in_root(root, in.parent.c_str(), O_PATH | O_DIRECTORY);
    if (parent < 0) child_fail(p, kInputParent, static_cast<int>(i), errno);
    int fd = ::openat(parent, in.name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) child_fail(p, kInputOpen, static_cast<int>(i), errno);
    if (!write_all(fd, in.data->data(), in.data->size()) || ::fchmod(fd, in.mode) != 0 || ::close(fd) != 0) {
      child_fail(p, kInputWrite, static_cast<int>(i), errno);
    }
    ::close(parent);
  }
  ::close(root);

  ChildMessage ready{};
  if (!write_all(p.status_fd, reinterpret_cast<const char*>(&ready), sizeof ready)) ::_exit(126);
  char go = 0;
  ssize_t got;
  do {
    got = ::read(p.go_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(126);  // the parent gave up on this job

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(p.out_fd, 1) < 0 || ::dup2(p.err_fd, 2) < 0) {
    child_fail(p, kStdio, 0, errno);
  }
  mark_fds_cloexec();  // nothing the server (or its other threads) opened reaches the sandbox
  ::execve(p.bwrap, p.argv.data(), p.envp.data());
  child_fail(p, kExec, 0, errno);
}

pid_t fork_child(const ChildPlan& plan) {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);  // no handler of the server runs in the child
  pid_t pid = ::fork();
  if (pid == 0) child_main(plan);
  int e = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = e;
  return pid;
}

// ---- the parent ----

using Fd = UniqueFd;

// Reads one ChildMessage; false on EOF (the child exec'd or died).
bool read_message(int fd, ChildMessage& m) {
  char* p = reinterpret_cast<char*>(&m);
  size_t got = 0;
  while (got < sizeof m) {
    ssize_t n = ::read(fd, p + got, sizeof m - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

// Reads a regular file below the merged root without following any symlink out of it: the last
// component must not be a symlink (O_NOFOLLOW) and the parents resolve inside the root. nullopt
// when there is no such regular file; an Error when it holds more than `max` bytes.
Expected<std::optional<std::string>> read_output(int root_fd, const std::string& rel, uint64_t max) {
  // O_NONBLOCK: a FIFO planted as an output must not block the server; regular files ignore it.
  Fd fd(open_in_root(root_fd, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return std::optional<std::string>();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::optional<std::string>();
  auto too_large = [&] { return make_error("/" + rel + " is larger than what is left of max_job_output_size"); };
  if (static_cast<uint64_t>(st.st_size) > max) return too_large();
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::optional<std::string>();
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max) return too_large();  // it grew after the fstat
    data.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(data));
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
  // ---- validate and plan (everything the child needs is prepared before fork) ----
  auto toolchain = real_path(job.toolchain_dir);
  struct stat st {};
  if (job.toolchain_dir.empty() || !toolchain || ::stat(toolchain->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error("toolchain directory `" + job.toolchain_dir + "` does not exist");
  }
  if (job.cwd.empty() || job.cwd[0] != '/') return make_error("the job's cwd must be absolute: `" + job.cwd + "`");
  if (job.executable.empty()) return make_error("the job has no executable");
  std::vector<std::string> all_paths{job.cwd};
  for (const auto& in : job.inputs) {
    if (in.path.empty() || in.path[0] != '/') return make_error("input path must be absolute: `" + in.path + "`");
    all_paths.push_back(in.path);
  }
  std::vector<std::string> output_abs;
  for (const auto& out : job.outputs) {
    output_abs.push_back(absolute_from(job.cwd, out));
    all_paths.push_back(output_abs.back());
  }
  bool under_tmp = false;
  for (const auto& p : all_paths) {
    if (has_nul(p)) return make_error("a job path contains a NUL byte");
    std::string top = top_component(p);
    if (top == "proc" || top == "dev") {
      std::string message = "job path `";
      message.append(p).append("` is under /").append(top).append(", which the sandbox replaces");
      return make_error(std::move(message));
    }
    under_tmp = under_tmp || top == "tmp";
  }
  if (has_nul(job.executable) || std::any_of(job.args.begin(), job.args.end(), has_nul)) {
    return make_error("the job's command line contains a NUL byte");
  }

  std::vector<MkdirStep> mkdirs;
  std::set<std::string> planned;
  std::vector<std::string> check_dirs;
  auto plan_dir = [&](const std::string& abs_dir) {
    auto parts = components(abs_dir);
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string path = join_components(parts, i + 1);
      if (planned.insert(path).second) mkdirs.push_back({join_components(parts, i), parts[i], path});
    }
    return join_components(parts, parts.size());
  };
  check_dirs.push_back(plan_dir(job.cwd));
  for (const auto& out : output_abs) check_dirs.push_back(plan_dir(dirname_of(out)));
  std::vector<ChildInput> inputs;
  for (const auto& in : job.inputs) {
    auto parts = components(in.path);
    if (parts.empty() || parts.back() == "..") return make_error("input path is not a file path: `" + in.path + "`");
    std::string name = parts.back();
    parts.pop_back();
    std::string parent = join_components(parts, parts.size());
    plan_dir("/" + parent);
    inputs.push_back({parent, name, &in.data, static_cast<mode_t>(in.mode & 0777)});
  }

  const uint64_t n = next_job_++;
  const std::string job_dir = join_path(join_path(build_dir_, "builds"), std::to_string(n));
  const std::string upper = join_path(job_dir, "upper");
  const std::string work = join_path(job_dir, "work");
  const std::string target = join_path(job_dir, "target");
  remove_tree(job_dir);
  for (const auto& d : {upper, work, target}) SCCACHE_TRY_STATUS(make_dirs(d));
  struct JobDirCleanup {
    std::string dir;
    ~JobDirCleanup() { remove_job_dir(dir); }
  } cleanup{job_dir};

  const std::string options = "lowerdir=" + escape_overlay_path(*toolchain) +
                              ",upperdir=" + escape_overlay_path(upper) + ",workdir=" + escape_overlay_path(work);
  std::vector<std::string> args{bwrap_path_,
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
  if (clearenv_) args.emplace_back("--clearenv");
  for (const auto& [k, v] : job.env) {
    if (k.empty() || k.find('=') != std::string::npos || has_nul(k) || has_nul(v)) continue;
    args.insert(args.end(), {"--setenv", k, v});
  }
  args.emplace_back("--");
  args.push_back(job.executable);
  args.insert(args.end(), job.args.begin(), job.args.end());

  int out_pipe[2];
  int err_pipe[2];
  int status_pipe[2];
  int go_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd out_r(out_pipe[0]);
  Fd out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd err_r(err_pipe[0]);
  Fd err_w(err_pipe[1]);
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd status_r(status_pipe[0]);
  Fd status_w(status_pipe[1]);
  if (::pipe2(go_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd go_r(go_pipe[0]);
  Fd go_w(go_pipe[1]);

  ChildPlan plan;
  plan.target = target.c_str();
  plan.overlay_options = options.c_str();
  plan.make_tmp = under_tmp;
  plan.mkdirs = std::move(mkdirs);
  plan.check_dirs = std::move(check_dirs);
  plan.inputs = std::move(inputs);
  plan.bwrap = bwrap_path_.c_str();
  for (auto& a : args) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  plan.envp.push_back(nullptr);
  plan.out_fd = out_pipe[1];
  plan.err_fd = err_pipe[1];
  plan.status_fd = status_pipe[1];
  plan.go_fd = go_pipe[0];

  pid_t pid = fork_child(plan);
  if (pid < 0) return make_error("cannot start the sandbox: fork: " + errno_text(errno));
  ::setpgid(pid, pid);  // also done by the child; whichever runs first
  out_w.reset();
  err_w.reset();
  status_w.reset();
  go_r.reset();

  auto abandon = [&](const std::string& message) -> Error {
    go_w.reset();
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    int ignored = 0;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return make_error(message);
  };
  auto describe = [&](const ChildMessage& m) -> std::string {
    auto idx = static_cast<size_t>(std::max(m.index, 0));
    std::string what;
    switch (m.stage) {
      case kUnshare: what = "unshare(CLONE_NEWNS)"; break;
      case kPrivate: what = "making / private in the job's mount namespace"; break;
      case kMount: what = "mounting overlayfs (lower " + *toolchain + ") on " + target; break;
      case kOpenTarget: what = "opening " + target; break;
      case kMakeTmp: what = "creating /tmp in the sandbox"; break;
      case kMkdir: what = "creating directory /" + (idx < plan.mkdirs.size() ? plan.mkdirs[idx].path : ""); break;
      case kCheckDir:
        what = "directory /" + (idx < plan.check_dirs.size() ? plan.check_dirs[idx] : "") + " in the sandbox";
        break;
      case kInputParent:
      case kInputOpen:
      case kInputWrite: what = "writing input " + (idx < job.inputs.size() ? job.inputs[idx].path : ""); break;
      case kStdio: what = "redirecting stdio"; break;
      case kExec: what = "executing " + bwrap_path_; break;
      default: what = "stage " + std::to_string(m.stage); break;
    }
    return "sandbox setup failed: " + what + ": " + errno_text(m.err);
  };

  ChildMessage msg;
  if (!read_message(status_r.get(), msg)) return abandon("the sandbox setup process died before the job started");
  if (msg.stage != kReady) return abandon(describe(msg));
  // The overlay is only mounted in the child's namespace: reach it through the child's root. This
  // descriptor keeps the mount alive for reading the outputs after the namespace has gone.
  Fd merged(::open(("/proc/" + std::to_string(pid) + "/root" + target).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (merged.get() < 0) return abandon("cannot open the job's overlay through /proc: " + errno_text(errno));
  struct statfs mfs {};
  if (::fstatfs(merged.get(), &mfs) != 0 || static_cast<unsigned long>(mfs.f_type) != OVERLAYFS_SUPER_MAGIC) {
    return abandon("the job's root " + target + " is not the overlay it should be");
  }
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) return abandon("pidfd_open: " + errno_text(errno));
  char go = 1;
  if (::write(go_w.get(), &go, 1) != 1) return abandon("cannot start the sandbox: " + errno_text(errno));
  go_w.reset();
  if (read_message(status_r.get(), msg)) return abandon(describe(msg));  // EOF = bwrap is running
  status_r.reset();

  // ---- collect stdout/stderr until bwrap exits; kill the process group on timeout ----
  using Clock = std::chrono::steady_clock;
  const bool limited = job.timeout.count() > 0 && job.timeout < std::chrono::hours(24 * 365 * 100);
  const auto deadline = Clock::now() + (limited ? job.timeout : std::chrono::seconds(0));
  SandboxResult result;
  bool killed = false;
  bool exited = false;
  bool status_lost = false;
  bool flooded = false;  // stdout + stderr went past max_output_size
  int status = 0;
  Clock::time_point grace_end{};
  pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  char buf[65536];
  while (true) {
    bool pipes_open = fds[0].fd >= 0 || fds[1].fd >= 0;
    auto now = Clock::now();
    if (exited && (!pipes_open || now >= grace_end)) break;
    if (limited && !killed && !exited && now >= deadline) {
      ::kill(-pid, SIGKILL);  // bwrap, its pid 1 and the job (the pid namespace dies with them)
      ::kill(pid, SIGKILL);
      killed = true;
      result.timed_out = true;
    }
    int wait_ms = -1;
    auto until = [&](Clock::time_point t) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count() + 1;
      ms = std::max<decltype(ms)>(ms, 0);
      if (wait_ms < 0 || ms < wait_ms) wait_ms = static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));
    };
    if (limited && !killed && !exited) until(deadline);
    if (exited) until(grace_end);
    int r = ::poll(fds, 3, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return abandon("poll: " + errno_text(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        (i == 0 ? out_r : err_r).reset();
        continue;
      }
      (i == 0 ? result.stdout_data : result.stderr_data).append(buf, static_cast<size_t>(got));
      if (!flooded && result.stdout_data.size() + result.stderr_data.size() > job.max_output_size) {
        ::kill(-pid, SIGKILL);  // as on timeout; the pipes are not read any further
        ::kill(pid, SIGKILL);
        flooded = killed = true;
        fds[0].fd = fds[1].fd = -1;
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      pid_t w;
      do {
        w = ::waitpid(pid, &status, WNOHANG);
      } while (w < 0 && errno == EINTR);
      if (w == pid || w < 0) {  // w < 0: ECHILD, someone else reaped it (SIGCHLD ignored?)
        status_lost = w < 0;
        exited = true;
        fds[2].fd = -1;
        grace_end = Clock::now() + kPipeGrace;
      }
    }
  }
  if (status_lost)
    return make_error("lost the sandbox's exit status: " + errno_text(ECHILD) + " (is SIGCHLD ignored?)");
  if (flooded) {
    return make_error("the job's stdout and stderr exceed max_job_output_size (" + std::to_string(job.max_output_size) +
                      " bytes); the job was killed");
  }
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }

  // ---- outputs, from the overlay as the job saw it ----
  for (size_t i = 0; i < job.outputs.size(); ++i) {
    auto parts = components(output_abs[i]);
    if (parts.empty()) continue;
    uint64_t used = result.stdout_data.size() + result.stderr_data.size();
    for (const auto& o : result.outputs) used += o.second.size();
    auto data = read_output(merged.get(), join_components(parts, parts.size()), job.max_output_size - used);
    if (!data) {
      return make_error("output " + data.error().message + " (" + std::to_string(job.max_output_size) +
                        " bytes for stdout, stderr and outputs together)");
    }
    if (*data) result.outputs.emplace_back(job.outputs[i], std::move(**data));
  }
  merged.reset();  // the last reference to the overlay mount once the job's namespace has gone
  return result;
}

}  // namespace sccache::dist
