// `sccache-dist server`: a build server. HTTPS with a certificate made at start (published to
// clients through the scheduler's heartbeat), job tokens checked per job, toolchains kept in an
// LRU cache on disk, and every compile run by the configured builder: the overlay + bubblewrap
// sandbox, or docker containers.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "distributed/build_server/archive.hpp"
#include "distributed/build_server/build_server_core.hpp"
#include "distributed/common/auth.hpp"
#include "distributed/common/dist_config.hpp"
#include "distributed/build_server/docker/docker_builder.hpp"
#include "distributed/build_server/overlay/overlay_builder.hpp"
#include "distributed/build_server/run_job.hpp"
#include "distributed/common/messages.hpp"
#include "distributed/build_server/toolchain_cache.hpp"
#include "dist_main.hpp"
#include "http_front.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

void reply(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// A body made by the codec (distributed/common/messages.hpp).
void send(httplib::Response& res, const std::string& body) {
  res.status = 200;
  res.set_content(body, "application/json");
}

void unauthorized(httplib::Response& res, const std::string& code, const std::string& message) {
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer error=\"" + code + "\"");
  res.set_content(json{{"description", message}, {"error", code}}.dump(), "application/json");
}

constexpr uint64_t kMaxAssignBody = 1 << 20;  // {"archive_id": ...}

std::pair<std::string, std::string> split_url(const std::string& url) {
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, ""};
  std::string path = url.substr(path_start);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return {url.substr(0, path_start), path};
}

class BuildServer {
 public:
  BuildServer(ServerConfig config, std::unique_ptr<Builder> builder, SelfSignedCert cert)
      : config_(std::move(config)),
        builder_(std::move(builder)),
        cert_(std::move(cert)),
        toolchains_(join_path(config_.cache_dir, "tc"), config_.toolchain_cache_size),
        jwt_key_(random_bytes(32)),
        core_(jwt_key_, [this](uint64_t job_id, JobState state) { report_state(job_id, state); }) {
    auto nonce = random_bytes(8);
    for (unsigned char c : nonce) nonce_ = (nonce_ << 8) | c;
  }

  std::string scheduler_bearer() const {
    const auto& a = config_.scheduler_auth;
    if (a.type == "jwt_token") return a.token;
    if (a.type == "token") return config_.public_addr + " " + a.token;
    return config_.public_addr + " dangerously_insecure_server";
  }

  // Heartbeats every `interval` (a third of it after a failure) until the process ends.
  void heartbeat_loop(std::chrono::seconds interval) {
    auto [base, prefix] = split_url(config_.scheduler_url);
    httplib::Client cli(base);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(std::chrono::seconds(5));
    cli.set_read_timeout(std::chrono::seconds(30));
    cli.set_bearer_token_auth(scheduler_bearer());
    const std::string body = encode_heartbeat(
        {jwt_key_, std::max(1U, std::thread::hardware_concurrency()), nonce_, cert_.digest, cert_.cert_pem});
    bool was_ok = false;
    while (true) {
      auto r = cli.Post(prefix + "/api/v1/scheduler/heartbeat_server", body, "application/json");
      std::string failure;
      if (!r) {
        failure = httplib::to_string(r.error());
      } else if (r->status != 200) {
        failure = "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200);
      } else if (auto reply = decode_heartbeat_reply(r->body); !reply) {
        failure = reply.error().message;
      }
      bool ok = failure.empty();
      if (!ok) {
        spdlog::warn("heartbeat to {} failed: {}", config_.scheduler_url, failure);
      } else if (!was_ok) {
        spdlog::info("registered with the scheduler at {}", config_.scheduler_url);
      }
      was_ok = ok;
      std::this_thread::sleep_for(ok ? interval : std::max(std::chrono::seconds(1), interval / 3));
    }
  }

  void report_state(uint64_t job_id, JobState state) {
    auto [base, prefix] = split_url(config_.scheduler_url);
    httplib::Client cli(base);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(std::chrono::seconds(5));
    cli.set_bearer_token_auth(scheduler_bearer());
    auto r = cli.Post(prefix + "/api/v1/scheduler/job_state/" + std::to_string(job_id), encode_job_state(state),
                      "application/json");
    if (!r || r->status != 200) {
      spdlog::warn("job {}: reporting state {} failed", job_id, job_state_name(state));
      return;
    }
    // A 200 may still be a refusal: {"Fail":{"msg":…}} (e.g. the job is no longer known).
    auto reply = decode_job_state_reply(r->body);
    if (!reply || reply->fail) {
      spdlog::warn("job {}: reporting state {} failed: {}", job_id, job_state_name(state),
                   reply ? reply->fail->msg : reply.error().message);
    }
  }

