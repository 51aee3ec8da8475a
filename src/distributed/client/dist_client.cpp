#include "distributed/client/dist_client.hpp"

#include <nlohmann/json.hpp>

#include "distributed/common/tar_writer.hpp"
#include "util/base64.hpp"

namespace sccache::dist {

using json = nlohmann::json;

namespace {

std::string reason_phrase(long status) {  // NOLINT(google-runtime-int): libcurl's type
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

// "http error status: 401 Unauthorized (bearer_auth_failed: <body>)": what sccache prints, plus
// the reason the peer gave.
std::string http_error(const HttpResponse& r) {
  std::string msg = "http error status: " + std::to_string(r.status);
  if (auto phrase = reason_phrase(r.status); !phrase.empty()) msg += " " + phrase;
  std::string detail;
  if (auto it = r.headers.find("www-authenticate"); it != r.headers.end()) {
    auto q = it->second.find("error=\"");
    if (q != std::string::npos) detail = it->second.substr(q + 7, it->second.find('"', q + 7) - q - 7);
  }
  std::string body = r.body.substr(0, 300);
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("description") && parsed["description"].is_string()) {
    body = parsed["description"].get<std::string>();
  } else if (parsed.is_string()) {
    body = parsed.get<std::string>();
  }
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (!body.empty()) detail += detail.empty() ? body : ": " + body;
  if (!detail.empty()) msg += " (" + detail + ")";
  return msg;
}

}  // namespace

Expected<std::unique_ptr<DistClient>> DistClient::create(const std::string& scheduler_url, std::string token) {
  std::string base = scheduler_url;
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return make_error("dist.scheduler_url `" + scheduler_url + "` must start with http:// or https://");
  }
  if (base.back() != '/') base.push_back('/');
  HttpOptions options;
  options.connect_timeout = std::chrono::milliseconds(5000);
  // A compile may run for minutes without a byte on the wire; SPEC 7.2's client timeout.
  options.stall_timeout = std::chrono::milliseconds(600'000);
  SCCACHE_TRY(http, HttpClient::create(options));
  options.stall_timeout = std::chrono::milliseconds(30'000);
  SCCACHE_TRY(sched, HttpClient::create(options));
  return std::unique_ptr<DistClient>(
      new DistClient(std::move(sched), std::move(http), std::move(base), std::move(token)));
}

Expected<SchedulerStatus> DistClient::status() {
  HttpRequest req;
  req.url = base_ + "api/v1/scheduler/status";
  SCCACHE_TRY(r, sched_->perform(req));
  if (r.status != 200) return make_error("scheduler status: " + http_error(r));
  auto status = decode_scheduler_status(r.body);
  if (!status) return make_error("scheduler status: " + status.error().message);
  return *status;
}

Expected<JobAlloc> DistClient::alloc_job(const std::string& archive_id) {
  HttpRequest req;
  req.method = "POST";
  req.url = base_ + "api/v1/scheduler/alloc_job";
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  req.body = encode_alloc_job_request({archive_id});
  SCCACHE_TRY(r, sched_->perform(req));
  if (r.status >= 400 && r.status < 500) return Error{"alloc_job: " + http_error(r), kDistFatal};
  if (r.status != 200) return make_error("alloc_job: " + http_error(r));
  auto reply = decode_alloc_job_reply(r.body);
  if (!reply) return make_error("alloc_job: " + reply.error().message);
  if (auto* fail = std::get_if<FailReply>(&*reply)) {
    return make_error("alloc_job: the scheduler has no capacity: " + fail->msg);
  }
  return std::get<JobAlloc>(std::move(*reply));
}

Expected<std::string> DistClient::cert_for(const JobAlloc& job) {
  {
    std::lock_guard lock(mu_);
    auto it = certs_.find(job.server_id);
    if (it != certs_.end() && it->second.first == job.cert_digest) return it->second.second;
  }
  HttpRequest req;
  req.url = base_ + "api/v1/scheduler/server_certificate/" + job.server_id;
  SCCACHE_TRY(r, sched_->perform(req));
  if (r.status >= 400 && r.status < 500) return Error{"server_certificate: " + http_error(r), kDistFatal};
  if (r.status != 200) return make_error("server_certificate: " + http_error(r));
  auto cert = decode_server_certificate(r.body);
  if (!cert) return make_error("server_certificate: " + cert.error().message);
  if (!job.cert_digest.empty() && cert->cert_digest != job.cert_digest) {
    return make_error("server_certificate: " + job.server_id + " changed its certificate since the allocation");
  }
  std::lock_guard lock(mu_);
  certs_[job.server_id] = {cert->cert_digest, cert->cert_pem};
  return cert->cert_pem;
}

Expected<HttpResponse> DistClient::to_server(const JobAlloc& job, const std::string& what, std::string body) {
  SCCACHE_TRY(pem, cert_for(job));
  HttpRequest req;
  req.method = "POST";
  req.url = "https://" + job.server_id + "/api/v1/distserver/" + what + "/" + std::to_string(job.job_id);
  req.headers = {{"Authorization", "Bearer " + job.auth}, {"Content-Type", "application/octet-stream"}};
  req.body = std::move(body);
  req.ca_pem = std::move(pem);
  req.accept_gzip = true;
  auto r = http_->perform(req);
  if (!r) return make_error(what + " at " + job.server_id + ": " + r.error().message);
  if (r->status != 200) return make_error(what + " at " + job.server_id + ": " + http_error(*r));
  return r;
}

Status DistClient::submit_toolchain(const JobAlloc& job, const std::string& archive) {
  SCCACHE_TRY(r, to_server(job, "submit_toolchain", archive));
  auto reply = decode_submit_toolchain_reply(r.body);
  if (reply && reply->kind == SubmitToolchainReply::Kind::success) return Ok{};
  // JobNotFound, CannotCache (a digest mismatch, too large) or anything else: the body says which.
  return make_error("submit_toolchain at " + job.server_id + ": " + r.body.substr(0, 300));
}

Expected<JobResult> DistClient::run_job(const JobAlloc& job, const CompileCommand& command,
                                        const std::vector<std::string>& outputs, const std::vector<JobInput>& inputs) {
  SCCACHE_TRY(body, encode_run_job(command, outputs, inputs));
  SCCACHE_TRY(r, to_server(job, "run_job", std::move(body)));
  return decode_run_job_reply(r.body);
}

}  // namespace sccache::dist
