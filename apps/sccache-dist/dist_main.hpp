#pragma once
// Shared pieces of the sccache-dist roles: errors, daemonizing, TLS certificates and clients.
#include <httplib.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

// Prints "sccache-dist: error: MESSAGE" and returns the error exit code (2), like sccache.
int dist_fail(const std::string& message);
// Double-forks into the background unless SCCACHE_NO_DAEMON=1. False if forking failed.
bool daemonize_unless_foreground(const EnvMap& env);

struct SelfSignedCert {
  std::string cert_pem, key_pem;
  std::string digest;  // hex SHA-256 of the certificate's DER
};
// RSA-2048, CN sccache-internal, SAN = the IP of public_addr, valid 365 days.
Expected<SelfSignedCert> make_self_signed_cert(const std::string& ip);

// An HTTPS client for a build server that trusts exactly `cert_pem` (the server's self-signed
// certificate, published through the scheduler).
Expected<std::unique_ptr<httplib::SSLClient>> https_client_for(const std::string& server_id, const std::string& cert_pem);

// Whole seconds from the environment variable `name`: digits only, 1 to `max`; `fallback` when
// unset. The error names the variable and the range.
Expected<std::chrono::seconds> env_seconds(const EnvMap& env, const std::string& name, std::chrono::seconds fallback,
                                           int64_t max);

// Socket options for the daemons' listening sockets: SO_REUSEADDR only. httplib's default adds
// SO_REUSEPORT, which lets a second daemon bind the same port and take half the requests.
void exclusive_listen_options(int sock);

// Binds (SO_REUSEADDR, no listen) and closes a socket on ip:port: an error naming `setting` when
// the port is taken, so that a daemon can refuse to start before it touches anything else (the
// real listening socket comes once it is ready to serve, as readiness checks expect).
Status check_port_free(const std::string& ip, uint16_t port, const std::string& setting);

// A job id from a URL path (digits only, by the route): nullopt when it does not fit u64.
std::optional<uint64_t> parse_job_id(const std::string& text);

int run_scheduler(const std::string& config_path, const EnvMap& env);
int run_build_server(const std::string& config_path, const EnvMap& env);

}  // namespace sccache::dist
