#pragma once
// S3 backend: every request signed with AWS Signature V4 (when credentials exist), objects at
// <prefix><k0>/<k1>/<k2>/<key>, path-style or virtual-host-style addressing, HTTP(S) through a
// pooled libcurl client. Without credentials it reads anonymously and skips writes.
#include <memory>
#include <optional>
#include <string>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"
#include "config/config.hpp"
#include "net/http.hpp"
#include "net/sigv4.hpp"

namespace sccache {

// Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
// AWS_PROFILE (default "default") section of AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials.
// nullopt = none found (anonymous). A malformed credentials file is an error naming it.
Expected<std::optional<aws::Credentials>> find_aws_credentials(const EnvMap& env);

struct S3Target {
  std::string scheme;       // http or https
  std::string authority;    // Host header: host[:port]
  std::string path_prefix;  // "/bucket" for path style, "" for virtual-host style
  std::string key_prefix;   // "" or "dir/" (no leading slash)
};

Expected<S3Target> s3_target(const S3Config& config);

class S3Storage final : public Storage {
 public:
  static Expected<std::unique_ptr<S3Storage>> create(const S3Config& config, const EnvMap& env, RemoteTimeouts timeouts);

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }
  // Without credentials it reads anonymously: create_s3 wraps it in a ReadOnlyStorage.
  [[nodiscard]] bool has_credentials() const { return credentials_.has_value(); }

  // The object name for a cache key: <prefix><k0>/<k1>/<k2>/<key>.
  [[nodiscard]] std::string object_name(const std::string& key) const;

 private:
  S3Storage(S3Config config, S3Target target, std::optional<aws::Credentials> creds, std::unique_ptr<HttpClient> http)
      : config_(std::move(config)), target_(std::move(target)), credentials_(std::move(creds)), http_(std::move(http)) {}
  // Signs and sends, retrying 5xx and throttling (429, 503 SlowDown) with back-off.
  Expected<HttpResponse> send(const std::string& method, const std::string& key, const std::string& body);

  S3Config config_;
  S3Target target_;
  std::optional<aws::Credentials> credentials_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace sccache
