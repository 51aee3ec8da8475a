#pragma once
// A small blocking HTTP client over libcurl (loaded on first use), with a pool of easy handles
// so that requests reuse connections: a cache hit must not pay a TCP or TLS handshake each time.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set: TLS peers are verified against this PEM (and only it), e.g. a build server's
  // self-signed certificate published by the scheduler.
  std::string ca_pem;
  bool accept_gzip = false;  // ask for a compressed reply; the body comes back decoded
};

struct HttpResponse {
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// Error::code of a transfer that timed out (connect, or no progress for the stall timeout).
constexpr int kHttpTimedOut = 1;

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{1000};
  // A transfer that makes no progress for this long fails (a total deadline would cut large
  // bodies on slow links; a stall bound does not).
  std::chrono::milliseconds stall_timeout{3000};
};

class HttpClient {
 public:
  // Fails with a message naming the package when libcurl cannot be loaded.
  static Expected<std::unique_ptr<HttpClient>> create(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Transport failures (refused, timeout, DNS, TLS) are errors (a timeout has code
  // kHttpTimedOut); any HTTP status is a response.
  Expected<HttpResponse> perform(const HttpRequest& request);

  struct Api;

 private:
  HttpClient(const Api& api, HttpOptions options) : api_(api), options_(options) {}
  void* acquire();
  void release(void* handle, bool healthy);

  const Api& api_;
  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_
};

}  // namespace sccache
