#pragma once
// WebDAV / plain HTTP storage (newest sccache's SCCACHE_WEBDAV_*): GET and PUT of one object per
// entry under the endpoint, at <prefix><k0>/<k1>/<k2>/<key> as sccache lays them out. It also
// serves ccache's HTTP storage, bazel-remote and similar caches. A PUT the server refuses for a
// missing collection (409, or 500 from nginx) creates the collections (MKCOL, top down) and is
// tried once more.
#include <memory>
#include <optional>
#include <string>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"
#include "config/config.hpp"
#include "net/http.hpp"

namespace sccache {

class WebdavStorage final : public Storage {
 public:
  static Expected<std::unique_ptr<WebdavStorage>> create(const WebdavConfig& config, RemoteTimeouts timeouts);

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  // The endpoint and prefix, never the credentials.
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }

  // The object path for a cache key, below the endpoint: <prefix><k0>/<k1>/<k2>/<key>.
  [[nodiscard]] std::string object_path(const std::string& key) const;

 private:
  WebdavStorage(WebdavConfig config, std::string base, std::string prefix, std::unique_ptr<HttpClient> http);
  Expected<HttpResponse> send(const std::string& method, const std::string& path, const std::string& body);
  Status make_collections(const std::string& path);

  WebdavConfig config_;
  std::string base_;    // the endpoint without a trailing '/'
  std::string prefix_;  // "" or "dir/"
  std::string authorization_;  // the Authorization header value, or empty
  std::unique_ptr<HttpClient> http_;
};

}  // namespace sccache
