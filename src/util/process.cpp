#include "util/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/unique_fd.hpp"

namespace sccache {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_strings(const std::vector<std::string>& in) {
  std::vector<char*> out;
  out.reserve(in.size() + 1);
  for (const auto& s : in) out.push_back(const_cast<char*>(s.c_str()));  // NOLINT
  out.push_back(nullptr);
  return out;
}

std::string sys_error(const char* what, int e) { return std::string(what) + ": " + std::strerror(e); }

constexpr short kHangup = POLLRDHUP | POLLHUP | POLLERR;
// After a kill, pipes still open are held by a process outside the group: stop waiting.
constexpr std::chrono::milliseconds kAfterKill{5000};

// ---- the child: between vfork/fork and exec, so it only makes system calls ----

struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  bool set_umask;
  mode_t mask;
  int in_fd;  // -1: /dev/null
  int out_fd;
  int err_fd;
  int exec_err_fd;
  bool own_group;
  bool default_signals;
  bool close_other_fds;
  const std::function<void()>* setup;  // null: none
};

void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Sets close-on-exec on every descriptor above stderr.
void mark_fds_cloexec() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  rlimit lim{};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < 65536) {
    max_fd = static_cast<int>(lim.rlim_cur);
  }
  for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void redirect_stdio(const ChildArgs& a) {
  int in = a.in_fd;
  if (in < 0) in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in > 0) ::dup2(in, 0);
  if (in == 0) ::fcntl(0, F_SETFD, 0);  // /dev/null got fd 0 itself: keep it across exec
  ::dup2(a.out_fd, 1);
  ::dup2(a.err_fd, 2);
}

