// `sccache-dist scheduler`: the HTTP front (cpp-httplib) of dist::SchedulerCore. Authenticates
// clients and build servers (SPEC 7.5), assigns jobs to servers synchronously, relays states.
#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <httplib.h>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "dist_main.hpp"
#include "distributed/common/auth.hpp"
#include "distributed/common/dist_config.hpp"
#include "distributed/common/messages.hpp"
#include "distributed/scheduler/scheduler_core.hpp"
#include "http_front.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

// The request's client address. X-Real-IP (SPEC 7.1) is believed only from a loopback peer:
// the TLS proxy in front of a scheduler bound to 127.0.0.1. A remote peer cannot set it.
std::string source_ip(const httplib::Request& req) {
  bool loopback = req.remote_addr.rfind("127.", 0) == 0 || req.remote_addr == "::1";
  if (loopback && req.has_header("X-Real-IP")) return req.get_header_value("X-Real-IP");
  return req.remote_addr;
}

std::string bearer(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.rfind("Bearer ", 0) != 0) return "";
  return h.substr(7);
}

void unauthorized(httplib::Response& res, const std::string& code, const std::string& message) {
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer error=\"" + code + "\"");
  res.set_content(json{{"description", message}, {"error", code}}.dump(), "application/json");
}

void reply(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// A body made by the codec (distributed/common/messages.hpp).
void send(httplib::Response& res, const std::string& body) {
  res.status = 200;
  res.set_content(body, "application/json");
}

std::string ip_of(const std::string& server_id) {
  auto addr = parse_socket_addr(server_id);
  return addr ? addr->first : "";
}

// Control messages only: a POST body must declare its length, at most 1 MiB, uncompressed. It is
// checked before a byte of the body is read (httplib would otherwise read a body without a
// Content-Length until EOF).
constexpr size_t kMaxControlBody = 1 << 20;

httplib::Server::HandlerResponse control_body_check(const httplib::Request& req, httplib::Response& res) {
  if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH" && req.method != "DELETE") {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  auto refuse = [&](int status, const std::string& message) {
    HttpFront::close_after_reply();  // the body stays unread
    reply(res, json{{"description", message}}, status);
    return httplib::Server::HandlerResponse::Handled;
  };
  std::string len = req.get_header_value("Content-Length");
  if (req.has_header("Transfer-Encoding") || req.get_header_value_count("Content-Length") != 1 || len.empty() ||
      len.find_first_not_of("0123456789") != std::string::npos) {
    return refuse(411, "the request needs one Content-Length (chunked bodies are not accepted)");
  }
  if (len.size() > 7 || std::stoul(len) > kMaxControlBody) {
    return refuse(413, "the body (" + len + " bytes) is larger than the scheduler's limit (1048576 bytes)");
  }
  if (req.has_header("Content-Encoding")) return refuse(415, "compressed request bodies are not accepted");
  return httplib::Server::HandlerResponse::Unhandled;
}

class Scheduler {
 public:
  Scheduler(SchedulerConfig config, SchedulerOptions options) : config_(std::move(config)), core_(options) {}

  Status init() {
    if (config_.server_auth.type == "jwt_hs256") {
      SCCACHE_TRY(key, decode_hs256_secret(config_.server_auth.secret_key));
      server_key_ = key;
    }
    const auto& ca = config_.client_auth;
    if (ca.type == "jwt_validate") {
      SCCACHE_TRY(jwks, fetch_json(ca.jwks_url));
      SCCACHE_TRY(v, JwksValidator::create(jwks, ca.audience, ca.issuer));
      jwks_ = std::make_unique<JwksValidator>(std::move(v));
    } else if (ca.type == "mozilla") {
      return make_error("client_auth type `mozilla` needs auth.mozilla.auth0.com; use jwt_validate with your provider");
    }
    return Ok{};
  }

