#include "http_front.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "dist_main.hpp"

namespace sccache::dist {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHeaderBytes = 64 * 1024;

// One connection's socket (and TLS session) as httplib's Stream. Reads wait at most the io
// timeout for progress, and never past the read deadline while one is set; writes wait at most
// the io timeout. A read that timed out fails (-1) and marks the connection timed out.
class ConnStream final : public httplib::Stream {
 public:
  ConnStream(int fd, SSL* ssl, std::chrono::seconds io) : fd_(fd), ssl_(ssl), io_(io) {}

  void set_read_deadline(std::optional<Clock::time_point> d) { deadline_ = d; }
  // Request line + headers may be at most kMaxHeaderBytes (httplib bounds a line only once it
  // has ended, and not the number of lines).
  void begin_headers() {
    in_headers_ = true;
    header_bytes_ = 0;
  }
  void end_headers() { in_headers_ = false; }
  [[nodiscard]] bool timed_out() const { return timed_out_; }
  [[nodiscard]] bool headers_unfinished() const { return in_headers_; }

  // Bytes of a next request already here, or arriving within `wait`.
  bool next_request_within(std::chrono::seconds wait) {
    if (buffered()) return true;
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(wait.count() * 1000));
    } while (r < 0 && errno == EINTR);
    return r > 0;
  }

  bool is_readable() const override { return buffered() || wait_for(POLLIN, false) > 0; }
  bool is_writable() const override { return wait_for(POLLOUT, true) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    ssize_t n = read_some(ptr, size);
    if (n > 0 && in_headers_ && (header_bytes_ += static_cast<size_t>(n)) > kMaxHeaderBytes) return -1;
    return n;
  }

  ssize_t read_some(char* ptr, size_t size) {
    if (ssl_ != nullptr) return tls_read(ptr, size);
    if (off_ < len_) {
      size_t n = std::min(size, len_ - off_);
      std::memcpy(ptr, buf_ + off_, n);
      off_ += n;
      return static_cast<ssize_t>(n);
    }
    while (true) {
      ssize_t n = ::recv(fd_, buf_, sizeof buf_, 0);
      if (n > 0) {
        off_ = 0;
        len_ = static_cast<size_t>(n);
        return read_some(ptr, size);
      }
      if (n == 0) return 0;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !await(POLLIN, false)) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    while (true) {
      if (ssl_ != nullptr) {
        int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
        if (n > 0) return n;
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_WRITE && await(POLLOUT, true)) continue;
        if (err == SSL_ERROR_WANT_READ && await(POLLIN, true)) continue;
        return -1;
      }
      ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !await(POLLOUT, true)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  [[nodiscard]] bool buffered() const { return off_ < len_ || (ssl_ != nullptr && SSL_pending(ssl_) > 0); }

  // poll for `events` up to the io timeout (and the read deadline unless `writing`):
  // > 0 ready, 0 timed out, < 0 error.
  int wait_for(short events, bool writing) const {
    auto limit = Clock::now() + io_;
    if (!writing && deadline_ && *deadline_ < limit) limit = *deadline_;
    while (true) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit - Clock::now()).count();
      if (ms <= 0) return 0;
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }
  bool await(short events, bool writing) {
    int r = wait_for(events, writing);
    if (r == 0) timed_out_ = true;
    return r > 0;
  }

  ssize_t tls_read(char* ptr, size_t size) {
    while (true) {
      int n = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (n > 0) return n;
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ && await(POLLIN, false)) continue;
      if (err == SSL_ERROR_WANT_WRITE && await(POLLOUT, false)) continue;
      return -1;
    }
  }

  template <typename F>
  void address(F get, std::string& ip, int& port) const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ip.clear();
    port = 0;
    if (get(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;  // NOLINT
    char text[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);  // NOLINT
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);  // NOLINT
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  int fd_;
  SSL* ssl_;
  std::chrono::seconds io_;
  std::optional<Clock::time_point> deadline_;
  bool timed_out_ = false;
  bool in_headers_ = false;
  size_t header_bytes_ = 0;
  char buf_[16384];
  size_t off_ = 0, len_ = 0;
};

// The connection the current worker thread serves (handlers run on it, synchronously).
struct Connection {
  ConnStream* stream = nullptr;
  bool close = false;
  std::chrono::seconds io{30};
};
thread_local Connection* t_connection = nullptr;

// Non-blocking SSL_accept that must finish by `deadline`.
bool tls_handshake(SSL* ssl, int fd, Clock::time_point deadline) {
  while (true) {
    int r = SSL_accept(ssl);
    if (r == 1) return true;
    int err = SSL_get_error(ssl, r);
    short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) return false;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (ms <= 0) return false;
    pollfd p{fd, events, 0};
    int pr = ::poll(&p, 1, static_cast<int>(ms));
    if (pr < 0 && errno != EINTR) return false;
  }
}

void refuse(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"description", message}}.dump(), "application/json");
}