[[noreturn]] void child_exec(const ChildArgs& a) {
  // No CLONE_FS: chdir and umask here do not affect the caller.
  if (a.default_signals) reset_signals();
  if (a.own_group) ::setpgid(0, 0);
  if (a.set_umask) ::umask(a.mask);
  if (a.setup != nullptr) (*a.setup)();
  redirect_stdio(a);
  if (a.close_other_fds) mark_fds_cloexec();
  int err = 0;
  if (a.cwd != nullptr && ::chdir(a.cwd) != 0) err = errno;
  if (err == 0) {
    ::execve(a.path, a.argv, a.envp);
    err = errno;
  }
  ssize_t ignored = ::write(a.exec_err_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

// vfork when the child only execs; fork when it runs a setup of its own (which may wait for the
// caller). With default_signals every signal is blocked around it, so that no handler of the
// caller runs in the child before reset_signals.
__attribute__((noinline)) pid_t spawn_child(const ChildArgs& a) {
  sigset_t all;
  sigset_t old;
  if (a.default_signals) {
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
  }
  pid_t pid = a.setup != nullptr ? ::fork() : ::vfork();  // NOLINT(clang-analyzer-security.insecureAPI.vfork)
  if (pid == 0) child_exec(a);
  int e = errno;
  if (a.default_signals) ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = e;
  return pid;
}

// ---- the caller: watching the child ----

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Expected<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(sys_error("pipe", errno));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// One running child: reads its stdout/stderr, watches cancel_fd, the time limit, the output cap
// and (with exit_grace) the child's exit, and kills it when one of them says so.
class Watch {
 public:
  Watch(const ProcessSpec& spec, pid_t pid, UniqueFd out, UniqueFd err)
      : spec_(spec), pid_(pid), out_(std::move(out)), err_(std::move(err)) {}

  // Up to the point where the output is complete: an Error only when poll fails.
  Status start();
  Status collect(ProcessResult& result);
  // Kills the child (and its group) if it has not been reaped, and reaps it.
  void abandon();
  // The exit status, reaped now unless the exit watch did already.
  void reap(ProcessResult& result);

 private:
  [[nodiscard]] bool own_group() const { return spec_.cancel_fd >= 0 || spec_.own_process_group; }
  [[nodiscard]] bool watching_exit() const { return spec_.exit_grace.has_value(); }
  void kill_child(Clock::time_point now);
  [[nodiscard]] bool finished(Clock::time_point now) const;
  [[nodiscard]] int poll_timeout(Clock::time_point now) const;
  void read_pipe(int i, ProcessResult& result);
  void check_exit();

  const ProcessSpec& spec_;
  uint64_t streamed_ = 0;  // stdout bytes handed to spec_.on_stdout
  pid_t pid_;
  UniqueFd out_;
  UniqueFd err_;
  UniqueFd pidfd_;
  pollfd fds_[4]{};  // stdout, stderr, cancel_fd, pidfd; fd -1 = not watched
  std::optional<Clock::time_point> deadline_;
  bool killed_ = false;
  Clock::time_point kill_end_{};  // without the exit watch: when to stop reading after a kill
  bool reaped_ = false;
  bool status_lost_ = false;
  int status_ = 0;
  Clock::time_point grace_end_{};  // with the exit watch: when to stop reading after the exit
};

Status Watch::start() {
  if (watching_exit()) {
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    if (!pidfd_.valid() && errno == ESRCH) {  // already exited and reaped by someone else (SIGCHLD ignored)
      reaped_ = status_lost_ = true;
      grace_end_ = Clock::now() + *spec_.exit_grace;
    } else if (!pidfd_.valid()) {
      return make_error(sys_error("pidfd_open", errno));
    }
  }
  if (spec_.on_spawned) SCCACHE_TRY_STATUS(spec_.on_spawned(pid_));
  fds_[0] = {out_.get(), POLLIN, 0};
  fds_[1] = {err_.get(), POLLIN, 0};
  fds_[2] = {spec_.cancel_fd, POLLRDHUP, 0};
  fds_[3] = {pidfd_.get(), POLLIN, 0};
  if (spec_.timeout) deadline_ = Clock::now() + *spec_.timeout;
  return Ok{};
}

void Watch::kill_child(Clock::time_point now) {
  if (own_group()) ::kill(-pid_, SIGKILL);
  if (!reaped_) ::kill(pid_, SIGKILL);
  killed_ = true;
  kill_end_ = now + kAfterKill;
}

bool Watch::finished(Clock::time_point now) const {
  bool pipes_open = fds_[0].fd >= 0 || fds_[1].fd >= 0;
  if (watching_exit()) return reaped_ && (!pipes_open || now >= grace_end_);
  return !pipes_open || (killed_ && now >= kill_end_);
}

int Watch::poll_timeout(Clock::time_point now) const {
  std::optional<Clock::time_point> until;
  auto earliest = [&](Clock::time_point t) {
    if (!until || t < *until) until = t;
  };
  if (deadline_ && !killed_ && !reaped_) earliest(*deadline_);
  if (watching_exit() && reaped_) earliest(grace_end_);
  if (!watching_exit() && killed_) earliest(kill_end_);
  if (!until) return -1;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*until - now).count() + 1;
  return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, 1 << 30));
}

void Watch::read_pipe(int i, ProcessResult& result) {
  char buf[65536];
  ssize_t n = ::read(fds_[i].fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    fds_[i].fd = -1;
    (i == 0 ? out_ : err_).reset();
    return;
  }
  if (i == 0 && spec_.on_stdout) {
    streamed_ += static_cast<uint64_t>(n);
    spec_.on_stdout(std::string_view(buf, static_cast<size_t>(n)));
  } else {
    (i == 0 ? result.stdout_data : result.stderr_data).append(buf, static_cast<size_t>(n));
  }
  if (!result.output_exceeded && streamed_ + result.stdout_data.size() + result.stderr_data.size() > spec_.max_output) {
    kill_child(Clock::now());
    result.output_exceeded = true;
    fds_[0].fd = fds_[1].fd = -1;  // not read any further
  }
}

// The pidfd is readable: the child has exited (reap it without blocking).
void Watch::check_exit() {
  pid_t w;
  do {
    w = ::waitpid(pid_, &status_, WNOHANG);
  } while (w < 0 && errno == EINTR);
  if (w == pid_ || w < 0) {  // w < 0: ECHILD, someone else reaped it (SIGCHLD ignored?)
    status_lost_ = w < 0;
    reaped_ = true;
    fds_[3].fd = -1;
    grace_end_ = Clock::now() + *spec_.exit_grace;
  }
}

