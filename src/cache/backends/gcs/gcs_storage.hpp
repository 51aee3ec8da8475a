#pragma once
// Google Cloud Storage (SPEC 5.6; newest sccache's SCCACHE_GCS_*): one object per entry at
// <prefix><k0>/<k1>/<k2>/<key> in the bucket, through the JSON API: media download
// (`/download/storage/v1/b/<bucket>/o/<name>?alt=media`), media upload
// (`/upload/storage/v1/b/<bucket>/o?uploadType=media&name=<name>`), with an OAuth bearer token
// from gcs_token_source.hpp.
#include <memory>
#include <optional>
#include <string>

#include "cache/backends/gcs/gcs_token_source.hpp"
#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"
#include "config/config.hpp"
#include "net/http.hpp"

namespace sccache {

class GcsStorage final : public Storage {
 public:
  // `read_only` picks the token's scope (devstorage.read_only or read_write).
  static Expected<std::unique_ptr<GcsStorage>> create(const GcsConfig& config, bool read_only, RemoteTimeouts timeouts);

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  // `GCS, bucket: Bucket(name=<bucket>)` (SPEC 3.2), and the prefix.
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }

  // The object's name for a cache key: <prefix><k0>/<k1>/<k2>/<key>.
  [[nodiscard]] std::string object_name(const std::string& key) const;
  [[nodiscard]] const GcsTokenSource& tokens() const { return *tokens_; }

 private:
  GcsStorage(const GcsConfig& config, std::unique_ptr<HttpClient> http);
  // One request with the current token; a 401 drops the token and tries once more with a new one.
  Expected<HttpResponse> send(HttpRequest request, const std::string& what);

  std::string bucket_;
  std::string prefix_;    // "" or "dir/"
  std::string endpoint_;  // no trailing '/'
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<GcsTokenSource> tokens_;
};

}  // namespace sccache
