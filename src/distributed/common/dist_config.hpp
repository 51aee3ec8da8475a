#pragma once
// scheduler.conf and server.conf (SPEC 7.6), TOML. Unknown keys and missing required keys are
// errors naming the key; the quickstart's files parse as written.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache::dist {

// [client_auth] of scheduler.conf: how clients prove who they are.
struct ClientAuthConfig {
  std::string type;                      // DANGEROUSLY_INSECURE | token | jwt_validate | proxy_token | mozilla
  std::string token;                     // token
  std::string audience, issuer, jwks_url;  // jwt_validate
  std::string url;                       // proxy_token
  std::optional<uint64_t> cache_secs;    // proxy_token
  std::vector<std::string> required_groups;  // mozilla
};

// [server_auth] of scheduler.conf: how build servers prove who they are.
struct ServerAuthConfig {
  std::string type;        // DANGEROUSLY_INSECURE | token | jwt_hs256
  std::string token;       // token
  std::string secret_key;  // jwt_hs256 (base64url, 32 bytes)
};

// The HTTP front of both daemons (apps/sccache-dist/http_front.cpp): keys at the top level of
// scheduler.conf and server.conf.
struct HttpLimits {
  uint64_t workers = 32;              // http_workers: connections served at once (1-1024)
  uint64_t header_timeout_secs = 10;  // http_header_timeout_secs: TLS handshake + request headers (1-3600)
  uint64_t io_timeout_secs = 30;      // http_io_timeout_secs: each read/write of a body or reply (1-3600)
};

struct SchedulerConfig {
  std::string public_addr;  // ip:port to listen on
  HttpLimits http;
  ClientAuthConfig client_auth;
  ServerAuthConfig server_auth;
};

struct BuilderConfig {
  std::string type;                   // overlay | docker
  std::string build_dir;              // overlay
  std::string bwrap_path = "bwrap";   // overlay
};

// [scheduler_auth] of server.conf.
struct SchedulerAuthConfig {
  std::string type;   // DANGEROUSLY_INSECURE | token | jwt_token
  std::string token;  // token, jwt_token
};

struct ServerConfig {
  std::string cache_dir;
  std::string public_addr;
  std::string scheduler_url;
  uint64_t toolchain_cache_size = 10ULL << 30;
  uint64_t max_toolchain_size = 1ULL << 30;   // one submit_toolchain body
  uint64_t max_job_input_size = 256ULL << 20;  // one run_job body (header + inputs archive)
  uint64_t max_job_output_size = 256ULL << 20; // stdout + stderr + outputs of one job
  HttpLimits http;
  BuilderConfig builder;
  SchedulerAuthConfig scheduler_auth;
};

Expected<SchedulerConfig> parse_scheduler_config(const std::string& text, const std::string& origin);
Expected<ServerConfig> parse_server_config(const std::string& text, const std::string& origin);
Expected<SchedulerConfig> load_scheduler_config(const std::string& path);
Expected<ServerConfig> load_server_config(const std::string& path);

// "ip:port" with a numeric IPv4/IPv6 address (the form sccache uses for server ids).
Expected<std::pair<std::string, uint16_t>> parse_socket_addr(const std::string& text);

}  // namespace sccache::dist