// The declared Content-Length: nullopt when absent, repeated or not digits.
std::optional<uint64_t> content_length(const httplib::Request& req) {
  if (req.get_header_value_count("Content-Length") != 1) return std::nullopt;
  std::string v = req.get_header_value("Content-Length");
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace

HttpFront::HttpFront(const HttpLimits& limits, bool body_within_header_deadline)
    : limits_(limits), body_within_header_deadline_(body_within_header_deadline) {
  const auto workers = static_cast<size_t>(limits.workers);
  new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  set_read_timeout(static_cast<time_t>(limits.io_timeout_secs));
  set_write_timeout(static_cast<time_t>(limits.io_timeout_secs));
  set_tcp_nodelay(true);
  set_socket_options(exclusive_listen_options);
}

HttpFront::~HttpFront() {
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

Status HttpFront::use_tls(const std::string& cert_pem, const std::string& key_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return make_error("cannot set up TLS");
  if (tls_ != nullptr) SSL_CTX_free(tls_);
  tls_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO_free(kb);
  bool ok = cert != nullptr && key != nullptr && SSL_CTX_use_certificate(ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return make_error("cannot set up TLS with the server's certificate");
  return Ok{};
}

void HttpFront::close_after_reply() {
  if (t_connection != nullptr) t_connection->close = true;
}

bool HttpFront::process_and_close_socket(socket_t sock) {
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  SSL* ssl = nullptr;
  bool ok = false;
  if (tls_ != nullptr) {
    ssl = SSL_new(tls_);
    if (ssl != nullptr && SSL_set_fd(ssl, sock) == 1 &&
        tls_handshake(ssl, sock, Clock::now() + std::chrono::seconds(limits_.header_timeout_secs))) {
      ok = serve(sock, ssl);
      if (ok) SSL_shutdown(ssl);  // best effort, non-blocking
    }
    SSL_free(ssl);
    ERR_clear_error();
  } else {
    ok = serve(sock, nullptr);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

// Requests on one connection, kept alive up to httplib's keep-alive count and idle timeout. The
// first request's deadline runs from when the worker took the connection (the TLS handshake
// counts against it too), a later one's from the end of the previous reply.
bool HttpFront::serve(socket_t sock, SSL* ssl) {
  const auto header_timeout = std::chrono::seconds(limits_.header_timeout_secs);
  ConnStream stream(sock, ssl, std::chrono::seconds(limits_.io_timeout_secs));
  auto deadline = Clock::now() + header_timeout;
  bool ok = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (left != keep_alive_max_count_) {
      if (!stream.next_request_within(std::chrono::seconds(keep_alive_timeout_sec_))) break;
      deadline = Clock::now() + header_timeout;
    }
    stream.set_read_deadline(deadline);
    stream.begin_headers();
    Connection conn{&stream, false, std::chrono::seconds(limits_.io_timeout_secs)};
    t_connection = &conn;
    bool closed = false;
    ok = process_request(stream, left == 1, closed, [&](httplib::Request&) {
      stream.end_headers();
      if (!body_within_header_deadline_) stream.set_read_deadline(std::nullopt);
    });
    t_connection = nullptr;
    if (!ok || closed || conn.close || stream.timed_out() || stream.headers_unfinished()) break;
  }
  return ok;
}

bool HttpFront::read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                          uint64_t max, const std::string& setting, std::string& out) {
  if (req.has_header("Transfer-Encoding") || !content_length(req)) {
    discard_body(req, reader);
    refuse(res, 411, "the request needs one Content-Length (chunked bodies are not accepted)");
    return false;
  }
  uint64_t len = *content_length(req);
  if (len > max) {
    discard_body(req, reader);
    refuse(res, 413, "the body (" + std::to_string(len) + " bytes) is larger than the server's " + setting + " (" +
                         std::to_string(max) + " bytes)");
    return false;
  }
  out.clear();
  out.reserve(static_cast<size_t>(len));
  bool too_large = false;
  bool read = reader([&](const char* data, size_t n) {
    if (out.size() + n > max) {
      too_large = true;  // decompressed past the limit
      return false;
    }
    out.append(data, n);
    return true;
  });
  if (!read || too_large) {
    close_after_reply();
    out.clear();
    out.shrink_to_fit();
    if (too_large) {
      refuse(res, 413, "the decoded body is larger than the server's " + setting + " (" + std::to_string(max) + " bytes)");
    } else {
      refuse(res, 400, "the request body could not be read");
    }
    return false;
  }
  return true;
}

void HttpFront::discard_body(const httplib::Request& req, const httplib::ContentReader& reader) {
  auto len = content_length(req);
  if (t_connection == nullptr || req.has_header("Transfer-Encoding") || !len || *len > kMaxDiscardedBody ||
      req.has_header("Content-Encoding")) {
    close_after_reply();
    return;
  }
  if (*len == 0) return;
  // The drain gets the io timeout in all; a dripping client is cut off.
  t_connection->stream->set_read_deadline(Clock::now() + t_connection->io);
  if (!reader([](const char*, size_t) { return true; })) close_after_reply();
}

}  // namespace sccache::dist
