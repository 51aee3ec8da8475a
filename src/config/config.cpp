#include "config/config.hpp"

#include <array>
#include <charconv>
#include <set>
#include <toml++/toml.h>

#include "config/toml_keys.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

std::optional<std::string> get(const EnvMap& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

Expected<std::optional<std::string>> opt_string(const toml::table& t, const std::string& prefix, const char* key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::optional<std::string>{};
  if (!n->is_string()) return make_error("configuration key `" + prefix + key + "` must be a string");
  return std::optional<std::string>{n->as_string()->get()};
}

Expected<std::optional<uint64_t>> opt_size(const toml::table& t, const std::string& prefix, const char* key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::optional<uint64_t>{};
  if (n->is_integer() && n->as_integer()->get() >= 0) {
    return std::optional<uint64_t>{static_cast<uint64_t>(n->as_integer()->get())};
  }
  if (n->is_string()) {
    if (auto s = parse_size(n->as_string()->get())) return std::optional<uint64_t>{*s};
  }
  return make_error("configuration key `" + prefix + key + "` must be a size in bytes (or like \"10G\")");
}

Expected<std::optional<bool>> opt_bool(const toml::table& t, const std::string& prefix, const char* key) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::optional<bool>{};
  if (!n->is_boolean()) return make_error("configuration key `" + prefix + key + "` must be true or false");
  return std::optional<bool>{n->as_boolean()->get()};
}

// "1/true/on/yes" or "0/false/off/no"; anything else is an error naming the variable.
Expected<bool> env_bool(const std::string& name, const std::string& value) {
  std::string d = to_lower(value);
  if (d == "1" || d == "true" || d == "on" || d == "yes") return true;
  if (d == "0" || d == "false" || d == "off" || d == "no") return false;
  return make_error(name + ": expected true or false, got `" + value + "`");
}

// A whole decimal number within [min, max]; anything else is an error naming the variable and
// the range (a huge value must not wrap into "exit at once" or "allocate everything").
Expected<uint64_t> env_number(const std::string& name, const std::string& value, uint64_t min, uint64_t max,
                              const char* unit) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size() || n < min || n > max) {
    return make_error(name + ": expected a number of " + unit + " from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got `" + value + "`");
  }
  return n;
}

const toml::table* sub_table(const toml::table& t, const char* key) {
  const toml::node* n = t.get(key);
  return n == nullptr ? nullptr : n->as_table();
}

Status apply_disk(Config& cfg, const toml::table& disk) {
  SCCACHE_TRY_STATUS(check_keys(disk, "cache.disk.", {"dir", "size"}));
  SCCACHE_TRY(dir, opt_string(disk, "cache.disk.", "dir"));
  SCCACHE_TRY(size, opt_size(disk, "cache.disk.", "size"));
  if (dir) cfg.disk.dir = *dir;
  if (size) cfg.disk.size = *size;
  return Ok{};
}

Status apply_s3(Config& cfg, const toml::table& s3) {
  SCCACHE_TRY_STATUS(check_keys(s3, "cache.s3.", {"bucket", "endpoint", "region", "key_prefix", "use_ssl", "rw_mode",
                                                  "enable_virtual_host_style", "no_credentials"}));
  SCCACHE_TRY(bucket, opt_string(s3, "cache.s3.", "bucket"));
  if (!bucket || bucket->empty()) return make_error("configuration key `cache.s3.bucket` is required");
  S3Config c;
  c.bucket = *bucket;
  SCCACHE_TRY(endpoint, opt_string(s3, "cache.s3.", "endpoint"));
  c.endpoint = endpoint;
  SCCACHE_TRY(region, opt_string(s3, "cache.s3.", "region"));
  if (region) c.region = *region;
  SCCACHE_TRY(prefix, opt_string(s3, "cache.s3.", "key_prefix"));
  if (prefix) c.key_prefix = *prefix;
  SCCACHE_TRY(ssl, opt_bool(s3, "cache.s3.", "use_ssl"));
  c.use_ssl = ssl;
  SCCACHE_TRY(vhost, opt_bool(s3, "cache.s3.", "enable_virtual_host_style"));
  c.virtual_host_style = vhost;
  SCCACHE_TRY(anon, opt_bool(s3, "cache.s3.", "no_credentials"));
  c.no_credentials = anon.value_or(false);
  cfg.remote.s3 = c;
  return Ok{};
}

