#include "cache/backends/gcs/gcs_storage.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "cache/http_failure.hpp"
#include "cache/storage_backend.hpp"
#include "net/sigv4.hpp"

namespace sccache {

namespace {

constexpr std::string_view kDefaultEndpoint = "https://www.googleapis.com";

// `HTTP 403: <message>` from the JSON API's error body {"error": {"code": N, "message": "..."}}.
std::string describe(const HttpResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    if (e.contains("message") && e["message"].is_string()) out += ": " + e["message"].get<std::string>();
  }
  return out;
}

}  // namespace

Expected<std::unique_ptr<GcsStorage>> GcsStorage::create(const GcsConfig& config, bool read_only, RemoteTimeouts timeouts) {
  if (config.bucket.empty()) return storage_error(StorageFailure::misconfigured, "SCCACHE_GCS_BUCKET is empty");
  if (!config.endpoint.empty() && config.endpoint.rfind("http://", 0) != 0 && config.endpoint.rfind("https://", 0) != 0) {
    return storage_error(StorageFailure::misconfigured, "SCCACHE_GCS_ENDPOINT must be an http:// or https:// URL");
  }
  SCCACHE_TRY(http, HttpClient::create(HttpOptions{timeouts.connect, timeouts.io}));
  std::unique_ptr<GcsStorage> storage(new GcsStorage(config, std::move(http)));
  SCCACHE_TRY(tokens, GcsTokenSource::create(config, read_only, *storage->http_));
  storage->tokens_ = std::move(tokens);
  return storage;
}

GcsStorage::GcsStorage(const GcsConfig& config, std::unique_ptr<HttpClient> http)
    : bucket_(config.bucket),
      prefix_(normalized_key_prefix(config.key_prefix)),
      endpoint_(config.endpoint.empty() ? std::string(kDefaultEndpoint) : config.endpoint),
      http_(std::move(http)) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

std::string GcsStorage::location() const {
  return "GCS, bucket: Bucket(name=" + bucket_ + ")" + (prefix_.empty() ? "" : ", prefix: " + prefix_);
}

std::string GcsStorage::object_name(const std::string& key) const { return sharded_object_name(prefix_, key); }

Expected<HttpResponse> GcsStorage::send(HttpRequest request, const std::string& what) {
  const size_t plain_headers = request.headers.size();
  for (int attempt = 0;; ++attempt) {
    SCCACHE_TRY(token, tokens_->bearer());
    request.headers.resize(plain_headers);
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http_->perform(request);
    if (!r) {
      return unanswered(r.error(), what);
    }
    if (r->status != 401 || token.empty() || attempt > 0) return r;
    spdlog::debug("GCS cache: {}: token refused, fetching a new one", what);
    tokens_->forget(token);
  }
}

Expected<std::optional<std::string>> GcsStorage::get(const std::string& key) {
  const std::string name = object_name(key);
  HttpRequest req;
  req.url = endpoint_ + "/download/storage/v1/b/" + aws::uri_encode(bucket_, true) + "/o/" + aws::uri_encode(name, true) +
            "?alt=media";
  SCCACHE_TRY(r, send(std::move(req), "GET " + name));
  if (r.status == 200) return std::optional<std::string>(std::move(r.body));
  if (r.status == 404) return std::optional<std::string>();
  return storage_error(failure_of_status(r.status), "GET " + name + ": " + describe(r));
}

Status GcsStorage::put(const std::string& key, const std::string& bytes) {
  const std::string name = object_name(key);
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_ + "/upload/storage/v1/b/" + aws::uri_encode(bucket_, true) +
            "/o?uploadType=media&name=" + aws::uri_encode(name, true);
  req.headers = {{"Content-Type", "application/octet-stream"}};
  req.body = bytes;
  SCCACHE_TRY(r, send(std::move(req), "PUT " + name));
  if (r.status == 200 || r.status == 201) return Ok{};
  if (r.status == 404) {
    return storage_error(StorageFailure::misconfigured, "bucket `" + bucket_ + "`: " + describe(r));
  }
  if (r.status == 413) {
    return storage_error(StorageFailure::item_rejected, "PUT " + name + ": " + describe(r) + " (entry of " +
                                                            std::to_string(bytes.size()) + " bytes)");
  }
  return storage_error(failure_of_status(r.status), "PUT " + name + ": " + describe(r));
}

void GcsStorage::remove(const std::string& key) {
  HttpRequest req;
  req.method = "DELETE";
  req.url = endpoint_ + "/storage/v1/b/" + aws::uri_encode(bucket_, true) + "/o/" + aws::uri_encode(object_name(key), true);
  auto r = send(std::move(req), "DELETE " + object_name(key));
  if (!r) spdlog::debug("{}: delete failed: {}", location(), r.error().message);
}

namespace {

Expected<std::unique_ptr<Storage>> create_gcs(const Config& config, const EnvMap& env, const RemoteTimeouts& t) {
  (void)env;
  auto storage = GcsStorage::create(*config.remote.gcs, config.remote.is_read_only("gcs"), t);
  if (!storage) return make_error("GCS cache (SCCACHE_GCS_* / [cache.gcs]): " + storage.error().message);
  spdlog::info("GCS cache: bucket {}, tokens from {}", config.remote.gcs->bucket, (*storage)->tokens().origin());
  return std::unique_ptr<Storage>(std::move(*storage));
}

}  // namespace

const StorageBackend kGcsBackend{"GCS", "gcs", [](const RemoteCacheConfig& r) { return r.gcs.has_value(); }, create_gcs};

}  // namespace sccache
