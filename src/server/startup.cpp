#include "server/startup.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cache/storage_factory.hpp"
#include "server/server.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {

constexpr int kNotifyFd = 3;
constexpr rlim_t kWantedOpenFiles = 65536;

// The server's memory stays bounded whatever the build. Buffers of 4 MiB and more (a big
// preprocessed text, a big object) are mapped and unmapped by themselves instead of fragmenting
// the heap: glibc would otherwise raise its mmap threshold to the largest block ever freed (up
// to 32 MiB) and keep such blocks. Smaller ones (a hit's decompressed object) reuse heap pages
// instead of faulting fresh ones in on every hit; at most 4 MiB of free heap top is kept; and
// the threads share two arenas instead of up to eight per core.
void bound_heap() {
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 4 << 20);
  ::mallopt(M_ARENA_MAX, 2);
}

int notify_fd_from(const EnvMap& env) {
  auto it = env.find("SCCACHE_STARTUP_NOTIFY");
  if (it == env.end() || it->second.rfind("fd:", 0) != 0) return -1;
  int fd = std::atoi(it->second.c_str() + 3);
  return fd > 2 ? fd : -1;
}

void report(int fd, const std::string& message) {
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, message.data(), message.size());
  (void)ignored;
  ::close(fd);
}

// Detaches from the client: new session, no controlling terminal, stdio to /dev/null (or the
// error log), cwd "/", and no file descriptors inherited from the build (e.g. make's jobserver).
void daemonize(int& notify_fd, const std::string& error_log) {
  if (notify_fd >= 0 && notify_fd != kNotifyFd) {
    ::dup2(notify_fd, kNotifyFd);
    notify_fd = kNotifyFd;
  }
  ::close_range(notify_fd >= 0 ? kNotifyFd + 1 : 3, ~0U, 0);
  if (::fork() > 0) ::_exit(0);
  ::setsid();
  if (::fork() > 0) ::_exit(0);
  if (::chdir("/") != 0) {
    // Keep going: compiles run in the client's cwd anyway.
  }
  int devnull = ::open("/dev/null", O_RDWR);
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  int err = error_log.empty() ? -1 : ::open(error_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ::dup2(err >= 0 ? err : devnull, 2);
  if (err >= 0) ::close(err);
  if (devnull > 2) ::close(devnull);
}

}  // namespace

int run_server_process(const EnvMap& env) {
  int notify_fd = notify_fd_from(env);
  auto cfg = load_config(env);
  bool foreground = env.count("SCCACHE_NO_DAEMON") != 0 && env.at("SCCACHE_NO_DAEMON") == "1";
  if (!cfg) {
    report(notify_fd, "err " + cfg.error().message);
    return 2;
  }
  if (!foreground) daemonize(notify_fd, cfg->error_log);
  bound_heap();
  ::signal(SIGPIPE, SIG_IGN);
  // An ignored SIGCHLD survives exec: inherited from the client's parent, it would make the
  // kernel reap every compiler before its exit status is read.
  ::signal(SIGCHLD, SIG_DFL);
  // Each connection and each compile holds descriptors: use what the hard limit allows.
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, kWantedOpenFiles);
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (env.count("SCCACHE_ALLOW_CORE_DUMPS") != 0) {
    rlimit lim{RLIM_INFINITY, RLIM_INFINITY};
    ::setrlimit(RLIMIT_CORE, &lim);
  }
  // Warnings (a backend down, an entry too large for it) are always logged: to stderr, which is
  // SCCACHE_ERROR_LOG (or /dev/null) for the daemon. In the foreground, SCCACHE_ERROR_LOG still
  // receives the log if set.
  init_logging(cfg->log_level.empty() ? "warn" : cfg->log_level, foreground ? cfg->error_log : "");
  auto storage = make_storage(*cfg, env);
  if (!storage) {
    spdlog::error("{}", storage.error().message);
    report(notify_fd, "err " + storage.error().message);
    return 2;
  }
  auto server = Server::bind(*cfg, std::move(*storage));
  if (!server) {
    spdlog::error("{}", server.error().message);
    report(notify_fd, "err " + server.error().message);
    return 2;
  }
  report(notify_fd, "ok " + std::to_string((*server)->port()));
  (*server)->run();
  spdlog::info("server stopped");
  spdlog::shutdown();
  // Sessions still running after the grace period are detached threads using the server:
  // leave without running destructors.
  std::fflush(nullptr);
  ::_exit(0);
}

}  // namespace sccache