Status apply_redis(Config& cfg, const toml::table& redis) {
  SCCACHE_TRY_STATUS(check_keys(redis, "cache.redis.", {"url", "rw_mode"}));
  SCCACHE_TRY(url, opt_string(redis, "cache.redis.", "url"));
  if (!url) return make_error("configuration key `cache.redis.url` is required");
  cfg.remote.redis_url = url;
  cfg.remote.redis_origin = "configuration key `cache.redis.url`";
  return Ok{};
}

Status apply_memcached(Config& cfg, const toml::table& mc) {
  SCCACHE_TRY_STATUS(check_keys(mc, "cache.memcached.", {"url", "rw_mode"}));
  SCCACHE_TRY(url, opt_string(mc, "cache.memcached.", "url"));
  if (!url) return make_error("configuration key `cache.memcached.url` is required");
  cfg.remote.memcached_url = url;
  cfg.remote.memcached_origin = "configuration key `cache.memcached.url`";
  return Ok{};
}

// sccache 0.2.10's keys (`url`: the credentials URL) and newest sccache's (`deprecated_url`,
// `oauth_url`, `key_prefix`); `endpoint` is ours, for a GCS-compatible server.
Status apply_gcs(Config& cfg, const toml::table& gcs) {
  SCCACHE_TRY_STATUS(check_keys(gcs, "cache.gcs.", {"bucket", "cred_path", "url", "deprecated_url", "oauth_url",
                                                    "key_prefix", "endpoint", "rw_mode"}));
  GcsConfig c;
  const std::pair<const char*, std::string*> fields[] = {
      {"bucket", &c.bucket},        {"cred_path", &c.key_path},        {"url", &c.credentials_url},
      {"oauth_url", &c.oauth_url},  {"deprecated_url", &c.credentials_url}, {"key_prefix", &c.key_prefix},
      {"endpoint", &c.endpoint}};
  for (const auto& [name, field] : fields) {
    SCCACHE_TRY(value, opt_string(gcs, "cache.gcs.", name));
    if (value) *field = *value;
  }
  SCCACHE_TRY(mode, opt_string(gcs, "cache.gcs.", "rw_mode"));
  if (c.bucket.empty()) return make_error("configuration key `cache.gcs.bucket` is required");
  if (!mode) return make_error("configuration key `cache.gcs.rw_mode` is required");
  if (*mode != "READ_ONLY" && *mode != "READ_WRITE") {
    return make_error("configuration key `cache.gcs.rw_mode` must be \"READ_ONLY\" or \"READ_WRITE\"");
  }
  cfg.remote.gcs = c;
  return Ok{};
}

Status apply_webdav(Config& cfg, const toml::table& dav) {
  SCCACHE_TRY_STATUS(check_keys(dav, "cache.webdav.", {"endpoint", "key_prefix", "username", "password", "token", "rw_mode"}));
  SCCACHE_TRY(endpoint, opt_string(dav, "cache.webdav.", "endpoint"));
  if (!endpoint || endpoint->empty()) return make_error("configuration key `cache.webdav.endpoint` is required");
  WebdavConfig c;
  c.endpoint = *endpoint;
  SCCACHE_TRY(prefix, opt_string(dav, "cache.webdav.", "key_prefix"));
  if (prefix) c.key_prefix = *prefix;
  SCCACHE_TRY(user, opt_string(dav, "cache.webdav.", "username"));
  SCCACHE_TRY(password, opt_string(dav, "cache.webdav.", "password"));
  SCCACHE_TRY(token, opt_string(dav, "cache.webdav.", "token"));
  c.username = user;
  c.password = password;
  c.token = token;
  cfg.remote.webdav = c;
  return Ok{};
}

