#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <cstring>

namespace sccache {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& in) {
  std::vector<char*> out;
  out.reserve(in.size() + 1);
  for (const auto& s : in) out.push_back(const_cast<char*>(s.c_str()));  // NOLINT
  out.push_back(nullptr);
  return out;
}

constexpr short kHangup = POLLRDHUP | POLLHUP | POLLERR;
// After the kill, pipes still open are held by a process outside the group: stop waiting.
constexpr int kAfterKillMs = 5000;

// Reads the child's stdout and stderr until both close. If `cancel_fd` hangs up first, the
// child's process group is killed; returns true then.
bool drain(int out_fd, int err_fd, int cancel_fd, pid_t pid, std::string& out, std::string& err) {
  pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {cancel_fd, POLLRDHUP, 0}};
  int open_count = 2;
  bool cancelled = false;
  char buf[65536];
  while (open_count > 0) {
    int r = ::poll(fds, 3, cancelled ? kAfterKillMs : -1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (fds[2].fd >= 0 && (fds[2].revents & kHangup) != 0) {
      ::kill(-pid, SIGKILL);
      cancelled = true;
      fds[2].fd = -1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd >= 0) ::close(fds[i].fd);
  }
  return cancelled;
}

struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  bool set_umask;
  mode_t mask;
  int out_fd;
  int err_fd;
  int exec_err_fd;
  bool own_group;
};

[[noreturn]] void child_exec(const ChildArgs& a) {
  // vfork child (no CLONE_FS): chdir and umask here do not affect the server.
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(a.out_fd, 1);
  ::dup2(a.err_fd, 2);
  if (a.set_umask) ::umask(a.mask);
  if (a.own_group) ::setpgid(0, 0);
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

__attribute__((noinline)) pid_t spawn_child(const ChildArgs& a) {
  pid_t pid = ::vfork();  // NOLINT(clang-analyzer-security.insecureAPI.vfork)
  if (pid == 0) child_exec(a);
  return pid;
}

}  // namespace

Expected<ProcessResult> SystemProcessRunner::run(const ProcessSpec& spec) {
  if (spec.argv.empty()) return make_error("empty command");
  int out_pipe[2];
  int err_pipe[2];
  int exec_err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return make_error(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(exec_err_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    return make_error(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child touches is prepared before vfork: the child only makes syscalls.
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  ChildArgs child{spec.argv[0].c_str(), argv.data(), envp.data(),
                  spec.cwd.empty() ? nullptr : spec.cwd.c_str(), spec.umask.has_value(),
                  spec.umask.value_or(022), out_pipe[1], err_pipe[1], exec_err_pipe[1], spec.cancel_fd >= 0};
  pid_t pid = spawn_child(child);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_err_pipe[1]);
  if (pid < 0) {
    int e = errno;
    for (int fd : {out_pipe[0], err_pipe[0], exec_err_pipe[0]}) ::close(fd);
    return make_error(std::string("cannot start process: ") + std::strerror(e));
  }
  ProcessResult result;
  result.cancelled = drain(out_pipe[0], err_pipe[0], spec.cancel_fd, pid, result.stdout_data, result.stderr_data);
  int child_errno = 0;
  ssize_t got = ::read(exec_err_pipe[0], &child_errno, sizeof child_errno);
  ::close(exec_err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    return make_error("cannot execute " + spec.argv[0] + ": " + std::strerror(child_errno));
  }
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
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
