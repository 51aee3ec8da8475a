#include "protocol/messages.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <cstring>

#include "util/bytes.hpp"

namespace sccache {

namespace {

constexpr std::string_view kMagic = "SCCP";
constexpr std::string_view kGreeting = "SCCACHE-CPP-SERVER";

void header(ByteWriter& w, uint8_t type) {
  w.raw(kMagic);
  w.u32(kProtocolVersion);
  w.u8(type);
}

Expected<uint8_t> read_header(ByteReader& r, const std::string& payload) {
  if (payload.size() < kMagic.size() + 5 || payload.compare(0, kMagic.size(), kMagic) != 0) {
    return make_error("not an sccache-cpp message");
  }
  ByteReader skip(std::string_view(payload).substr(kMagic.size()));
  uint32_t version = 0;
  uint8_t type = 0;
  skip.u32(version);
  skip.u8(type);
  if (version != kProtocolVersion) {
    return make_error("protocol version " + std::to_string(version) + " is not " + std::to_string(kProtocolVersion));
  }
  r = ByteReader(std::string_view(payload).substr(kMagic.size() + 5));
  return type;
}

void write_stats(ByteWriter& w, const ServerInfo& info) {
  const ServerStats& s = info.stats;
  for (uint64_t v : {s.compile_requests, s.requests_unsupported_compiler, s.requests_not_compile,
                     s.requests_not_cacheable, s.requests_executed, s.cache_timeouts, s.cache_read_errors,
                     s.non_cacheable_compilations, s.forced_recaches, s.cache_write_errors, s.cache_writes,
                     s.compile_fails, s.dist_compiles, s.dist_errors, s.cache_writes_skipped}) {
    w.u64(v);
  }
  for (const Duration* d : {&s.cache_write_duration, &s.cache_read_hit_duration, &s.cache_read_miss_duration}) {
    w.u64(d->secs);
    w.u32(d->nanos);
  }
  for (const auto* m : {&s.cache_errors, &s.cache_hits, &s.cache_misses, &s.not_cached, &s.cache_hits_by_level}) {
    w.u64(m->size());
    for (const auto& [k, v] : *m) {
      w.str(k);
      w.u64(v);
    }
  }
  w.str(info.cache_location);
  for (const auto& o : {info.cache_size, info.max_cache_size}) {
    w.u8(o ? 1 : 0);
    w.u64(o.value_or(0));
  }
}

bool read_stats(ByteReader& r, ServerInfo& info) {
  ServerStats& s = info.stats;
  for (uint64_t* v : {&s.compile_requests, &s.requests_unsupported_compiler, &s.requests_not_compile,
                      &s.requests_not_cacheable, &s.requests_executed, &s.cache_timeouts, &s.cache_read_errors,
                      &s.non_cacheable_compilations, &s.forced_recaches, &s.cache_write_errors, &s.cache_writes,
                      &s.compile_fails, &s.dist_compiles, &s.dist_errors, &s.cache_writes_skipped}) {
    r.u64(*v);
  }
  for (Duration* d : {&s.cache_write_duration, &s.cache_read_hit_duration, &s.cache_read_miss_duration}) {
    r.u64(d->secs);
    r.u32(d->nanos);
  }
  for (auto* m : {&s.cache_errors, &s.cache_hits, &s.cache_misses, &s.not_cached, &s.cache_hits_by_level}) {
    uint64_t n = 0;
    if (!r.u64(n)) return false;
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string k;
      uint64_t v = 0;
      r.str(k);
      r.u64(v);
      (*m)[k] = v;
    }
  }
  r.str(info.cache_location);
  for (auto* o : {&info.cache_size, &info.max_cache_size}) {
    uint8_t has = 0;
    uint64_t v = 0;
    r.u8(has);
    r.u64(v);
    if (has != 0) *o = v;
  }
  return r.ok();
}

}  // namespace

std::string greeting_payload() {
  ByteWriter w;
  header(w, 0xFF);
  w.raw(kGreeting);
  return std::move(w.data());
}

bool is_greeting(const std::string& payload) { return payload == greeting_payload(); }

std::string encode_request(const Request& req) {
  ByteWriter w;
  header(w, static_cast<uint8_t>(req.index()));
  if (const auto* c = std::get_if<CompileRequest>(&req)) {
    w.str(c->exe);
    w.str(c->cwd);
    w.strs(c->args);
    w.strs(c->env);
    w.u32(c->umask);
    w.u8(c->stderr_is_tty ? 1 : 0);
  }
  return std::move(w.data());
}