Status apply_azure(Config& cfg, const toml::table& az) {
  // sccache 0.2.10: an empty marker (the settings come from the environment); newer sccache
  // takes them here too.
  SCCACHE_TRY_STATUS(check_keys(az, "cache.azure.", {"connection_string", "container", "key_prefix", "rw_mode"}));
  SCCACHE_TRY(conn, opt_string(az, "cache.azure.", "connection_string"));
  SCCACHE_TRY(container, opt_string(az, "cache.azure.", "container"));
  SCCACHE_TRY(prefix, opt_string(az, "cache.azure.", "key_prefix"));
  if (!conn) return Ok{};
  if (!container || container->empty()) return make_error("configuration key `cache.azure.container` is required with `connection_string`");
  cfg.remote.azure = AzureConfig{*conn, *container, prefix.value_or("")};
  return Ok{};
}

// A chain's levels, checked: known section names, each once.
Status set_chain(Config& cfg, const std::vector<std::string>& names, const std::string& origin) {
  static const std::set<std::string> known{"disk", "s3", "redis", "memcached", "gcs", "azure", "webdav"};
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (known.count(n) == 0) {
      return make_error(origin + ": unknown level `" + n + "` (levels: disk, s3, redis, memcached, gcs, azure, webdav)");
    }
    if (!seen.insert(n).second) return make_error(origin + ": level `" + n + "` appears twice");
  }
  if (names.empty()) return make_error(origin + " names no level");
  cfg.remote.multilevel_chain = names;
  cfg.remote.multilevel_origin = origin;
  return Ok{};
}

Status set_write_policy(Config& cfg, const std::string& policy, const std::string& origin) {
  if (policy != "ignore" && policy != "l0" && policy != "all") {
    return make_error(origin + " must be \"ignore\", \"l0\" or \"all\", not `" + policy + "`");
  }
  cfg.remote.multilevel_write_policy = policy;
  return Ok{};
}

Status apply_multilevel(Config& cfg, const toml::table& ml) {
  SCCACHE_TRY_STATUS(check_keys(ml, "cache.multilevel.", {"chain", "write_error_policy"}));
  if (const toml::node* chain = ml.get("chain")) {
    const auto* arr = chain->as_array();
    if (arr == nullptr) return make_error("configuration key `cache.multilevel.chain` must be an array of strings");
    std::vector<std::string> names;
    for (const auto& item : *arr) {
      if (!item.is_string()) return make_error("configuration key `cache.multilevel.chain` must be an array of strings");
      names.push_back(std::string(*item.value<std::string>()));
    }
    SCCACHE_TRY_STATUS(set_chain(cfg, names, "configuration key `cache.multilevel.chain`"));
  }
  SCCACHE_TRY(policy, opt_string(ml, "cache.multilevel.", "write_error_policy"));
  if (policy) SCCACHE_TRY_STATUS(set_write_policy(cfg, *policy, "configuration key `cache.multilevel.write_error_policy`"));
  return Ok{};
}

// The `[cache.*]` sections: one row per section, in the file's documented order.
struct CacheSection {
  std::string_view name;
  Status (*apply)(Config& cfg, const toml::table& section);
};
constexpr std::array kCacheSections = {
    CacheSection{"disk", apply_disk},   CacheSection{"s3", apply_s3},   CacheSection{"redis", apply_redis},
    CacheSection{"memcached", apply_memcached}, CacheSection{"gcs", apply_gcs}, CacheSection{"azure", apply_azure},
    CacheSection{"webdav", apply_webdav}, CacheSection{"multilevel", apply_multilevel},
};

// READ_ONLY or READ_WRITE; `what` names the setting in the error.
Expected<bool> parse_rw_mode(const std::string& value, const std::string& what) {
  if (value == "READ_ONLY") return true;
  if (value == "READ_WRITE") return false;
  return make_error(what + " must be \"READ_ONLY\" or \"READ_WRITE\", not `" + value + "`");
}

