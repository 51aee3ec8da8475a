#pragma once
// Immutable typed configuration: defaults, then the TOML config file, then environment variables.
// Every string from the user ends here; the rest of the program sees typed values.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

using EnvMap = std::map<std::string, std::string>;

struct DiskCacheConfig {
  std::string dir;
  uint64_t size = 10ULL << 30;
};

// Remote backends. Each URL keeps where it came from ("SCCACHE_REDIS" or "`cache.redis.url`"),
// so that a bad value is reported against the setting that holds it.
struct S3Config {
  std::string bucket;
  std::optional<std::string> endpoint;       // host[:port] or URL; none = AWS
  std::string region = "us-east-1";
  std::string key_prefix;                    // as given; normalized by the backend
  std::optional<bool> use_ssl;               // none = https for AWS, the URL's scheme or http otherwise
  std::optional<bool> virtual_host_style;    // none = virtual-host for AWS, path style for an endpoint
  bool no_credentials = false;               // anonymous, read-only
};

// WebDAV / HTTP storage (newest sccache's SCCACHE_WEBDAV_*).
struct WebdavConfig {
  std::string endpoint;  // http(s)://host[:port][/path]
  std::string key_prefix;
  std::optional<std::string> username, password, token;
};

// Azure Blob: a connection string (account, key or SAS, endpoint) and an existing container.
struct AzureConfig {
  std::string connection_string;  // never printed: it holds the account key
  std::string container;
  std::string key_prefix;
};

// Google Cloud Storage (SPEC 5.6, newest sccache's SCCACHE_GCS_*): a bucket, and at most one
// way to get an OAuth token (a service-account key file wins over a credentials URL, which wins
// over an OAuth token URL); none: anonymous requests (a public bucket).
struct GcsConfig {
  std::string bucket;
  std::string key_prefix;
  std::string key_path;         // service-account JSON key file
  std::string credentials_url;  // GET -> {"accessToken","expireTime"} (Taskcluster; deprecated)
  std::string oauth_url;        // GET -> {"access_token","expires_in"} (e.g. the GCE metadata server)
  std::string endpoint;         // the JSON API's base URL; default https://www.googleapis.com
};

struct RemoteCacheConfig {
  std::optional<S3Config> s3;
  std::optional<std::string> redis_url;
  std::string redis_origin;
  std::optional<std::string> memcached_url;
  std::string memcached_origin;
  std::optional<GcsConfig> gcs;
  std::optional<AzureConfig> azure;
  std::optional<WebdavConfig> webdav;
  // Backends used for reads only, by their `[cache.<name>]` section name: `rw_mode = "READ_ONLY"`
  // there, or SCCACHE_<NAME>_RW_MODE=READ_ONLY (newest sccache's names). GCS is read-only unless
  // told READ_WRITE, as in sccache.
  std::map<std::string, bool, std::less<>> read_only;
  [[nodiscard]] bool is_read_only(std::string_view section) const {
    auto it = read_only.find(section);
    return it != read_only.end() ? it->second : section == "gcs";
  }
  // A multi-level chain (SCCACHE_MULTILEVEL_CHAIN / [cache.multilevel] chain), fastest first:
  // section names (disk, s3, redis, memcached, gcs, azure, webdav), each configured as usual.
  std::vector<std::string> multilevel_chain;
  std::string multilevel_origin;               // the setting that named the chain, for errors
  std::string multilevel_write_policy = "l0";  // ignore | l0 | all
};

// `[[dist.toolchains]]`: how to get a compiler to the build servers other than packaging it.
struct DistToolchainConfig {
  std::string type;                         // "path_override" or "no_dist"
  std::string compiler_executable;          // the local compiler this entry is for
  std::string archive;                      // path_override: a tar.gz of the toolchain
  std::string archive_compiler_executable;  // path_override: the compiler's path inside it
};

struct DistConfig {
  std::optional<std::string> scheduler_url;
  std::vector<DistToolchainConfig> toolchains;
  std::optional<std::string> cache_dir;
  uint64_t toolchain_cache_size = 10ULL << 30;
  std::string auth_type = "token";
  std::string auth_token = "dangerously_insecure_client";
};

constexpr uint64_t kMaxIdleTimeoutSecs = 365ULL * 24 * 3600;  // a year; 0 = never
constexpr uint64_t kMinFrameLength = 64ULL << 10;
constexpr uint32_t kDefaultFrameLength = 16U << 20;  // as sccache
constexpr uint64_t kMaxFrameLength = 1ULL << 30;

struct Config {
  DiskCacheConfig disk;
  RemoteCacheConfig remote;
  DistConfig dist;
  uint16_t port = 4226;
  std::string server_uds;      // SCCACHE_SERVER_UDS: a unix socket instead of 127.0.0.1:port
  uint64_t idle_timeout_secs = 600;
  uint32_t max_frame_length = kDefaultFrameLength;  // SCCACHE_MAX_FRAME_LENGTH: largest client request
  bool direct_mode = true;     // SCCACHE_DIRECT: skip the preprocessor when a manifest proves it safe
  std::string log_level;       // empty = logging off
  std::string error_log;       // empty = stderr
  std::string config_path;     // the file that was read (may not exist)
};

// Reads the config file (SCCACHE_CONF or $XDG_CONFIG_HOME/sccache/config or
// ~/.config/sccache/config) and applies env overrides. Errors name the key at fault.
Expected<Config> load_config(const EnvMap& env);
// Parses config file text (TOML); `origin` names the file in errors.
Status apply_config_text(Config& cfg, const std::string& text, const std::string& origin);
EnvMap env_from_environ(char** environ_ptr);

}  // namespace sccache
