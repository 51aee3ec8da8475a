#include "client/connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/strings.hpp"

extern char** environ;

namespace sccache {

namespace {
constexpr int kGreetingTimeoutMs = 10000;
constexpr int kStartupTimeoutMs = 15000;
}  // namespace

ServerConnection::~ServerConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<Response> ServerConnection::request(const Request& req, ConnectFailure* failure_kind) {
  if (failure_kind != nullptr) *failure_kind = ConnectFailure::other;
  SCCACHE_TRY_STATUS(write_frame(fd_, encode_request(req)));
  if (!greeted_) {
    auto greeting = read_frame(fd_, kGreetingTimeoutMs, 1024);
    if (!greeting || !is_greeting(*greeting)) {
      if (failure_kind != nullptr) *failure_kind = ConnectFailure::foreign;
      return make_error("the program listening on the port is not an sccache-cpp server of this version" +
                        (greeting ? std::string() : " (" + greeting.error().message + ")"));
    }
    greeted_ = true;
  }
  SCCACHE_TRY(frame, read_frame(fd_, -1));
  return decode_response(frame);
}

Expected<ServerConnection> connect_server(uint16_t port, ConnectFailure* failure_kind) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    if (failure_kind != nullptr) *failure_kind = e == ECONNREFUSED ? ConnectFailure::refused : ConnectFailure::other;
    return make_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return ServerConnection(fd);
}

Expected<uint16_t> start_server(const EnvMap& env) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return make_error("cannot find own executable");
  self[n] = '\0';
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    if (k == "SCCACHE_START_SERVER" || k == "SCCACHE_STARTUP_NOTIFY") continue;
    env_strings.push_back(k + "=" + v);
  }
  env_strings.emplace_back("SCCACHE_START_SERVER=1");
  env_strings.emplace_back("SCCACHE_STARTUP_NOTIFY=fd:3");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char* argv[] = {self, nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // clears close-on-exec on fd 3
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, self, &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(std::string("cannot start server: ") + std::strerror(rc));
  }
  // The server writes "ok <port>" or "err <reason>" and closes the pipe: no polling loop.
  std::string report;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartupTimeoutMs);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    char buf[512];
    ssize_t k = ::read(fds[0], buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    report.append(buf, static_cast<size_t>(k));
  }
  ::close(fds[0]);
  ::waitpid(pid, nullptr, WNOHANG);  // the daemon's first parent exits at once; reap if done
  if (report.rfind("ok ", 0) == 0) {
    auto port = parse_size(report.substr(3));
    if (port && *port > 0 && *port < 65536) return static_cast<uint16_t>(*port);
  }
  if (report.rfind("err ", 0) == 0) return make_error(report.substr(4));
  return make_error("Timed out waiting for server startup");
}

Expected<ServerConnection> connect_or_start(const Config& cfg, const EnvMap& env, ConnectFailure* failure_kind) {
  ConnectFailure kind = ConnectFailure::other;
  auto conn = connect_server(cfg.port, &kind);
  if (conn || kind != ConnectFailure::refused) {
    if (failure_kind != nullptr) *failure_kind = kind;
    return conn;
  }
  auto started = start_server(env);
  // Even if our start failed, another client may have won the race for the port.
  auto retry = connect_server(cfg.port, failure_kind);
  if (!retry && !started) return make_error("server startup failed: " + started.error().message);
  return retry;
}

}  // namespace sccache