// A remote section's `rw_mode` (every section but disk takes one).
Status apply_rw_mode(Config& cfg, const toml::table& section, std::string_view name) {
  std::string prefix = "cache." + std::string(name) + ".";
  SCCACHE_TRY(mode, opt_string(section, prefix, "rw_mode"));
  if (!mode) return Ok{};
  SCCACHE_TRY(read_only, parse_rw_mode(*mode, "configuration key `" + prefix + "rw_mode`"));
  cfg.remote.read_only[std::string(name)] = read_only;
  return Ok{};
}

Status apply_cache(Config& cfg, const toml::table& cache) {
  std::set<std::string> names;
  for (const auto& section : kCacheSections) names.emplace(section.name);
  SCCACHE_TRY_STATUS(check_keys(cache, "cache.", names));
  for (const auto& [key, node] : cache) {
    if (!node.is_table()) return make_error("configuration key `cache." + std::string(key.str()) + "` must be a table");
  }
  for (const auto& section : kCacheSections) {
    // The names are string literals: data() is NUL-terminated.
    const auto* table = sub_table(cache, section.name.data());
    if (table == nullptr) continue;
    SCCACHE_TRY_STATUS(section.apply(cfg, *table));
    if (section.name != "disk" && section.name != "multilevel") SCCACHE_TRY_STATUS(apply_rw_mode(cfg, *table, section.name));
  }
  return Ok{};
}

Status apply_dist(Config& cfg, const toml::table& dist) {
  SCCACHE_TRY_STATUS(check_keys(dist, "dist.", {"scheduler_url", "cache_dir", "toolchain_cache_size", "toolchains", "auth"}));
  SCCACHE_TRY(url, opt_string(dist, "dist.", "scheduler_url"));
  SCCACHE_TRY(dir, opt_string(dist, "dist.", "cache_dir"));
  SCCACHE_TRY(size, opt_size(dist, "dist.", "toolchain_cache_size"));
  cfg.dist.scheduler_url = url;
  cfg.dist.cache_dir = dir;
  if (size) cfg.dist.toolchain_cache_size = *size;
  if (const toml::node* tcs = dist.get("toolchains")) {
    if (!tcs->is_array()) return make_error("configuration key `dist.toolchains` must be an array");
    for (const auto& tc : *tcs->as_array()) {
      if (!tc.is_table()) return make_error("configuration key `dist.toolchains` entries must be tables");
      const auto& t = *tc.as_table();
      SCCACHE_TRY_STATUS(check_keys(t, "dist.toolchains.", {"type", "compiler_executable", "archive", "archive_compiler_executable"}));
      SCCACHE_TRY(type, opt_string(t, "dist.toolchains.", "type"));
      if (!type || (*type != "no_dist" && *type != "path_override")) {
        return make_error("configuration key `dist.toolchains.type` must be \"no_dist\" or \"path_override\"");
      }
      DistToolchainConfig entry;
      entry.type = *type;
      SCCACHE_TRY(exe, opt_string(t, "dist.toolchains.", "compiler_executable"));
      if (!exe || exe->empty()) return make_error("configuration key `dist.toolchains.compiler_executable` is required");
      entry.compiler_executable = *exe;
      if (entry.type == "path_override") {
        SCCACHE_TRY(archive, opt_string(t, "dist.toolchains.", "archive"));
        SCCACHE_TRY(inner, opt_string(t, "dist.toolchains.", "archive_compiler_executable"));
        if (!archive || archive->empty()) return make_error("configuration key `dist.toolchains.archive` is required for path_override");
        if (!inner || inner->empty() || (*inner)[0] != '/') {
          return make_error("configuration key `dist.toolchains.archive_compiler_executable` is required for path_override and must be absolute");
        }
        entry.archive = *archive;
        entry.archive_compiler_executable = *inner;
      }
      cfg.dist.toolchains.push_back(std::move(entry));
    }
  }
  if (const toml::node* auth = dist.get("auth")) {
    if (!auth->is_table()) return make_error("configuration key `dist.auth` must be a table");
    const auto& t = *auth->as_table();
    SCCACHE_TRY_STATUS(check_keys(t, "dist.auth.", {"type", "token", "client_id", "auth_url", "token_url"}));
    SCCACHE_TRY(type, opt_string(t, "dist.auth.", "type"));
    SCCACHE_TRY(token, opt_string(t, "dist.auth.", "token"));
    static const std::set<std::string> types{"token", "mozilla", "oauth2_code_grant_pkce", "oauth2_implicit"};
    if (!type || types.count(*type) == 0) {
      return make_error("configuration key `dist.auth.type` must be one of token, mozilla, oauth2_code_grant_pkce, oauth2_implicit");
    }
    cfg.dist.auth_type = *type;
    if (token) cfg.dist.auth_token = *token;
  }
  return Ok{};
}