Expected<Request> decode_request(const std::string& payload) {
  ByteReader r{std::string_view{}};
  SCCACHE_TRY(type, read_header(r, payload));
  switch (type) {
    case 0: return Request{ZeroStatsRequest{}};
    case 1: return Request{GetStatsRequest{}};
    case 2: return Request{ShutdownRequest{}};
    case 4: return Request{DistStatusRequest{}};
    case 3: {
      CompileRequest c;
      uint8_t tty = 0;
      r.str(c.exe);
      r.str(c.cwd);
      r.strs(c.args);
      r.strs(c.env);
      r.u32(c.umask);
      r.u8(tty);
      c.stderr_is_tty = tty != 0;
      if (!r.at_end()) return make_error("malformed compile request");
      return Request{std::move(c)};
    }
    default: return make_error("unknown request type " + std::to_string(type));
  }
}

std::string encode_response(const Response& resp) {
  ByteWriter w;
  header(w, static_cast<uint8_t>(resp.index()));
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, StatsResponse> || std::is_same_v<T, ShuttingDownResponse>) {
          write_stats(w, m.info);
        } else if constexpr (std::is_same_v<T, CompileUnhandled>) {
          w.str(m.reason);
        } else if constexpr (std::is_same_v<T, CompileFinished>) {
          w.i32(m.exit_code);
          w.i32(m.signal);
          w.str(m.stdout_data);
          w.str(m.stderr_data);
          w.u8(static_cast<uint8_t>(m.color));
        } else if constexpr (std::is_same_v<T, DistStatusResponse>) {
          w.str(m.json);
        } else {
          w.str(m.message);
        }
      },
      resp);
  return std::move(w.data());
}

Expected<Response> decode_response(const std::string& payload) {
  ByteReader r{std::string_view{}};
  SCCACHE_TRY(type, read_header(r, payload));
  switch (type) {
    case 0:
    case 1: {
      ServerInfo info;
      if (!read_stats(r, info) || !r.at_end()) return make_error("malformed stats response");
      if (type == 0) return Response{StatsResponse{std::move(info)}};
      return Response{ShuttingDownResponse{std::move(info)}};
    }
    case 2: {
      CompileUnhandled u;
      r.str(u.reason);
      if (!r.at_end()) return make_error("malformed response");
      return Response{std::move(u)};
    }
    case 3: {
      CompileFinished f;
      uint8_t color = 2;
      r.i32(f.exit_code);
      r.i32(f.signal);
      r.str(f.stdout_data);
      r.str(f.stderr_data);
      r.u8(color);
      if (!r.at_end() || color > 2) return make_error("malformed compile response");
      f.color = static_cast<WireColor>(color);
      return Response{std::move(f)};
    }
    case 4: {
      ErrorResponse e;
      r.str(e.message);
      if (!r.at_end()) return make_error("malformed error response");
      return Response{std::move(e)};
    }
    case 5: {
      DistStatusResponse d;
      r.str(d.json);
      if (!r.at_end()) return make_error("malformed dist status response");
      return Response{std::move(d)};
    }
    default: return make_error("unknown response type " + std::to_string(type));
  }
}

Status write_frame(int fd, const std::string& payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::string buf;
  buf.reserve(payload.size() + 4);
  for (int i = 3; i >= 0; --i) buf.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  buf += payload;
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t w = ::send(fd, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("send: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(w);
  }
  return Ok{};
}

namespace {
using Clock = std::chrono::steady_clock;

// Reads exactly n bytes, appending to `out` as they arrive (memory follows what the peer sent,
// not what it declared), before `deadline` (none: wait forever).
Status read_exact(int fd, std::string& out, size_t n, std::optional<Clock::time_point> deadline) {
  char buf[65536];
  size_t got = 0;
  while (got < n) {
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) return make_error("timed out reading a message");
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 3600 * 1000)));
      if (r == 0) return make_error("timed out reading a message");
      if (r < 0 && errno != EINTR) return make_error(std::string("poll: ") + std::strerror(errno));
      if (r < 0) continue;
    }
    ssize_t k = ::recv(fd, buf, std::min(sizeof buf, n - got), 0);
    if (k == 0) return make_error("connection closed");
    if (k < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("recv: ") + std::strerror(errno));
    }
    out.append(buf, static_cast<size_t>(k));
    got += static_cast<size_t>(k);
  }
  return Ok{};
}
}  // namespace

Expected<std::string> read_frame(int fd, int timeout_ms, uint32_t max_size) {
  std::optional<Clock::time_point> deadline;
  if (timeout_ms >= 0) deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string len;
  SCCACHE_TRY_STATUS(read_exact(fd, len, 4, deadline));
  auto b = [&](int i) { return uint32_t{static_cast<unsigned char>(len[static_cast<size_t>(i)])}; };
  uint32_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  if (n > max_size) {
    return make_error("message of " + std::to_string(n) + " bytes is larger than the limit of " +
                      std::to_string(max_size) + " (SCCACHE_MAX_FRAME_LENGTH)");
  }
  std::string payload;
  SCCACHE_TRY_STATUS(read_exact(fd, payload, n, deadline));
  return payload;
}

}  // namespace sccache