  void routes(httplib::Server& http) {
    http.Post("/api/v1/scheduler/alloc_job", [this](const httplib::Request& req, httplib::Response& res) {
      if (!client_ok(req, res)) return;
      alloc_job(req, res);
    });
    http.Get(R"(/api/v1/scheduler/server_certificate/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto cert = core_.certificate(req.matches[1].str());
      if (!cert) return reply(res, json{{"description", "unknown server " + req.matches[1].str()}}, 404);
      send(res, encode_server_certificate({cert->first, cert->second}));
    });
    http.Post("/api/v1/scheduler/heartbeat_server", [this](const httplib::Request& req, httplib::Response& res) {
      auto server_id = server_ok(req, res);
      if (server_id.empty()) return;
      auto body = decode_heartbeat(req.body);
      if (!body) return reply(res, json{{"description", body.error().message}}, 400);
      ServerHeartbeat hb{server_id,
                         body->num_cpus,
                         body->server_nonce,
                         std::move(body->jwt_key),
                         std::move(body->cert_digest),
                         std::move(body->cert_pem)};
      auto is_new = core_.heartbeat(hb, now());
      if (!is_new) return reply(res, json{{"description", is_new.error().message}}, 400);
      if (*is_new) spdlog::info("build server {} registered ({} cpus)", server_id, hb.num_cpus);
      send(res, encode_heartbeat_reply({*is_new}));
    });
    http.Post(R"(/api/v1/scheduler/job_state/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto server_id = server_ok(req, res);
      if (server_id.empty()) return;
      auto state = decode_job_state(req.body);
      if (!state) return reply(res, json{{"description", state.error().message}}, 400);
      auto job_id = parse_job_id(req.matches[1].str());
      if (!job_id) return reply(res, json{{"description", "job id out of range"}}, 400);
      auto st = core_.update_job(server_id, *job_id, *state, now());
      send(res, encode_job_state_reply(st ? JobStateReply{} : JobStateReply{FailReply{st.error().message}}));
    });
    http.Get("/api/v1/scheduler/status", [this](const httplib::Request&, httplib::Response& res) {
      res.status = 200;
      res.set_content(encode_scheduler_status(core_.status(now())), "application/json");
    });
  }

 private:
  static Expected<json> fetch_json(const std::string& url) {
    auto scheme_end = url.find("://");
    auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    httplib::Client cli(url.substr(0, path_start));
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(std::chrono::seconds(5));
    cli.set_read_timeout(std::chrono::seconds(10));
    auto r = cli.Get(path_start == std::string::npos ? "/" : url.substr(path_start));
    if (!r) return make_error("GET " + url + ": " + httplib::to_string(r.error()));
    if (r->status != 200) return make_error("GET " + url + ": HTTP " + std::to_string(r->status));
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return make_error("GET " + url + ": not JSON");
    return j;
  }

  bool client_ok(const httplib::Request& req, httplib::Response& res) {
    std::string token = bearer(req);
    if (token.empty()) {
      unauthorized(res, "no_bearer_auth", "no bearer token");
      return false;
    }
    const auto& ca = config_.client_auth;
    bool ok = false;
    std::string why = "invalid client token";
    if (ca.type == "DANGEROUSLY_INSECURE") {
      ok = token == "dangerously_insecure_client";
    } else if (ca.type == "token") {
      ok = token == ca.token;
    } else if (ca.type == "jwt_validate") {
      auto claims = jwks_->validate(token, std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
      ok = claims.has_value();
      if (!ok) why = claims.error().message;
    } else if (ca.type == "proxy_token") {
      ok = proxy_check(token);
    }
    if (!ok) unauthorized(res, "bearer_auth_failed", why);
    return ok;
  }

  bool proxy_check(const std::string& token) {
    const auto& ca = config_.client_auth;
    {
      std::lock_guard lock(mu_);
      auto it = proxy_cache_.find(token);
      if (it != proxy_cache_.end() && it->second > now()) return true;
    }
    auto scheme_end = ca.url.find("://");
    auto path_start = ca.url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    httplib::Client cli(ca.url.substr(0, path_start));
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(std::chrono::seconds(5));
    cli.set_bearer_token_auth(token);
    auto r = cli.Get(path_start == std::string::npos ? "/" : ca.url.substr(path_start));
    bool ok = r && r->status >= 200 && r->status < 300;
    if (ok && ca.cache_secs) {
      std::lock_guard lock(mu_);
      proxy_cache_[token] = now() + std::chrono::seconds(*ca.cache_secs);
    }
    return ok;
  }

  // Returns the authenticated server id ("ip:port"), or "" after answering 401.
  std::string server_ok(const httplib::Request& req, httplib::Response& res) {
    std::string token = bearer(req);
    if (token.empty()) {
      unauthorized(res, "no_bearer_auth", "no bearer token");
      return "";
    }
    std::string server_id;
    const auto& sa = config_.server_auth;
    if (sa.type == "jwt_hs256") {
      auto claims = jwt_hs256_verify(token, server_key_);
      if (!claims || !(*claims)["server_id"].is_string()) {
        unauthorized(res, "invalid_jwt", claims ? "no server_id claim" : claims.error().message);
        return "";
      }
      server_id = (*claims)["server_id"].get<std::string>();
    } else {
      auto space = token.find(' ');
      std::string expected = sa.type == "token" ? sa.token : "dangerously_insecure_server";
      if (space == std::string::npos || token.substr(space + 1) != expected) {
        unauthorized(res, "invalid_bearer_token", "invalid server token");
        return "";
      }
      server_id = token.substr(0, space);
    }
    if (!parse_socket_addr(server_id) || ip_of(server_id) != source_ip(req)) {
      unauthorized(res, "invalid_bearer_token_mismatched_address",
                   "server id " + server_id + " does not match the request's address " + source_ip(req));
      return "";
    }
    return server_id;
  }

  void alloc_job(const httplib::Request& req, httplib::Response& res) {
    auto request = decode_alloc_job_request(req.body);
    if (!request) return reply(res, json{{"description", request.error().message}}, 400);
    const std::string& archive_id = request->archive_id;
    // Retry on another server when one refuses the assignment (its error is remembered).
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto alloc = core_.allocate(now());
      if (!alloc) return send(res, encode_alloc_job_reply(FailReply{alloc.error().message}));
      auto token = jwt_hs256_sign(json{{"job_id", alloc->job_id}}, alloc->jwt_key);
      if (!token) return reply(res, json{{"description", token.error().message}}, 500);
      auto assigned = assign(*alloc, *token, archive_id);
      if (!assigned) {
        spdlog::warn("assign_job {} to {} failed: {}", alloc->job_id, alloc->server_id, assigned.error().message);
        core_.assign_failed(alloc->job_id, now());
        continue;
      }
      auto [state, need_toolchain] = *assigned;
      (void)core_.assign_succeeded(alloc->job_id, state);
      return send(res, encode_alloc_job_reply(
                           JobAlloc{*token, alloc->job_id, alloc->server_id, need_toolchain, alloc->cert_digest}));
    }
    send(res, encode_alloc_job_reply(FailReply{"no build server accepted the job"}));
  }

  // The synchronous assign_job call to the build server (HTTPS, its certificate pinned).
  Expected<AssignJobReply> assign(const Allocation& alloc, const std::string& token, const std::string& archive_id) {
    auto cert = core_.certificate(alloc.server_id);
    if (!cert) return make_error("no certificate for " + alloc.server_id);
    SCCACHE_TRY(link, link_to(alloc.server_id, *cert));
    httplib::Headers headers{{"Authorization", "Bearer " + token}};
    std::unique_lock link_lock(link->mu);  // one request at a time per kept-alive connection
    const std::string path = "/api/v1/distserver/assign_job/" + std::to_string(alloc.job_id);
    const std::string body = encode_assign_job_request({archive_id});
    auto r = link->client->Post(path, headers, body, "application/json");
    // The server may have closed the idle connection: one retry opens a new one. assign_job is
    // idempotent (it records the job and reports whether the toolchain is there).
    if (!r) r = link->client->Post(path, headers, body, "application/json");
    link_lock.unlock();
    if (!r) return make_error(httplib::to_string(r.error()));
    if (r->status != 200) return make_error("HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200));
    return decode_assign_job_reply(r->body);
  }

  // One kept-alive HTTPS connection per build server (per certificate): assign_job pays no
  // TCP or TLS handshake after the first.
  struct Link {
    std::string cert_digest;
    std::unique_ptr<httplib::SSLClient> client;
    std::mutex mu;
  };
  Expected<std::shared_ptr<Link>> link_to(const std::string& server_id, const std::pair<std::string, std::string>& cert) {
    std::lock_guard lock(mu_);
    auto& slot = links_[server_id];
    if (!slot || slot->cert_digest != cert.first) {
      SCCACHE_TRY(client, https_client_for(server_id, cert.second));
      client->set_keep_alive(true);
      // assign_job is small and quick: a build server that stalls it holds one of our workers.
      client->set_read_timeout(std::chrono::seconds(config_.http.io_timeout_secs));
      client->set_write_timeout(std::chrono::seconds(config_.http.io_timeout_secs));
      auto link = std::make_shared<Link>();
      link->cert_digest = cert.first;
      link->client = std::move(client);
      slot = link;
    }
    return slot;
  }

  SchedulerConfig config_;
  SchedulerCore core_;
  std::map<std::string, std::shared_ptr<Link>> links_;  // guarded by mu_
  std::string server_key_;
  std::unique_ptr<JwksValidator> jwks_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> proxy_cache_;  // guarded by mu_
};

}  // namespace