std::string default_config_path(const EnvMap& env) {
  if (auto p = get(env, "SCCACHE_CONF"); p && !p->empty()) return *p;
  if (auto x = get(env, "XDG_CONFIG_HOME"); x && !x->empty()) return join_path(*x, "sccache/config");
  std::string home = get(env, "HOME").value_or(home_dir());
  return join_path(home, ".config/sccache/config");
}

std::string default_cache_dir(const EnvMap& env) {
  if (auto x = get(env, "XDG_CACHE_HOME"); x && !x->empty()) return join_path(*x, "sccache");
  std::string home = get(env, "HOME").value_or(home_dir());
  return join_path(home, ".cache/sccache");
}

// Env replaces the file's [cache.s3] as a whole when SCCACHE_BUCKET is set (SPEC 6).
Status apply_s3_env(Config& cfg, const EnvMap& env) {
  auto bucket = get(env, "SCCACHE_BUCKET");
  if (!bucket || bucket->empty()) return Ok{};
  S3Config c;
  c.bucket = *bucket;
  if (auto v = get(env, "SCCACHE_ENDPOINT"); v && !v->empty()) c.endpoint = *v;
  if (auto v = get(env, "SCCACHE_REGION"); v && !v->empty()) c.region = *v;
  if (auto v = get(env, "SCCACHE_S3_KEY_PREFIX")) c.key_prefix = *v;
  if (auto v = get(env, "SCCACHE_S3_USE_SSL"); v && !v->empty()) {
    SCCACHE_TRY(on, env_bool("SCCACHE_S3_USE_SSL", *v));
    c.use_ssl = on;
  }
  if (auto v = get(env, "SCCACHE_S3_ENABLE_VIRTUAL_HOST_STYLE"); v && !v->empty()) {
    SCCACHE_TRY(on, env_bool("SCCACHE_S3_ENABLE_VIRTUAL_HOST_STYLE", *v));
    c.virtual_host_style = on;
  }
  if (auto v = get(env, "SCCACHE_S3_NO_CREDENTIALS"); v && !v->empty()) {
    SCCACHE_TRY(on, env_bool("SCCACHE_S3_NO_CREDENTIALS", *v));
    c.no_credentials = on;
  }
  cfg.remote.s3 = c;
  return Ok{};
}

// SCCACHE_MULTILEVEL_CHAIN, SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY and SCCACHE_<NAME>_RW_MODE.
Status apply_storage_modes_env(Config& cfg, const EnvMap& env) {
  if (auto v = get(env, "SCCACHE_MULTILEVEL_CHAIN"); v && !v->empty()) {
    std::vector<std::string> names;
    for (const auto& n : split(*v, ',')) {
      if (!trim(n).empty()) names.push_back(trim(n));
    }
    SCCACHE_TRY_STATUS(set_chain(cfg, names, "SCCACHE_MULTILEVEL_CHAIN"));
  }
  if (auto v = get(env, "SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY"); v && !v->empty()) {
    SCCACHE_TRY_STATUS(set_write_policy(cfg, *v, "SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY"));
  }
  for (const auto& section : kCacheSections) {
    if (section.name == "disk" || section.name == "multilevel") continue;
    std::string var = "SCCACHE_" + to_upper(std::string(section.name)) + "_RW_MODE";
    if (auto v = get(env, var); v && !v->empty()) {
      SCCACHE_TRY(read_only, parse_rw_mode(*v, var));
      cfg.remote.read_only[std::string(section.name)] = read_only;
    }
  }
  return Ok{};
}

