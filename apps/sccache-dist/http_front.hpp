#pragma once
// The HTTP(S) front of both sccache-dist daemons: cpp-httplib's Server (routing, request parsing,
// replies) with its connection handling replaced, so that no client can hold a worker for long:
//   - a pool of `http_workers` threads (httplib::ThreadPool via new_task_queue) serves the
//     connections; accepted connections queue for a free worker;
//   - the TLS handshake (build server) and the request line + headers must arrive whole within
//     `http_header_timeout_secs` of the worker taking the connection (of the previous reply on a
//     kept-alive one); dripping bytes does not extend it. On the scheduler the (small) body must
//     arrive within that deadline too; request line + headers are at most 64 KiB;
//   - every other read and write must make progress within `http_io_timeout_secs`
//     (httplib's read/write timeouts, which this front uses for its own sockets);
//   - the listening socket is exclusive (SO_REUSEADDR, no SO_REUSEPORT): a second daemon on the
//     same port fails to start instead of taking half the requests.
// httplib 0.11 has no whole-header deadline and does the TLS handshake with a per-read timeout
// only, so the connection loop (process_and_close_socket) is ours; it calls httplib's
// process_request for each request on the connection.
#include <httplib.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "distributed/common/dist_config.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

// A body refused unread is drained (so that the client can read the refusal) when its declared
// length is at most this and it arrives within http_io_timeout_secs; otherwise the connection is
// closed after the reply.
inline constexpr uint64_t kMaxDiscardedBody = 64ULL << 20;

class HttpFront final : public httplib::Server {
 public:
  // `body_within_header_deadline`: the scheduler's bodies (at most 1 MiB) count against the
  // header deadline; the build server's (toolchains, inputs) only against the io timeout.
  HttpFront(const HttpLimits& limits, bool body_within_header_deadline);
  ~HttpFront() override;
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Serve HTTPS with this certificate and key (PEM), TLS >= 1.2.
  Status use_tls(const std::string& cert_pem, const std::string& key_pem);

  // For handlers: close the connection after the current reply (part of the body is unread).
  static void close_after_reply();

  // For POST handlers with a content reader, after authenticating the request: reads the body
  // into `out`. It must declare a Content-Length (else 411) of at most `max` bytes (else 413), and
  // also decompressed be at most `max`. On refusal `res` holds the error naming `setting` and the
  // result is false.
  static bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                        uint64_t max, const std::string& setting, std::string& out);
  // Refuses a request whose body is not wanted (e.g. before a 401): drains up to
  // kMaxDiscardedBody of it within the io timeout, else marks the connection to be closed.
  static void discard_body(const httplib::Request& req, const httplib::ContentReader& reader);

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool serve(socket_t sock, SSL* ssl);

  HttpLimits limits_;
  bool body_within_header_deadline_;
  SSL_CTX* tls_ = nullptr;
};

}  // namespace sccache::dist