Status Watch::collect(ProcessResult& result) {
  while (true) {
    auto now = Clock::now();
    if (finished(now)) return Ok{};
    if (deadline_ && !killed_ && !reaped_ && now >= *deadline_) {
      kill_child(now);
      result.timed_out = true;
    }
    int r = ::poll(fds_, 4, poll_timeout(now));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return make_error(sys_error("poll", errno));
    if (fds_[2].fd >= 0 && (fds_[2].revents & kHangup) != 0) {
      kill_child(Clock::now());
      result.cancelled = true;
      fds_[2].fd = -1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds_[i].fd >= 0 && fds_[i].revents != 0) read_pipe(i, result);
    }
    if (fds_[3].fd >= 0 && fds_[3].revents != 0) check_exit();
  }
}

void Watch::abandon() {
  if (!reaped_) kill_child(Clock::now());
  ProcessResult ignored;
  reap(ignored);
}

void Watch::reap(ProcessResult& result) {
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0) {
      if (errno != EINTR) {
        status_lost_ = true;
        break;
      }
    }
    reaped_ = true;
  }
  result.status_lost = status_lost_;
  if (status_lost_) return;
  if (WIFSIGNALED(status_)) {
    result.signal = WTERMSIG(status_);
  } else {
    result.exit_code = WEXITSTATUS(status_);
  }
}

// After the child has been reaped: the errno it reported when execve (or chdir) failed.
std::optional<int> exec_failure(int exec_err_fd) {
  int child_errno = 0;
  ::fcntl(exec_err_fd, F_SETFL, O_NONBLOCK);  // a concurrent fork may still hold the write end
  ssize_t got = ::read(exec_err_fd, &child_errno, sizeof child_errno);
  if (got == static_cast<ssize_t>(sizeof child_errno)) return child_errno;
  return std::nullopt;
}

}  // namespace

Expected<ProcessResult> SystemProcessRunner::run(const ProcessSpec& spec) {
  if (spec.argv.empty()) return make_error("empty command");
  SCCACHE_TRY(out, make_pipe());
  SCCACHE_TRY(err, make_pipe());
  SCCACHE_TRY(exec_err, make_pipe());
  // Everything the child touches is prepared before vfork: the child only makes syscalls.
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  const bool own_group = spec.cancel_fd >= 0 || spec.own_process_group;
  ChildArgs child{spec.argv[0].c_str(), argv.data(), envp.data(), spec.cwd.empty() ? nullptr : spec.cwd.c_str(),
                  spec.umask.has_value(), spec.umask.value_or(022), spec.stdin_fd, out.write.get(),
                  err.write.get(), exec_err.write.get(), own_group, spec.default_signals, spec.close_other_fds,
                  spec.child_setup ? &spec.child_setup : nullptr};
  pid_t pid = spawn_child(child);
  int spawn_errno = errno;
  out.write.reset();
  err.write.reset();
  exec_err.write.reset();
  if (pid < 0) return make_error("cannot start process: " + std::string(std::strerror(spawn_errno)));
  if (own_group) ::setpgid(pid, pid);  // also done by the child; whichever runs first

  ProcessResult result;
  Watch watch(spec, pid, std::move(out.read), std::move(err.read));
  auto started = watch.start();
  if (!started) {
    watch.abandon();
    return started.error();
  }
  auto collected = watch.collect(result);
  if (!collected) {
    watch.abandon();
    return collected.error();
  }
  watch.reap(result);
  if (auto e = exec_failure(exec_err.read.get())) {
    return make_error("cannot execute " + spec.argv[0] + ": " + std::strerror(*e), kProcessExecFailed);
  }
  return result;
}

bool peer_hung_up(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & kHangup) != 0;
}

Error exec_replace(const std::string& path, const std::vector<std::string>& argv) {
  auto args = c_strings(argv);
  ::execv(path.c_str(), args.data());
  return make_error("cannot execute " + path + ": " + std::strerror(errno));
}

}  // namespace sccache
