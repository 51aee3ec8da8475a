#include "cache/backends/webdav/webdav_storage.hpp"

#include <spdlog/spdlog.h>

#include "cache/http_failure.hpp"
#include "cache/storage_backend.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

std::string describe(const HttpResponse& r) {
  std::string body = r.body.substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + trim(body));
}


}  // namespace

Expected<std::unique_ptr<WebdavStorage>> WebdavStorage::create(const WebdavConfig& config, RemoteTimeouts timeouts) {
  std::string base = config.endpoint;
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return storage_error(StorageFailure::misconfigured,
                         "SCCACHE_WEBDAV_ENDPOINT must be an http:// or https:// URL, not `" + base + "`");
  }
  if (base.find('@') != std::string::npos && base.find('@') < base.find('/', base.find("//") + 2)) {
    return storage_error(StorageFailure::misconfigured,
                         "SCCACHE_WEBDAV_ENDPOINT must not carry credentials: use SCCACHE_WEBDAV_USERNAME and "
                         "SCCACHE_WEBDAV_PASSWORD (or SCCACHE_WEBDAV_TOKEN)");
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  SCCACHE_TRY(http, HttpClient::create(HttpOptions{timeouts.connect, timeouts.io}));
  return std::unique_ptr<WebdavStorage>(
      new WebdavStorage(config, std::move(base), normalized_key_prefix(config.key_prefix), std::move(http)));
}

WebdavStorage::WebdavStorage(WebdavConfig config, std::string base, std::string prefix, std::unique_ptr<HttpClient> http)
    : config_(std::move(config)), base_(std::move(base)), prefix_(std::move(prefix)), http_(std::move(http)) {
  if (config_.token) {
    authorization_ = "Bearer " + *config_.token;
  } else if (config_.username) {
    authorization_ = "Basic " + base64_encode(*config_.username + ":" + config_.password.value_or(""));
  }
}

std::string WebdavStorage::location() const {
  return "WebDAV, endpoint: " + base_ + (prefix_.empty() ? "" : ", prefix: " + prefix_);
}

std::string WebdavStorage::object_path(const std::string& key) const { return sharded_object_name(prefix_, key); }

Expected<HttpResponse> WebdavStorage::send(const std::string& method, const std::string& path, const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = base_ + "/" + path;
  if (!authorization_.empty()) req.headers.emplace_back("Authorization", authorization_);
  if (method == "PUT") req.headers.emplace_back("Content-Type", "application/octet-stream");
  req.body = body;
  auto r = http_->perform(req);
  if (!r) {
    return unanswered(r.error(), method + " " + req.url);
  }
  return r;
}

Expected<std::optional<std::string>> WebdavStorage::get(const std::string& key) {
  SCCACHE_TRY(r, send("GET", object_path(key), ""));
  if (r.status == 200) return std::optional<std::string>(std::move(r.body));
  if (r.status == 404) return std::optional<std::string>();
  return storage_error(failure_of_status(r.status), "GET " + object_path(key) + ": " + describe(r));
}

// MKCOL of every collection above `path`, top down; "already there" (405) is fine.
Status WebdavStorage::make_collections(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    SCCACHE_TRY(r, send("MKCOL", path.substr(0, slash + 1), ""));
    if (r.status != 201 && r.status != 405 && r.status != 200) {
      return storage_error(failure_of_status(r.status), "MKCOL " + path.substr(0, slash + 1) + ": " + describe(r));
    }
  }
  return Ok{};
}

Status WebdavStorage::put(const std::string& key, const std::string& bytes) {
  const std::string path = object_path(key);
  SCCACHE_TRY(r, send("PUT", path, bytes));
  // A collection above it is missing: RFC 4918 says 409, nginx's DAV module answers 500.
  if (r.status == 409 || r.status == 500) {
    SCCACHE_TRY_STATUS(make_collections(path));
    SCCACHE_TRY(again, send("PUT", path, bytes));
    r = std::move(again);
  }
  if (r.status == 200 || r.status == 201 || r.status == 204) return Ok{};
  if (r.status == 413) {
    return storage_error(StorageFailure::item_rejected, "PUT " + path + ": " + describe(r) + " (entry of " +
                                                            std::to_string(bytes.size()) + " bytes)");
  }
  return storage_error(failure_of_status(r.status), "PUT " + path + ": " + describe(r));
}

void WebdavStorage::remove(const std::string& key) {
  auto r = send("DELETE", object_path(key), "");
  if (!r) spdlog::debug("{}: delete failed: {}", location(), r.error().message);
}

namespace {

Expected<std::unique_ptr<Storage>> create_webdav(const Config& config, const EnvMap& env, const RemoteTimeouts& t) {
  (void)env;
  auto storage = WebdavStorage::create(*config.remote.webdav, t);
  if (!storage) return make_error("WebDAV cache (SCCACHE_WEBDAV_ENDPOINT / [cache.webdav]): " + storage.error().message);
  return std::unique_ptr<Storage>(std::move(*storage));
}

}  // namespace

const StorageBackend kWebdavBackend{"WebDAV", "webdav", [](const RemoteCacheConfig& r) { return r.webdav.has_value(); },
                                    create_webdav};

}  // namespace sccache
