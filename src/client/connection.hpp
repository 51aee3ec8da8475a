#pragma once
// Talking to the server: connect (auto-starting it when nobody listens), check the greeting,
// exchange one request and response.
#include <string>

#include "config/config.hpp"
#include "protocol/messages.hpp"
#include "util/expected.hpp"

namespace sccache {

enum class ConnectFailure { refused, foreign, other };

struct ConnectError {
  ConnectFailure kind;
  std::string message;
};

class ServerConnection {
 public:
  ServerConnection() = default;
  explicit ServerConnection(int fd) : fd_(fd) {}
  ~ServerConnection();
  ServerConnection(ServerConnection&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ServerConnection& operator=(ServerConnection&&) = delete;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Sends the request, checks the server's greeting, returns its response.
  Expected<Response> request(const Request& req, ConnectFailure* failure_kind = nullptr);

 private:
  int fd_ = -1;
  bool greeted_ = false;
};

// Plain connect to 127.0.0.1:port.
Expected<ServerConnection> connect_server(uint16_t port, ConnectFailure* failure_kind);
// Spawns `sccache` in server mode and waits for its readiness report. Returns the port.
Expected<uint16_t> start_server(const EnvMap& env);
// Connects, starting the server first if nothing listens.
Expected<ServerConnection> connect_or_start(const Config& cfg, const EnvMap& env, ConnectFailure* failure_kind);

}  // namespace sccache
