#pragma once
// Where the local server listens and clients connect: loopback TCP (127.0.0.1:port, the default,
// as sccache 0.2.10) or a unix socket (SCCACHE_SERVER_UDS, as newer sccache; a leading `\x00`
// names an abstract socket). Both ends check who is on the other side (peer_uid.hpp).
#include <cstdint>
#include <string>

#include "util/expected.hpp"

namespace sccache {

struct LocalEndpoint {
  uint16_t port = 4226;
  std::string uds;  // empty = TCP; "\x00name" (four characters, then the name) = abstract

  [[nodiscard]] bool is_unix() const { return !uds.empty(); }
  [[nodiscard]] bool is_abstract() const { return uds.rfind("\\x00", 0) == 0; }
  // "127.0.0.1:4226", "unix socket /run/x.sock", "abstract unix socket @name"
  [[nodiscard]] std::string describe() const;
};

// A listening socket. For a unix socket path: the directory is created 0700 if missing and must
// not be writable by other users (unless sticky, as /tmp); the socket file is made 0600; a stale
// socket of ours (nobody answering) is replaced; a live one is an "already in use" error.
Expected<int> listen_local(const LocalEndpoint& ep);

enum class ConnectOutcome { ok, nobody_listening, failed };
// A connected socket; `outcome` says whether starting a server may help.
Expected<int> connect_local(const LocalEndpoint& ep, ConnectOutcome* outcome);

// Removes the socket file of a path endpoint (the server does so when it stops).
void remove_local(const LocalEndpoint& ep);

}  // namespace sccache
