// `sccache-dist server`: a build server. HTTPS with a certificate made at start (published to
// clients through the scheduler's heartbeat), job tokens checked per job, toolchains kept in an
// LRU cache on disk, and every compile run by the configured builder: the overlay + bubblewrap
// sandbox, or docker containers.
#include <openssl/pem.h>

#include <chrono>
#include <condition_variable>
#include <httplib.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "dist/archive.hpp"
#include "dist/auth.hpp"
#include "dist/dist_config.hpp"
#include "dist/docker_builder.hpp"
#include "dist/sandbox.hpp"
#include "dist/scheduler_core.hpp"
#include "dist/toolchain_cache.hpp"
#include "dist_main.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

void reply(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void unauthorized(httplib::Response& res, const std::string& code, const std::string& message) {
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer error=\"" + code + "\"");
  res.set_content(json{{"description", message}, {"error", code}}.dump(), "application/json");
}

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
        jwt_key_(random_bytes(32)) {
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
    json body{{"jwt_key", base64url_encode(jwt_key_)},
              {"num_cpus", std::max(1U, std::thread::hardware_concurrency())},
              {"server_nonce", nonce_},
              {"cert_digest", cert_.digest},
              {"cert_pem", cert_.cert_pem}};
    bool was_ok = false;
    while (true) {
      auto r = cli.Post(prefix + "/api/v1/scheduler/heartbeat_server", body.dump(), "application/json");
      bool ok = r && r->status == 200;
      if (!ok) {
        spdlog::warn("heartbeat to {} failed: {}", config_.scheduler_url,
                     r ? "HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200) : httplib::to_string(r.error()));
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
    auto r = cli.Post(prefix + "/api/v1/scheduler/job_state/" + std::to_string(job_id),
                      json(std::string(job_state_name(state))).dump(), "application/json");
    if (!r || r->status != 200) spdlog::warn("job {}: reporting state {} failed", job_id, job_state_name(state));
  }

  void routes(httplib::Server& http) {
    http.Post(R"(/api/v1/distserver/assign_job/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      uint64_t job_id = 0;
      if (!job_ok(req, res, job_id)) return;
      auto body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body["archive_id"].is_string()) {
        return reply(res, json{{"description", "body must be {\"archive_id\": ...}"}}, 400);
      }
      std::string archive_id = body["archive_id"].get<std::string>();
      bool need = !toolchains_.contains(archive_id);
      {
        std::lock_guard lock(mu_);
        jobs_[job_id] = Job{archive_id, need ? JobState::pending : JobState::ready};
      }
      reply(res, json{{"state", need ? "pending" : "ready"}, {"need_toolchain", need}});
    });
    http.Post(R"(/api/v1/distserver/submit_toolchain/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      uint64_t job_id = 0;
      if (!job_ok(req, res, job_id)) return;
      auto archive_id = job_archive(job_id);
      if (!archive_id) return reply(res, json("JobNotFound"));
      advance(job_id, JobState::ready);
      if (auto st = toolchains_.put(*archive_id, req.body); !st) {
        spdlog::warn("job {}: toolchain refused: {}", job_id, st.error().message);
        finish(job_id);  // the client compiles locally: free the slot
        return reply(res, json{{"CannotCache", st.error().message}});
      }
      reply(res, json("Success"));
    });
    http.Post(R"(/api/v1/distserver/run_job/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      uint64_t job_id = 0;
      if (!job_ok(req, res, job_id)) return;
      auto archive_id = job_archive(job_id);
      if (!archive_id) return reply(res, json("JobNotFound"));
      run_job(job_id, *archive_id, req, res);
    });
  }

 private:
  // Job tokens are HS256 JWTs {"job_id": N} signed with this server's key: valid only for that
  // job on this server.
  bool job_ok(const httplib::Request& req, httplib::Response& res, uint64_t& job_id) {
    std::string h = req.get_header_value("Authorization");
    if (h.rfind("Bearer ", 0) != 0) {
      unauthorized(res, "no_bearer_auth", "no bearer token");
      return false;
    }
    auto claims = jwt_hs256_verify(h.substr(7), jwt_key_);
    if (!claims) {
      unauthorized(res, "invalid_jwt", claims.error().message);
      return false;
    }
    auto path_id = parse_job_id(req.matches[1].str());
    if (!path_id || !(*claims)["job_id"].is_number_unsigned() || (*claims)["job_id"].get<uint64_t>() != *path_id) {
      unauthorized(res, "invalid_jwt", "the token is for another job");
      return false;
    }
    job_id = *path_id;
    return true;
  }

  // Reports the states between the job's current one and `target` (the scheduler accepts only
  // pending -> ready -> started -> complete, one step at a time).
  void advance(uint64_t job_id, JobState target) {
    std::vector<JobState> steps;
    {
      std::lock_guard lock(mu_);
      auto it = jobs_.find(job_id);
      if (it == jobs_.end()) return;
      for (auto s = it->second.state; s < target;) {
        s = static_cast<JobState>(static_cast<int>(s) + 1);
        steps.push_back(s);
      }
      it->second.state = std::max(it->second.state, target);
    }
    for (auto s : steps) report_state(job_id, s);
  }

  // The job is over (ran, or cannot run): complete it at the scheduler and forget it.
  void finish(uint64_t job_id) {
    advance(job_id, JobState::complete);
    std::lock_guard lock(mu_);
    jobs_.erase(job_id);
  }

  std::optional<std::string> job_archive(uint64_t job_id) {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second.archive_id;
  }

  // Body: u32 big-endian length, that many bytes of JSON {command: {executable, arguments,
  // env_vars, cwd}, outputs}, then a (gzip'd) tar of the inputs at their absolute paths.
  void run_job(uint64_t job_id, const std::string& archive_id, const httplib::Request& req, httplib::Response& res) {
    const std::string& body = req.body;
    if (body.size() < 4) return reply(res, json{{"description", "run_job body too short"}}, 400);
    uint32_t len = (static_cast<uint32_t>(static_cast<unsigned char>(body[0])) << 24) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(body[1])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(body[2])) << 8) |
                   static_cast<uint32_t>(static_cast<unsigned char>(body[3]));
    if (len > body.size() - 4) return reply(res, json{{"description", "run_job header length out of range"}}, 400);
    auto meta = json::parse(body.substr(4, len), nullptr, false);
    if (!meta.is_object() || !meta["command"].is_object()) {
      return reply(res, json{{"description", "run_job header is not a command"}}, 400);
    }
    auto inputs = read_archive_files(std::string_view(body).substr(4 + len));
    if (!inputs) return reply(res, json{{"description", "inputs refused: " + inputs.error().message}}, 400);
    auto lease = toolchains_.acquire(archive_id);
    if (!lease) {
      finish(job_id);
      return reply(res, json{{"description", "toolchain unavailable: " + lease.error().message}}, 500);
    }
    advance(job_id, JobState::started);
    SandboxJob job;
    job.toolchain_dir = lease->dir();
    job.toolchain_id = archive_id;
    job.toolchain_archive = toolchains_.archive_path(archive_id);  // kept there by the lease
    const auto& cmd = meta["command"];
    job.executable = cmd.value("executable", "");
    job.args = cmd.value("arguments", std::vector<std::string>{});
    for (const auto& kv : cmd.value("env_vars", json::array())) {
      if (kv.is_array() && kv.size() == 2) job.env.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
    job.cwd = cmd.value("cwd", "/");
    job.outputs = meta.value("outputs", std::vector<std::string>{});
    for (auto& f : *inputs) job.inputs.push_back({"/" + f.path, std::move(f.data), f.mode});
    auto result = builder_->run(job);
    finish(job_id);
    if (!result) return reply(res, json{{"description", "build failed to run: " + result.error().message}}, 500);
    json outputs = json::array();
    for (const auto& [path, data] : result->outputs) outputs.push_back(json::array({path, base64url_encode(data)}));
    reply(res, json{{"Complete",
                     {{"output",
                       {{"code", result->exit_code},
                        {"signal", result->signal},
                        {"stdout", base64url_encode(result->stdout_data)},
                        {"stderr", base64url_encode(result->stderr_data)}}},
                      {"outputs", outputs}}}});
  }

  ServerConfig config_;
  std::unique_ptr<Builder> builder_;
  SelfSignedCert cert_;
  ToolchainCache toolchains_;
  std::string jwt_key_;
  uint64_t nonce_ = 0;
  std::mutex mu_;
  struct Job {
    std::string archive_id;
    JobState state;  // as last reported to the scheduler
  };
  std::map<uint64_t, Job> jobs_;  // guarded by mu_
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
  auto cert = make_self_signed_cert(addr->first);
  if (!cert) return dist_fail(cert.error().message);
  if (auto st = make_dirs(config->cache_dir); !st) return dist_fail(st.error().message);
  BuildServer server(*config, std::move(builder), *cert);
  // httplib wants the certificate as objects: read them back from the PEM.
  BIO* cb = BIO_new_mem_buf(cert->cert_pem.data(), static_cast<int>(cert->cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(cert->key_pem.data(), static_cast<int>(cert->key_pem.size()));
  X509* x509 = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO_free(kb);
  httplib::SSLServer https(x509, pkey);
  https.set_tcp_nodelay(true);
  X509_free(x509);
  EVP_PKEY_free(pkey);
  if (!https.is_valid()) return dist_fail("cannot set up TLS");
  https.set_payload_max_length(size_t{2} << 30);  // toolchains; inputs are far smaller
  server.routes(https);
  if (!https.bind_to_port(addr->first, addr->second)) return dist_fail("cannot listen on " + config->public_addr);
  std::chrono::seconds interval{30};
  if (auto it = env.find("SCCACHE_DIST_HEARTBEAT_SECS"); it != env.end()) interval = std::chrono::seconds(std::stoll(it->second));
  std::thread([&server, interval] { server.heartbeat_loop(interval); }).detach();
  spdlog::info("build server listening on {} (https)", config->public_addr);
  https.listen_after_bind();
  return 0;
}

}  // namespace sccache::dist