int run_scheduler(const std::string& config_path, const EnvMap& env) {
  auto config = load_scheduler_config(config_path);
  if (!config) return dist_fail(config.error().message);
  SchedulerOptions options;
  auto timeout = env_seconds(env, "SCCACHE_DIST_SERVER_TIMEOUT_SECS", options.heartbeat_timeout, 86400);
  if (!timeout) return dist_fail(timeout.error().message);
  options.heartbeat_timeout = *timeout;
  auto addr = parse_socket_addr(config->public_addr);
  Scheduler scheduler(*config, options);
  if (auto st = scheduler.init(); !st) return dist_fail(st.error().message);
  HttpFront http(config->http, /*body_within_header_deadline=*/true);
  http.set_payload_max_length(kMaxControlBody);
  http.set_pre_routing_handler(control_body_check);
  scheduler.routes(http);
  if (!http.bind_to_port(addr->first, addr->second)) {
    return dist_fail("cannot listen on " + config->public_addr + " (public_addr): " + std::strerror(errno) +
                     " (is another scheduler running there?)");
  }
  if (!daemonize_unless_foreground(env)) return dist_fail("cannot daemonize");
  spdlog::info("scheduler listening on {}", config->public_addr);
  http.listen_after_bind();
  return 0;
}

}  // namespace sccache::dist
