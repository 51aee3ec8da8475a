#pragma once
// Talking to the server: connect (auto-starting it when nobody listens), check the greeting and
// that the server runs as this user, exchange one request and response.
#include <string>

#include "config/config.hpp"
#include "protocol/messages.hpp"
#include "util/expected.hpp"

namespace sccache {

// refused: nobody listens (starting a server may help); foreign: something else answers (or
// nothing within the greeting timeout); rejected: the server refused us, or runs as another user.
enum class ConnectFailure { refused, foreign, rejected, other };

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

  // Sends the request, returns the server's response.
  Expected<Response> request(const Request& req);

 private:
  int fd_ = -1;
};

// Connects to 127.0.0.1:port or SCCACHE_SERVER_UDS, reads the greeting, checks the server's uid.
Expected<ServerConnection> connect_server(const Config& cfg, ConnectFailure* failure_kind);
// Spawns `sccache` in server mode and waits for its readiness report. Returns the port.
Expected<uint16_t> start_server(const EnvMap& env);
// Connects, starting the server first if nothing listens.
Expected<ServerConnection> connect_or_start(const Config& cfg, const EnvMap& env, ConnectFailure* failure_kind);

}  // namespace sccache