  // Every route authenticates from the headers before a byte of the body is read, then reads a
  // body of bounded size (http_front.hpp). A refused request with a known job ends that job.
  void routes(httplib::Server& http) {
    using Reader = httplib::ContentReader;
    http.Post(R"(/api/v1/distserver/assign_job/(\d+))", [this](const httplib::Request& req, httplib::Response& res,
                                                             const Reader& reader) {
      uint64_t job_id = 0;
      std::string raw;
      if (!job_ok(req, res, reader, job_id) ||
          !HttpFront::read_body(req, res, reader, kMaxAssignBody, "assign_job limit", raw)) {
        return;
      }
      auto request = decode_assign_job_request(raw);
      if (!request) return reply(res, json{{"description", request.error().message}}, 400);
      bool need = !toolchains_.contains(request->archive_id);
      core_.assign(job_id, request->archive_id, need);
      send(res, encode_assign_job_reply({need ? JobState::pending : JobState::ready, need}));
    });
    http.Post(R"(/api/v1/distserver/submit_toolchain/(\d+))",
              [this](const httplib::Request& req, httplib::Response& res, const Reader& reader) {
                submit_toolchain(req, res, reader);
              });
    http.Post(R"(/api/v1/distserver/run_job/(\d+))",
              [this](const httplib::Request& req, httplib::Response& res, const Reader& reader) {
                run_job_route(req, res, reader);
              });
  }

 private:
  // The job the request's token names and its toolchain's id; a refusal has been answered.
  std::optional<std::string> job_archive(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader, uint64_t& job_id) {
    if (!job_ok(req, res, reader, job_id)) return std::nullopt;
    auto archive_id = core_.archive_of(job_id);
    if (!archive_id) {
      HttpFront::discard_body(req, reader);
      send(res, encode_job_not_found());
    }
    return archive_id;
  }

  void submit_toolchain(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    uint64_t job_id = 0;
    auto archive_id = job_archive(req, res, reader, job_id);
    if (!archive_id) return;
    std::string archive;
    if (!HttpFront::read_body(req, res, reader, config_.max_toolchain_size, "max_toolchain_size", archive)) {
      spdlog::warn("job {}: toolchain refused: {}", job_id, res.body);
      return core_.finish(job_id);  // the client compiles locally: free the slot
    }
    core_.advance(job_id, JobState::ready);
    if (auto st = toolchains_.put(*archive_id, archive); !st) {
      spdlog::warn("job {}: toolchain refused: {}", job_id, st.error().message);
      core_.finish(job_id);
      return send(res, encode_submit_toolchain_reply({SubmitToolchainReply::Kind::cannot_cache, st.error().message}));
    }
    send(res, encode_submit_toolchain_reply({SubmitToolchainReply::Kind::success, ""}));
  }

  void run_job_route(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    uint64_t job_id = 0;
    auto archive_id = job_archive(req, res, reader, job_id);
    if (!archive_id) return;
    // From here every way out, a refusal, a failure or an exception, ends the job.
    struct Finish {
      BuildServer* server;
      uint64_t id;
      ~Finish() { server->core_.finish(id); }
    } finish_guard{this, job_id};
    std::string body;
    if (!HttpFront::read_body(req, res, reader, config_.max_job_input_size, "max_job_input_size", body)) return;
    run_job(job_id, *archive_id, std::move(body), res);
  }

  // The job token (BuildServerCore::check_token), checked from the headers alone; a refused
  // request's body is discarded unread.
  bool job_ok(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
              uint64_t& job_id) {
    auto check = core_.check_token(req.get_header_value("Authorization"), parse_job_id(req.matches[1].str()));
    if (check.job_id) {
      job_id = *check.job_id;
      return true;
    }
    HttpFront::discard_body(req, reader);
    unauthorized(res, check.code, check.why);
    return false;
  }

