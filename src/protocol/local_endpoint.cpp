#include "protocol/local_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/unique_fd.hpp"

namespace sccache {

namespace {

constexpr int kBacklog = 512;

struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
};

Expected<UnixAddress> unix_address(const LocalEndpoint& ep) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  std::string name = ep.is_abstract() ? ep.uds.substr(4) : ep.uds;
  const size_t room = sizeof a.addr.sun_path - 1;  // a path's NUL, or an abstract name's leading NUL
  if (name.empty() || name.size() > room || name.find('\0') != std::string::npos) {
    return make_error("SCCACHE_SERVER_UDS: `" + ep.uds + "` is empty or longer than " + std::to_string(room) +
                      " bytes");
  }
  size_t offset = ep.is_abstract() ? 1 : 0;  // abstract: sun_path[0] stays NUL
  std::memcpy(a.addr.sun_path + offset, name.data(), name.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + name.size() + (ep.is_abstract() ? 0 : 1));
  return a;
}

// The directory holding a socket path must not let another user replace the socket.
Status check_socket_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error("SCCACHE_SERVER_UDS: cannot create " + dir + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return make_error("SCCACHE_SERVER_UDS: " + errno_text(dir));
  if (!S_ISDIR(st.st_mode)) return make_error("SCCACHE_SERVER_UDS: " + dir + " is not a directory");
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return make_error("SCCACHE_SERVER_UDS: " + dir + " belongs to uid " + std::to_string(st.st_uid) +
                      ", not to this user");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return make_error("SCCACHE_SERVER_UDS: " + dir +
                      " is writable by other users (and not sticky): another user could replace the socket");
  }
  return Ok{};
}

// A socket file already at the path: ours and dead is removed; anything else is an error.
Status clear_stale_socket(const LocalEndpoint& ep, const UnixAddress& a) {
  struct stat st {};
  if (::lstat(ep.uds.c_str(), &st) != 0) return Ok{};
  if (!S_ISSOCK(st.st_mode)) return make_error("SCCACHE_SERVER_UDS: " + ep.uds + " exists and is not a socket");
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.valid() && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len) == 0) {
    return make_error("cannot listen on " + ep.describe() + ": another server is listening there");
  }
  if (st.st_uid != ::geteuid()) {
    return make_error("SCCACHE_SERVER_UDS: " + ep.uds + " is a socket of uid " + std::to_string(st.st_uid));
  }
  if (::unlink(ep.uds.c_str()) != 0 && errno != ENOENT) return make_error("SCCACHE_SERVER_UDS: " + errno_text(ep.uds));
  return Ok{};
}

Expected<int> listen_unix(const LocalEndpoint& ep) {
  SCCACHE_TRY(a, unix_address(ep));
  if (!ep.is_abstract()) {
    SCCACHE_TRY_STATUS(check_socket_dir(dirname_of(ep.uds)));
    SCCACHE_TRY_STATUS(clear_stale_socket(ep, a));
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(errno_text("socket"));
  // The socket inode's mode becomes the file's mode at bind: private from its first moment.
  ::fchmod(fd.get(), 0600);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0 || ::listen(fd.get(), kBacklog) != 0) {
    return make_error("cannot listen on " + ep.describe() + ": " + std::strerror(errno));
  }
  if (!ep.is_abstract() && ::chmod(ep.uds.c_str(), 0600) != 0) {
    return make_error("SCCACHE_SERVER_UDS: " + errno_text("chmod " + ep.uds));
  }
  return fd.release();
}

Expected<int> listen_tcp(const LocalEndpoint& ep) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(errno_text("socket"));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(ep.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), kBacklog) != 0) {
    return make_error("cannot listen on " + ep.describe() + ": " + std::strerror(errno));
  }
  return fd.release();
}

}  // namespace

std::string LocalEndpoint::describe() const {
  if (is_abstract()) return "abstract unix socket @" + uds.substr(4);
  if (is_unix()) return "unix socket " + uds;
  return "127.0.0.1:" + std::to_string(port);
}

Expected<int> listen_local(const LocalEndpoint& ep) { return ep.is_unix() ? listen_unix(ep) : listen_tcp(ep); }

Expected<int> connect_local(const LocalEndpoint& ep, ConnectOutcome* outcome) {
  *outcome = ConnectOutcome::failed;
  UniqueFd fd(::socket(ep.is_unix() ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(errno_text("socket"));
  int rc = 0;
  if (ep.is_unix()) {
    SCCACHE_TRY(a, unix_address(ep));
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(ep.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    int e = errno;
    if (e == ECONNREFUSED || e == ENOENT) *outcome = ConnectOutcome::nobody_listening;
    return make_error("cannot connect to " + ep.describe() + ": " + std::strerror(e));
  }
  if (!ep.is_unix()) {
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  *outcome = ConnectOutcome::ok;
  return fd.release();
}

void remove_local(const LocalEndpoint& ep) {
  if (ep.is_unix() && !ep.is_abstract()) ::unlink(ep.uds.c_str());
}

}  // namespace sccache
