#include "distributed/common/dist_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <set>
#include <toml++/toml.h>

#include "config/toml_keys.hpp"
#include "distributed/common/auth.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace sccache::dist {

namespace {

Expected<std::string> str(const toml::table& t, const std::string& where, const char* key, bool required) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) return make_error("configuration key `" + where + key + "` is required");
    return std::string();
  }
  if (!n->is_string()) return make_error("configuration key `" + where + key + "` must be a string");
  return n->as_string()->get();
}

// A credential or address that must be there and not be "" (an empty token would match any
// client that sends an empty one).
Expected<std::string> nonempty(const toml::table& t, const std::string& where, const char* key) {
  SCCACHE_TRY(v, str(t, where, key, true));
  if (v.empty()) return make_error("configuration key `" + where + key + "` must not be empty");
  return v;
}

// An optional integer key in [lo, hi]; `out` keeps its default when the key is absent.
Status uint_in(const toml::table& t, const char* key, uint64_t lo, uint64_t hi, uint64_t& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Ok{};
  if (!n->is_integer() || n->as_integer()->get() < 0 || static_cast<uint64_t>(n->as_integer()->get()) < lo ||
      static_cast<uint64_t>(n->as_integer()->get()) > hi) {
    return make_error("configuration key `" + std::string(key) + "` must be an integer from " + std::to_string(lo) +
                      " to " + std::to_string(hi));
  }
  out = static_cast<uint64_t>(n->as_integer()->get());
  return Ok{};
}

Status http_limits(const toml::table& t, HttpLimits& out) {
  SCCACHE_TRY_STATUS(uint_in(t, "http_workers", 1, 1024, out.workers));
  SCCACHE_TRY_STATUS(uint_in(t, "http_header_timeout_secs", 1, 3600, out.header_timeout_secs));
  SCCACHE_TRY_STATUS(uint_in(t, "http_io_timeout_secs", 1, 3600, out.io_timeout_secs));
  return Ok{};
}

Expected<const toml::table*> table(const toml::table& t, const char* key, bool required) {
  const toml::node* n = t.get(key);
  if (n == nullptr) {
    if (required) return make_error("configuration table `[" + std::string(key) + "]` is required");
    return static_cast<const toml::table*>(nullptr);
  }
  if (!n->is_table()) return make_error("configuration key `" + std::string(key) + "` must be a table");
  return n->as_table();
}

Expected<toml::table> parse(const std::string& text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return make_error("failed to parse " + origin + " at line " + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
}

Expected<ClientAuthConfig> client_auth(const toml::table& t) {
  ClientAuthConfig c;
  const std::string w = "client_auth.";
  SCCACHE_TRY(type, str(t, w, "type", true));
  c.type = type;
  if (type == "DANGEROUSLY_INSECURE") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type"}));
  } else if (type == "token") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "token"}));
    SCCACHE_TRY(token, nonempty(t, w, "token"));
    c.token = token;
  } else if (type == "jwt_validate") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "audience", "issuer", "jwks_url"}));
    SCCACHE_TRY(aud, nonempty(t, w, "audience"));
    SCCACHE_TRY(iss, nonempty(t, w, "issuer"));
    SCCACHE_TRY(jwks, nonempty(t, w, "jwks_url"));
    c.audience = aud;
    c.issuer = iss;
    c.jwks_url = jwks;
  } else if (type == "proxy_token") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "url", "cache_secs"}));
    SCCACHE_TRY(url, nonempty(t, w, "url"));
    c.url = url;
    if (const toml::node* n = t.get("cache_secs")) {
      if (!n->is_integer() || n->as_integer()->get() < 0) {
        return make_error("configuration key `client_auth.cache_secs` must be a non-negative integer");
      }
      c.cache_secs = static_cast<uint64_t>(n->as_integer()->get());
    }
  } else if (type == "mozilla") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "required_groups"}));
    if (const toml::node* n = t.get("required_groups")) {
      const auto* arr = n->as_array();
      if (arr == nullptr) return make_error("configuration key `client_auth.required_groups` must be an array of strings");
      for (const auto& g : *arr) {
        if (!g.is_string()) return make_error("configuration key `client_auth.required_groups` must be an array of strings");
        c.required_groups.push_back(g.as_string()->get());
      }
    }
  } else {
    return make_error("configuration key `client_auth.type`: unknown type `" + type +
                      "` (expected DANGEROUSLY_INSECURE, token, jwt_validate, proxy_token or mozilla)");
  }
  return c;
}

Expected<ServerAuthConfig> server_auth(const toml::table& t) {
  ServerAuthConfig c;
  const std::string w = "server_auth.";
  SCCACHE_TRY(type, str(t, w, "type", true));
  c.type = type;
  if (type == "DANGEROUSLY_INSECURE") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type"}));
  } else if (type == "token") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "token"}));
    SCCACHE_TRY(token, nonempty(t, w, "token"));
    c.token = token;
  } else if (type == "jwt_hs256") {
    SCCACHE_TRY_STATUS(check_keys(t, w, {"type", "secret_key"}));
    SCCACHE_TRY(key, nonempty(t, w, "secret_key"));
    c.secret_key = key;
  } else {
    return make_error("configuration key `server_auth.type`: unknown type `" + type +
                      "` (expected DANGEROUSLY_INSECURE, token or jwt_hs256)");
  }
  return c;
}

}  // namespace

Expected<std::pair<std::string, uint16_t>> parse_socket_addr(const std::string& text) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error("`" + text + "` is not ip:port");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return make_error("`" + text + "` is not ip:port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1) {
    return make_error("`" + text + "`: `" + host + "` is not a numeric IP address");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return make_error("`" + text + "`: invalid port");
  }
  return std::pair<std::string, uint16_t>(host, static_cast<uint16_t>(port));
}

