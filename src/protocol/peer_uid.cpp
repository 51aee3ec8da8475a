#include "protocol/peer_uid.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/unique_fd.hpp"

namespace sccache {

namespace {

constexpr unsigned kTcpSynRecv = 3;      // the kernel's TCP_SYN_RECV
constexpr unsigned kTcpNewSynRecv = 12;  // TCP_NEW_SYN_RECV

// The peer's socket is the one whose local address is our peer address and whose remote
// address is our local address: an exact lookup in the kernel's TCP table.
Expected<uid_t> diag_lookup(const sockaddr_in& peer, const sockaddr_in& local) {
  UniqueFd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl.valid()) {
    int code = errno == EMFILE || errno == ENFILE ? kPeerLookupNoDescriptor : 0;
    return make_error(errno_text("netlink socket"), code);
  }
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.req.sdiag_family = AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;
  msg.req.id.idiag_sport = peer.sin_port;
  msg.req.id.idiag_dport = local.sin_port;
  msg.req.id.idiag_src[0] = peer.sin_addr.s_addr;
  msg.req.id.idiag_dst[0] = local.sin_addr.s_addr;
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return make_error(errno_text("netlink send"));
  }
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
  if (n < 0) return make_error(errno_text("netlink receive"));
  auto* h = reinterpret_cast<nlmsghdr*>(buf);
  auto len = static_cast<unsigned>(n);
  for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      return make_error(std::string("socket lookup: ") + std::strerror(-err->error));
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    const auto* d = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    // A half-open connection is a request socket, which reports no owner.
    if (d->idiag_state == kTcpSynRecv || d->idiag_state == kTcpNewSynRecv) {
      return make_error("the peer's connection is not established yet");
    }
    return static_cast<uid_t>(d->idiag_uid);
  }
  return make_error("socket lookup: no answer from the kernel");
}

// /proc/net/tcp shows addresses as the hex of the in-memory (network order) 32-bit value.
std::string proc_address(const sockaddr_in& a) {
  char out[32];
  std::snprintf(out, sizeof out, "%08X:%04X", a.sin_addr.s_addr, ntohs(a.sin_port));
  return out;
}

Expected<uid_t> proc_lookup(const sockaddr_in& peer, const sockaddr_in& local) {
  SCCACHE_TRY(table, read_file("/proc/net/tcp", 64ULL << 20));
  const std::string want_local = proc_address(peer);
  const std::string want_remote = proc_address(local);
  for (const auto& line : split(table, '\n')) {
    std::istringstream in(line);
    std::vector<std::string> fields;
    for (std::string f; in >> f && fields.size() < 8;) fields.push_back(f);
    if (fields.size() < 8 || fields[1] != want_local || fields[2] != want_remote) continue;
    auto uid = parse_size(fields[7]);
    if (!uid) break;
    return static_cast<uid_t>(*uid);
  }
  return make_error("the peer's socket is not in /proc/net/tcp");
}

}  // namespace

Expected<uid_t> socket_peer_uid(int fd) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return make_error(errno_text("getsockname"));
  if (local.ss_family == AF_UNIX) {
    ucred cred{};
    socklen_t cl = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) return make_error(errno_text("SO_PEERCRED"));
    return cred.uid;
  }
  if (local.ss_family != AF_INET) return make_error("not a unix or IPv4 socket");
  sockaddr_in peer{};
  socklen_t pl = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) return make_error(errno_text("getpeername"));
  const auto& here = reinterpret_cast<const sockaddr_in&>(local);
  auto uid = diag_lookup(peer, here);
  if (uid || uid.error().code == kPeerLookupNoDescriptor) return uid;  // the fallback needs one too
  auto fallback = proc_lookup(peer, here);
  if (fallback) return fallback;
  return make_error(uid.error().message + "; " + fallback.error().message);
}

}  // namespace sccache
