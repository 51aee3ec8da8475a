#pragma once
// Where the GCS backend's OAuth bearer tokens come from (SPEC 5.6): a service-account key file
// (an RS256 JWT assertion exchanged at the key's token_uri), a Taskcluster-style credentials
// URL, an OAuth token URL such as the GCE metadata server's, or nothing (anonymous requests).
// A token is kept until shortly before it expires, and dropped when the storage refuses it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "net/google_auth.hpp"
#include "net/http.hpp"
#include "util/expected.hpp"

namespace sccache {

class GcsTokenSource {
 public:
  enum class Kind { anonymous, service_account, credentials_url, oauth_url };

  // Errors name the setting at fault (an unreadable or malformed key file), never the key.
  static Expected<std::unique_ptr<GcsTokenSource>> create(const GcsConfig& config, bool read_only, HttpClient& http);

  // The bearer token to send ("" when anonymous); fetched at most once at a time. Errors are
  // storage errors: `denied` when the token endpoint refuses, `unavailable`/`timeout` when it
  // cannot be reached.
  Expected<std::string> bearer();
  // The storage answered 401 to `token`: the next bearer() fetches a new one.
  void forget(const std::string& token);

  // The setting the tokens come from, for messages (`SCCACHE_GCS_KEY_PATH` ...).
  [[nodiscard]] std::string origin() const;

 private:
  GcsTokenSource(Kind kind, HttpClient& http) : kind_(kind), http_(http) {}
  Expected<google::AccessToken> fetch();
  Expected<google::AccessToken> exchange_assertion();
  Expected<HttpResponse> call(const HttpRequest& request);

  Kind kind_;
  HttpClient& http_;
  google::ServiceAccount account_;  // service_account
  std::string scope_;
  std::string url_;  // credentials_url / oauth_url

  mutable std::mutex mu_;
  std::optional<google::AccessToken> token_;  // guarded by mu_
  int64_t refresh_at_ = 0;                     // guarded by mu_
};

}  // namespace sccache