Expected<SchedulerConfig> parse_scheduler_config(const std::string& text, const std::string& origin) {
  SCCACHE_TRY(root, parse(text, origin));
  SCCACHE_TRY_STATUS(check_keys(root, "", {"public_addr", "client_auth", "server_auth", "http_workers",
                                           "http_header_timeout_secs", "http_io_timeout_secs"}));
  SchedulerConfig c;
  SCCACHE_TRY_STATUS(http_limits(root, c.http));
  SCCACHE_TRY(addr, str(root, "", "public_addr", true));
  SCCACHE_TRY_STATUS(parse_socket_addr(addr));
  c.public_addr = addr;
  SCCACHE_TRY(ct, table(root, "client_auth", true));
  SCCACHE_TRY(ca, client_auth(*ct));
  c.client_auth = ca;
  SCCACHE_TRY(st, table(root, "server_auth", true));
  SCCACHE_TRY(sa, server_auth(*st));
  if (sa.type == "jwt_hs256") {
    auto key = decode_hs256_secret(sa.secret_key);
    if (!key) return make_error("configuration key `server_auth.secret_key`: " + key.error().message);
  }
  c.server_auth = sa;
  return c;
}

Expected<ServerConfig> parse_server_config(const std::string& text, const std::string& origin) {
  SCCACHE_TRY(root, parse(text, origin));
  SCCACHE_TRY_STATUS(check_keys(root, "", {"cache_dir", "public_addr", "scheduler_url", "toolchain_cache_size",
                                           "max_toolchain_size", "max_job_input_size", "max_job_output_size",
                                           "http_workers", "http_header_timeout_secs", "http_io_timeout_secs",
                                           "builder", "scheduler_auth"}));
  ServerConfig c;
  SCCACHE_TRY_STATUS(http_limits(root, c.http));
  // Bodies are held in memory: at most 4 GiB each, at least 1 MiB.
  SCCACHE_TRY_STATUS(uint_in(root, "max_toolchain_size", 1ULL << 20, 4ULL << 30, c.max_toolchain_size));
  SCCACHE_TRY_STATUS(uint_in(root, "max_job_input_size", 1ULL << 20, 4ULL << 30, c.max_job_input_size));
  SCCACHE_TRY_STATUS(uint_in(root, "max_job_output_size", 1ULL << 20, 4ULL << 30, c.max_job_output_size));
  SCCACHE_TRY(dir, str(root, "", "cache_dir", true));
  c.cache_dir = dir;
  SCCACHE_TRY(addr, str(root, "", "public_addr", true));
  SCCACHE_TRY_STATUS(parse_socket_addr(addr));
  c.public_addr = addr;
  SCCACHE_TRY(url, str(root, "", "scheduler_url", true));
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return make_error("configuration key `scheduler_url`: `" + url + "` must start with http:// or https://");
  }
  c.scheduler_url = url;
  if (const toml::node* n = root.get("toolchain_cache_size")) {
    if (!n->is_integer() || n->as_integer()->get() <= 0) {
      return make_error("configuration key `toolchain_cache_size` must be a positive number of bytes");
    }
    c.toolchain_cache_size = static_cast<uint64_t>(n->as_integer()->get());
  }
  SCCACHE_TRY(bt, table(root, "builder", true));
  SCCACHE_TRY(btype, str(*bt, "builder.", "type", true));
  c.builder.type = btype;
  if (btype == "overlay") {
    SCCACHE_TRY_STATUS(check_keys(*bt, "builder.", {"type", "build_dir", "bwrap_path"}));
    SCCACHE_TRY(bdir, str(*bt, "builder.", "build_dir", true));
    SCCACHE_TRY(bwrap, str(*bt, "builder.", "bwrap_path", false));
    c.builder.build_dir = bdir;
    if (!bwrap.empty()) c.builder.bwrap_path = bwrap;
  } else if (btype == "docker") {
    SCCACHE_TRY_STATUS(check_keys(*bt, "builder.", {"type"}));
  } else {
    return make_error("configuration key `builder.type`: unknown type `" + btype + "` (expected overlay or docker)");
  }
  SCCACHE_TRY(at, table(root, "scheduler_auth", true));
  SCCACHE_TRY(atype, str(*at, "scheduler_auth.", "type", true));
  c.scheduler_auth.type = atype;
  if (atype == "DANGEROUSLY_INSECURE") {
    SCCACHE_TRY_STATUS(check_keys(*at, "scheduler_auth.", {"type"}));
  } else if (atype == "token" || atype == "jwt_token") {
    SCCACHE_TRY_STATUS(check_keys(*at, "scheduler_auth.", {"type", "token"}));
    SCCACHE_TRY(token, nonempty(*at, "scheduler_auth.", "token"));
    c.scheduler_auth.token = token;
  } else {
    return make_error("configuration key `scheduler_auth.type`: unknown type `" + atype +
                      "` (expected DANGEROUSLY_INSECURE, token or jwt_token)");
  }
  return c;
}

Expected<SchedulerConfig> load_scheduler_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) return make_error("cannot read config file " + path + ": " + text.error().message);
  auto c = parse_scheduler_config(*text, path);
  if (!c) return make_error("config file " + path + ": " + c.error().message);
  return c;
}

Expected<ServerConfig> load_server_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) return make_error("cannot read config file " + path + ": " + text.error().message);
  auto c = parse_server_config(*text, path);
  if (!c) return make_error("config file " + path + ": " + c.error().message);
  return c;
}

}  // namespace sccache::dist
