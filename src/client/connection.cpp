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

#include "protocol/local_endpoint.hpp"
#include "protocol/peer_uid.hpp"
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

Expected<Response> ServerConnection::request(const Request& req) {
  SCCACHE_TRY_STATUS(write_frame(fd_, encode_request(req)));
  SCCACHE_TRY(frame, read_frame(fd_, -1));
  return decode_response(frame);
}

namespace {

// The server speaks first: a greeting, or an error saying why it will not serve us.
Status check_greeting(int fd, const LocalEndpoint& ep, ConnectFailure& kind) {
  auto greeting = read_frame(fd, kGreetingTimeoutMs, 1024);
  if (!greeting) {
    kind = ConnectFailure::foreign;
    if (greeting.error().message.rfind("timed out", 0) == 0) {
      return make_error("the server on " + ep.describe() + " accepted the connection but sent no greeting within " +
                        std::to_string(kGreetingTimeoutMs / 1000) + " s (overloaded, or not an sccache-cpp server)");
    }
    return make_error("the program listening on " + ep.describe() + " is not an sccache-cpp server of this version (" +
                      greeting.error().message + ")");
  }
  if (is_greeting(*greeting)) return Ok{};
  auto response = decode_response(*greeting);
  if (response && std::holds_alternative<ErrorResponse>(*response)) {
    kind = ConnectFailure::rejected;
    return make_error("the server on " + ep.describe() + " refused this client: " +
                      std::get<ErrorResponse>(*response).message);
  }
  kind = ConnectFailure::foreign;
  return make_error("the program listening on " + ep.describe() + " is not an sccache-cpp server of this version");
}

// A server of another user could read our requests and hand back objects of its choosing.
Status check_server_user(int fd, const LocalEndpoint& ep, ConnectFailure& kind) {
  auto uid = socket_peer_uid(fd);
  const uid_t own = ::geteuid();
  if (uid && *uid == own) return Ok{};
  kind = ConnectFailure::rejected;
  if (!uid) return make_error("cannot tell which user runs the server on " + ep.describe() + ": " + uid.error().message);
  return make_error("the server on " + ep.describe() + " runs as uid " + std::to_string(*uid) +
                    ", not as this user (uid " + std::to_string(own) +
                    "); set SCCACHE_SERVER_PORT or SCCACHE_SERVER_UDS to use a server of your own");
}

}  // namespace

Expected<ServerConnection> connect_server(const Config& cfg, ConnectFailure* failure_kind) {
  LocalEndpoint ep{cfg.port, cfg.server_uds};
  ConnectFailure kind = ConnectFailure::other;
  auto finish = [&](Error e) -> Expected<ServerConnection> {
    if (failure_kind != nullptr) *failure_kind = kind;
    return e;
  };
  ConnectOutcome outcome = ConnectOutcome::failed;
  auto fd = connect_local(ep, &outcome);
  if (!fd) {
    if (outcome == ConnectOutcome::nobody_listening) kind = ConnectFailure::refused;
    return finish(fd.error());
  }
  ServerConnection conn(*fd);
  if (auto st = check_greeting(*fd, ep, kind); !st) return finish(st.error());
  if (auto st = check_server_user(*fd, ep, kind); !st) return finish(st.error());
  return conn;
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
    if (port && *port < 65536) return static_cast<uint16_t>(*port);  // 0: a unix socket
  }
  if (report.rfind("err ", 0) == 0) return make_error(report.substr(4));
  return make_error("Timed out waiting for server startup");
}

Expected<ServerConnection> connect_or_start(const Config& cfg, const EnvMap& env, ConnectFailure* failure_kind) {
  ConnectFailure kind = ConnectFailure::other;
  auto conn = connect_server(cfg, &kind);
  if (conn || kind != ConnectFailure::refused) {
    if (failure_kind != nullptr) *failure_kind = kind;
    return conn;
  }
  auto started = start_server(env);
  // Even if our start failed, another client may have won the race for the port.
  auto retry = connect_server(cfg, failure_kind);
  if (!retry && !started) return make_error("server startup failed: " + started.error().message);
  return retry;
}

}  // namespace sccache
