#include "cache/backends/gcs/gcs_token_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "cache/http_failure.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

constexpr std::string_view kReadOnlyScope = "https://www.googleapis.com/auth/devstorage.read_only";
constexpr std::string_view kReadWriteScope = "https://www.googleapis.com/auth/devstorage.read_write";
// A token is renewed this long before it expires (or at half its life, if that is shorter), so a
// request never goes out with a token that lapses on the way.
constexpr int64_t kRenewBeforeSecs = 300;

int64_t now_secs() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Expected<std::unique_ptr<GcsTokenSource>> GcsTokenSource::create(const GcsConfig& config, bool read_only, HttpClient& http) {
  Kind kind = !config.key_path.empty()          ? Kind::service_account
              : !config.credentials_url.empty() ? Kind::credentials_url
              : !config.oauth_url.empty()       ? Kind::oauth_url
                                                : Kind::anonymous;
  std::unique_ptr<GcsTokenSource> source(new GcsTokenSource(kind, http));
  source->scope_ = std::string(read_only ? kReadOnlyScope : kReadWriteScope);
  source->url_ = kind == Kind::credentials_url ? config.credentials_url : config.oauth_url;
  if (kind != Kind::service_account) return source;
  auto text = read_file(config.key_path);
  if (!text) return storage_error(StorageFailure::misconfigured, "SCCACHE_GCS_KEY_PATH: cannot read " + config.key_path);
  auto account = google::parse_service_account(*text);
  if (!account) {
    return storage_error(StorageFailure::misconfigured, "SCCACHE_GCS_KEY_PATH (" + config.key_path + "): " + account.error().message);
  }
  // Sign once now, so a key OpenSSL cannot use is a start-up error rather than a miss per compile.
  if (auto probe = google::jwt_assertion(*account, source->scope_, now_secs()); !probe) {
    return storage_error(StorageFailure::misconfigured, "SCCACHE_GCS_KEY_PATH (" + config.key_path + "): " + probe.error().message);
  }
  source->account_ = std::move(*account);
  return source;
}

std::string GcsTokenSource::origin() const {
  switch (kind_) {
    case Kind::service_account: return "SCCACHE_GCS_KEY_PATH";
    case Kind::credentials_url: return "SCCACHE_GCS_CREDENTIALS_URL";
    case Kind::oauth_url: return "SCCACHE_GCS_OAUTH_URL";
    case Kind::anonymous: break;
  }
  return "anonymous";
}

Expected<std::string> GcsTokenSource::bearer() {
  if (kind_ == Kind::anonymous) return std::string();
  std::lock_guard lock(mu_);
  int64_t now = now_secs();
  if (token_ && now < refresh_at_) return token_->token;
  SCCACHE_TRY(fresh, fetch());
  int64_t life = std::max<int64_t>(fresh.expires_at - now, 0);
  refresh_at_ = now + life - std::min(kRenewBeforeSecs, life / 2);
  spdlog::debug("GCS cache: new token from {}, valid {} s", origin(), life);
  token_ = std::move(fresh);
  return token_->token;
}

void GcsTokenSource::forget(const std::string& token) {
  std::lock_guard lock(mu_);
  if (token_ && token_->token == token) token_.reset();
}

Expected<HttpResponse> GcsTokenSource::call(const HttpRequest& request) {
  auto r = http_.perform(request);
  if (!r) {
    return unanswered(r.error(), origin() + ": token request");
  }
  if (r->status >= 500) {
    return storage_error(StorageFailure::unavailable, origin() + ": token request: HTTP " + std::to_string(r->status));
  }
  return r;
}

Expected<google::AccessToken> GcsTokenSource::exchange_assertion() {
  SCCACHE_TRY(assertion, google::jwt_assertion(account_, scope_, now_secs()));
  HttpRequest req;
  req.method = "POST";
  req.url = account_.token_uri;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = google::token_request_body(assertion);
  SCCACHE_TRY(r, call(req));
  auto token = google::parse_token_response(r.body, now_secs());
  if (!token) {
    return storage_error(StorageFailure::denied, origin() + ": " + account_.token_uri + " answered HTTP " +
                                                     std::to_string(r.status) + ": " + token.error().message);
  }
  return token;
}

Expected<google::AccessToken> GcsTokenSource::fetch() {
  if (kind_ == Kind::service_account) return exchange_assertion();
  HttpRequest req;
  req.url = url_;
  // The metadata server answers only requests that say they expect it.
  if (kind_ == Kind::oauth_url) req.headers = {{"Metadata-Flavor", "Google"}};
  SCCACHE_TRY(r, call(req));
  auto token = kind_ == Kind::credentials_url ? google::parse_credentials_response(r.body)
                                              : google::parse_token_response(r.body, now_secs());
  if (r.status != 200 || !token) {
    return storage_error(StorageFailure::denied, origin() + ": HTTP " + std::to_string(r.status) +
                                                     (token ? std::string() : ": " + token.error().message));
  }
  return token;
}

}  // namespace sccache