// Env replaces the file's [cache.azure] as a whole when SCCACHE_AZURE_CONNECTION_STRING is set.
Status apply_azure_env(Config& cfg, const EnvMap& env) {
  auto conn = get(env, "SCCACHE_AZURE_CONNECTION_STRING");
  if (!conn || conn->empty()) return Ok{};
  auto container = get(env, "SCCACHE_AZURE_BLOB_CONTAINER");
  if (!container || container->empty()) {
    return make_error("SCCACHE_AZURE_BLOB_CONTAINER is required with SCCACHE_AZURE_CONNECTION_STRING");
  }
  cfg.remote.azure = AzureConfig{*conn, *container, get(env, "SCCACHE_AZURE_KEY_PREFIX").value_or("")};
  return Ok{};
}

// Each SCCACHE_GCS_* setting replaces the file's; SCCACHE_GCS_BUCKET selects GCS without a file.
void apply_gcs_env(Config& cfg, const EnvMap& env) {
  auto bucket = get(env, "SCCACHE_GCS_BUCKET");
  if (bucket && !bucket->empty()) {
    if (!cfg.remote.gcs) cfg.remote.gcs = GcsConfig{};
    cfg.remote.gcs->bucket = *bucket;
  }
  if (!cfg.remote.gcs) return;
  GcsConfig& c = *cfg.remote.gcs;
  const std::pair<const char*, std::string*> vars[] = {
      {"SCCACHE_GCS_KEY_PREFIX", &c.key_prefix},   {"SCCACHE_GCS_KEY_PATH", &c.key_path},
      {"SCCACHE_GCS_CREDENTIALS_URL", &c.credentials_url}, {"SCCACHE_GCS_OAUTH_URL", &c.oauth_url},
      {"SCCACHE_GCS_ENDPOINT", &c.endpoint}};
  for (const auto& [var, field] : vars) {
    if (auto v = get(env, var); v && !v->empty()) *field = *v;
  }
}

// Env replaces the file's [cache.webdav] as a whole when SCCACHE_WEBDAV_ENDPOINT is set.
void apply_webdav_env(Config& cfg, const EnvMap& env) {
  auto endpoint = get(env, "SCCACHE_WEBDAV_ENDPOINT");
  if (!endpoint || endpoint->empty()) return;
  WebdavConfig c;
  c.endpoint = *endpoint;
  if (auto v = get(env, "SCCACHE_WEBDAV_KEY_PREFIX")) c.key_prefix = *v;
  if (auto v = get(env, "SCCACHE_WEBDAV_USERNAME"); v && !v->empty()) c.username = *v;
  if (auto v = get(env, "SCCACHE_WEBDAV_PASSWORD")) c.password = *v;
  if (auto v = get(env, "SCCACHE_WEBDAV_TOKEN"); v && !v->empty()) c.token = *v;
  cfg.remote.webdav = c;
}