  // Body: u32 big-endian length, that many bytes of JSON {command: {executable, arguments,
  // env_vars, cwd}, outputs}, then a (gzip'd) tar of the inputs at their absolute paths. The
  // whole request is checked (parse_run_job) before the job's state changes; the caller ends the
  // job whatever happens here.
  void run_job(uint64_t job_id, const std::string& archive_id, std::string body, httplib::Response& res) {
    auto job = parse_run_job(body, config_.max_job_input_size);
    body.clear();
    body.shrink_to_fit();
    if (!job) return reply(res, json{{"description", job.error().message}}, 400);
    auto lease = toolchains_.acquire(archive_id);
    if (!lease) return reply(res, json{{"description", "toolchain unavailable: " + lease.error().message}}, 500);
    core_.advance(job_id, JobState::started);
    job->toolchain_dir = lease->dir();
    job->toolchain_id = archive_id;
    job->toolchain_archive = toolchains_.archive_path(archive_id);  // kept there by the lease
    job->max_output_size = config_.max_job_output_size;
    auto result = builder_->run(*job);
    job->inputs.clear();  // written into the sandbox: free them before the reply is built
    job->inputs.shrink_to_fit();
    if (!result) return reply(res, json{{"description", "build failed to run: " + result.error().message}}, 500);
    res.status = 200;
    res.body = complete_reply(*result);
    res.set_header("Content-Type", "application/json");
  }

  ServerConfig config_;
  std::unique_ptr<Builder> builder_;
  SelfSignedCert cert_;
  ToolchainCache toolchains_;
  std::string jwt_key_;
  uint64_t nonce_ = 0;
  BuildServerCore core_;  // the job table; after jwt_key_, which it is made from
};

}  // namespace

int run_build_server(const std::string& config_path, const EnvMap& env) {
  auto config = load_server_config(config_path);
  if (!config) return dist_fail(config.error().message);
  auto addr = parse_socket_addr(config->public_addr);
  if (config->scheduler_auth.type == "jwt_token") {
    // The token names the server it was made for; refuse to run under another address.
    auto dot1 = config->scheduler_auth.token.find('.');
    auto dot2 = config->scheduler_auth.token.find('.', dot1 + 1);
    auto payload = dot1 == std::string::npos ? Expected<std::string>(make_error("malformed"))
                                             : base64url_decode(config->scheduler_auth.token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto claims = payload ? json::parse(*payload, nullptr, false) : json();
    if (!claims.is_object() || claims.value("server_id", "") != config->public_addr) {
      return dist_fail("scheduler_auth.token was not made for public_addr " + config->public_addr +
                       " (see `sccache-dist auth generate-jwt-hs256-server-token --server " + config->public_addr + "`)");
    }
  }
  auto interval = env_seconds(env, "SCCACHE_DIST_HEARTBEAT_SECS", std::chrono::seconds(30), 3600);
  if (!interval) return dist_fail(interval.error().message);
  auto cert = make_self_signed_cert(addr->first);
  if (!cert) return dist_fail(cert.error().message);
  HttpFront https(config->http, /*body_within_header_deadline=*/false);
  if (auto st = https.use_tls(cert->cert_pem, cert->key_pem); !st) return dist_fail(st.error().message);
  https.set_payload_max_length(static_cast<size_t>(std::max(config->max_toolchain_size, config->max_job_input_size)));
  // The port first: a second server on the same config must fail before it touches build_dir.
  if (auto st = check_port_free(addr->first, addr->second, "public_addr"); !st) {
    return dist_fail(st.error().message + " (is another build server running there?)");
  }
  std::unique_ptr<Builder> builder;
  if (config->builder.type == "docker") {
    auto docker = DockerBuilder::create();
    if (!docker) return dist_fail(docker.error().message);
    builder = std::move(*docker);
  } else {
    auto overlay = OverlayBuilder::create(config->builder.build_dir, config->builder.bwrap_path);
    if (!overlay) return dist_fail(overlay.error().message);
    builder = std::move(*overlay);
  }
  if (auto st = make_dirs(config->cache_dir); !st) return dist_fail(st.error().message);
  BuildServer server(*config, std::move(builder), *cert);
  server.routes(https);
  if (!https.bind_to_port(addr->first, addr->second)) {
    return dist_fail("cannot listen on " + config->public_addr + " (public_addr): " + std::strerror(errno) +
                     " (is another build server running there?)");
  }
  std::thread([&server, period = *interval] { server.heartbeat_loop(period); }).detach();
  spdlog::info("build server listening on {} (https)", config->public_addr);
  https.listen_after_bind();
  return 0;
}

}  // namespace sccache::dist
