#pragma once
// Who is on the other end of a local connection: the uid that owns the peer's socket, asked of
// the kernel (SO_PEERCRED for unix sockets; the socket table, via NETLINK_SOCK_DIAG with
// /proc/net/tcp as fallback, for loopback TCP). Used by the server to serve only its own user
// and by the client to talk only to its own user's server.
#include <sys/types.h>

#include "util/expected.hpp"

namespace sccache {

// Error::code of a lookup that could not run for want of a file descriptor (EMFILE/ENFILE).
constexpr int kPeerLookupNoDescriptor = 1;

Expected<uid_t> socket_peer_uid(int fd);

}  // namespace sccache