Status apply_env(Config& cfg, const EnvMap& env) {
  if (auto dir = get(env, "SCCACHE_DIR"); dir && !dir->empty()) cfg.disk.dir = *dir;
  if (auto size = get(env, "SCCACHE_CACHE_SIZE"); size && !size->empty()) {
    auto parsed = parse_size(*size);
    if (!parsed) return make_error("SCCACHE_CACHE_SIZE: invalid size `" + *size + "` (expected e.g. 500M, 10G)");
    cfg.disk.size = *parsed;
  }
  if (auto port = get(env, "SCCACHE_SERVER_PORT"); port && !port->empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (ec != std::errc() || p != port->data() + port->size() || value == 0 || value > 65535) {
      return make_error("SCCACHE_SERVER_PORT: invalid port `" + *port + "`");
    }
    cfg.port = static_cast<uint16_t>(value);
  }
  if (auto uds = get(env, "SCCACHE_SERVER_UDS"); uds && !uds->empty()) {
    // A path is made absolute here: the daemon changes directory to /. `\x00name` is abstract.
    cfg.server_uds = uds->rfind("\\x00", 0) == 0 ? *uds : absolute_from(current_dir(), *uds);
  }
  if (auto idle = get(env, "SCCACHE_IDLE_TIMEOUT"); idle && !idle->empty()) {
    SCCACHE_TRY(secs, env_number("SCCACHE_IDLE_TIMEOUT", *idle, 0, kMaxIdleTimeoutSecs, "seconds"));
    cfg.idle_timeout_secs = secs;
  }
  if (auto v = get(env, "SCCACHE_MAX_FRAME_LENGTH"); v && !v->empty()) {
    SCCACHE_TRY(bytes, env_number("SCCACHE_MAX_FRAME_LENGTH", *v, kMinFrameLength, kMaxFrameLength, "bytes"));
    cfg.max_frame_length = static_cast<uint32_t>(bytes);
  }
  if (auto v = get(env, "SCCACHE_DIRECT"); v && !v->empty()) {
    SCCACHE_TRY(on, env_bool("SCCACHE_DIRECT", *v));
    cfg.direct_mode = on;
  }
  if (auto v = get(env, "SCCACHE_LOG")) cfg.log_level = to_lower(*v);
  if (auto v = get(env, "SCCACHE_ERROR_LOG"); v && !v->empty()) {
    cfg.error_log = absolute_from(current_dir(), *v);  // the daemon changes directory to /
    if (cfg.log_level.empty()) cfg.log_level = "warn";
  }
  if (auto v = get(env, "SCCACHE_REDIS"); v && !v->empty()) {
    cfg.remote.redis_url = *v;
    cfg.remote.redis_origin = "SCCACHE_REDIS";
  }
  if (auto v = get(env, "SCCACHE_MEMCACHED"); v && !v->empty()) {
    cfg.remote.memcached_url = *v;
    cfg.remote.memcached_origin = "SCCACHE_MEMCACHED";
  }
  SCCACHE_TRY_STATUS(apply_s3_env(cfg, env));
  apply_gcs_env(cfg, env);
  apply_webdav_env(cfg, env);
  SCCACHE_TRY_STATUS(apply_azure_env(cfg, env));
  SCCACHE_TRY_STATUS(apply_storage_modes_env(cfg, env));
  return Ok{};
}

}  // namespace

Status check_keys(const toml::table& table, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : table) {
    (void)value;
    if (allowed.count(std::string(key.str())) == 0) {
      return make_error("unknown configuration key `" + where + std::string(key.str()) + "`");
    }
  }
  return Ok{};
}

Status apply_config_text(Config& cfg, const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return make_error("failed to parse config file " + origin + " at line " + std::to_string(src.begin.line) +
                      ": " + std::string(e.description()));
  }
  SCCACHE_TRY_STATUS(check_keys(root, "", {"cache", "dist"}));
  if (const toml::node* cache = root.get("cache")) {
    if (!cache->is_table()) return make_error("configuration key `cache` must be a table");
    SCCACHE_TRY_STATUS(apply_cache(cfg, *cache->as_table()));
  }
  if (const toml::node* dist = root.get("dist")) {
    if (!dist->is_table()) return make_error("configuration key `dist` must be a table");
    SCCACHE_TRY_STATUS(apply_dist(cfg, *dist->as_table()));
  }
  return Ok{};
}

Expected<Config> load_config(const EnvMap& env) {
  Config cfg;
  cfg.disk.dir = default_cache_dir(env);
  cfg.config_path = default_config_path(env);
  if (auto text = read_file(cfg.config_path)) {
    if (auto st = apply_config_text(cfg, *text, cfg.config_path); !st) {
      return make_error("config file " + cfg.config_path + ": " + st.error().message);
    }
  }
  SCCACHE_TRY_STATUS(apply_env(cfg, env));
  if (cfg.disk.dir.empty() || cfg.disk.dir[0] != '/') {
    cfg.disk.dir = absolute_from(current_dir(), cfg.disk.dir);
  }
  return cfg;
}

EnvMap env_from_environ(char** environ_ptr) {
  EnvMap env;
  for (char** e = environ_ptr; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

}  // namespace sccache
