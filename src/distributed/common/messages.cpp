#include "distributed/common/messages.hpp"

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 4> kJobStateNames = {"pending", "ready", "started", "complete"};

// A body as JSON: a discarded value when it is not JSON (never an exception).
json parse(std::string_view body) { return json::parse(body, nullptr, false); }

std::string head(std::string_view body) { return std::string(body.substr(0, 200)); }

// `obj[key]` into `out` when it has the type; absent is fine unless `required`. False otherwise.
bool read(const json& obj, const char* key, std::string& out, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool read(const json& obj, const char* key, uint64_t& out, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) return !required;
  if (!it->is_number_unsigned()) return false;
  out = it->get<uint64_t>();
  return true;
}

bool read(const json& obj, const char* key, bool& out, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) return !required;
  if (!it->is_boolean()) return false;
  out = it->get<bool>();
  return true;
}

// A value read as text, as the client always has: a string as it is, any other JSON value as its
// dump() ("null" when absent). A certificate digest is compared as this text.
std::string text_of(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return "null";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// {"Fail":{"msg":…}} -> its msg; a Fail without a string msg is kept whole, as its dump().
FailReply fail_of(const json& fail) {
  if (fail.is_object()) {
    auto msg = fail.find("msg");
    if (msg != fail.end() && msg->is_string()) return {msg->get<std::string>()};
  }
  return {fail.dump()};
}

json fail_json(const FailReply& fail) { return json{{"Fail", {{"msg", fail.msg}}}}; }

// The Toolchain body of alloc_job and assign_job.
std::string encode_archive_id(const std::string& archive_id) { return json{{"archive_id", archive_id}}.dump(); }

Expected<std::string> decode_archive_id(std::string_view body) {
  auto j = parse(body);
  std::string archive_id;
  if (!j.is_object() || !read(j, "archive_id", archive_id, true)) {
    return make_error("body must be {\"archive_id\": ...}");
  }
  return archive_id;
}

Expected<JobAlloc> decode_success(const json& j) {
  auto bad = [](const std::string& what) { return make_error("unexpected reply: " + what); };
  auto s = j.find("Success");
  if (s == j.end() || !s->is_object()) return bad("`Success` must be an object");
  auto a = s->find("job_alloc");
  if (a == s->end() || !a->is_object()) return bad("`Success.job_alloc` must be an object");
  JobAlloc alloc;
  if (!read(*a, "auth", alloc.auth, true)) return bad("`Success.job_alloc.auth` must be a string");
  if (!read(*a, "job_id", alloc.job_id, true)) return bad("`Success.job_alloc.job_id` must be an unsigned integer");
  if (!read(*a, "server_id", alloc.server_id, true)) return bad("`Success.job_alloc.server_id` must be a string");
  if (!read(*s, "need_toolchain", alloc.need_toolchain, true)) {
    return bad("`Success.need_toolchain` must be a boolean");
  }
  alloc.cert_digest = text_of(*s, "cert_digest");
  return alloc;
}

}  // namespace

std::string encode_scheduler_status(const SchedulerStatus& status) {
  return json{{"num_servers", status.num_servers}, {"num_cpus", status.num_cpus}, {"in_progress", status.in_progress}}
      .dump();
}

Expected<SchedulerStatus> decode_scheduler_status(std::string_view body) {
  auto j = parse(body);
  if (j.is_discarded()) return make_error("reply is not JSON: " + head(body));
  SchedulerStatus out;
  if (!j.is_object() || !read(j, "num_servers", out.num_servers, true) || !read(j, "num_cpus", out.num_cpus, true)) {
    return make_error("unexpected reply " + head(body));
  }
  if (!read(j, "in_progress", out.in_progress, false)) out.in_progress = 0;
  return out;
}

std::string encode_alloc_job_request(const AllocJobRequest& request) { return encode_archive_id(request.archive_id); }

Expected<AllocJobRequest> decode_alloc_job_request(std::string_view body) {
  SCCACHE_TRY(archive_id, decode_archive_id(body));
  return AllocJobRequest{std::move(archive_id)};
}

std::string encode_assign_job_request(const AssignJobRequest& request) { return encode_archive_id(request.archive_id); }

Expected<AssignJobRequest> decode_assign_job_request(std::string_view body) {
  SCCACHE_TRY(archive_id, decode_archive_id(body));
  return AssignJobRequest{std::move(archive_id)};
}

std::string encode_alloc_job_reply(const AllocJobReply& reply) {
  if (const auto* fail = std::get_if<FailReply>(&reply)) return fail_json(*fail).dump();
  const auto& a = std::get<JobAlloc>(reply);
  return json{{"Success",
               {{"job_alloc", {{"auth", a.auth}, {"job_id", a.job_id}, {"server_id", a.server_id}}},
                {"need_toolchain", a.need_toolchain},
                {"cert_digest", a.cert_digest}}}}
      .dump();
}

Expected<AllocJobReply> decode_alloc_job_reply(std::string_view body) {
  auto j = parse(body);
  if (j.is_discarded()) return make_error("reply is not JSON: " + head(body));
  if (!j.is_object()) return make_error("unexpected reply: not an object");
  if (auto fail = j.find("Fail"); fail != j.end()) return AllocJobReply{fail_of(*fail)};
  SCCACHE_TRY(alloc, decode_success(j));
  return AllocJobReply{std::move(alloc)};
}

std::string encode_server_certificate(const ServerCertificate& cert) {
  return json{{"cert_digest", cert.cert_digest}, {"cert_pem", cert.cert_pem}}.dump();
}

Expected<ServerCertificate> decode_server_certificate(std::string_view body) {
  auto j = parse(body);
  if (j.is_discarded()) return make_error("reply is not JSON: " + head(body));
  ServerCertificate cert;
  if (!j.is_object() || !read(j, "cert_pem", cert.cert_pem, true)) {
    return make_error("unexpected reply: `cert_pem` must be a string");
  }
  cert.cert_digest = text_of(j, "cert_digest");
  return cert;
}

std::string encode_heartbeat(const HeartbeatRequest& heartbeat) {
  return json{{"jwt_key", base64url_encode(heartbeat.jwt_key)},
              {"num_cpus", heartbeat.num_cpus},
              {"server_nonce", heartbeat.server_nonce},
              {"cert_digest", heartbeat.cert_digest},
              {"cert_pem", heartbeat.cert_pem}}
      .dump();
}

Expected<HeartbeatRequest> decode_heartbeat(std::string_view body) {
  auto j = parse(body);
  if (!j.is_object()) return make_error("heartbeat body is not JSON");
  auto bad = [](const std::string& what) { return make_error("heartbeat body: " + what); };
  HeartbeatRequest hb;
  std::string key;
  if (!read(j, "jwt_key", key, false)) return bad("`jwt_key` must be a string");
  if (!read(j, "num_cpus", hb.num_cpus, false)) return bad("`num_cpus` must be an unsigned integer");
  if (!read(j, "server_nonce", hb.server_nonce, false)) return bad("`server_nonce` must be an unsigned integer");
  if (!read(j, "cert_digest", hb.cert_digest, false)) return bad("`cert_digest` must be a string");
  if (!read(j, "cert_pem", hb.cert_pem, false)) return bad("`cert_pem` must be a string");
  auto raw = base64url_decode(key);
  if (!raw || raw->size() != 32) return make_error("jwt_key must be 32 bytes");
  hb.jwt_key = std::move(*raw);
  return hb;
}

std::string encode_heartbeat_reply(const HeartbeatReply& reply) { return json{{"is_new", reply.is_new}}.dump(); }

Expected<HeartbeatReply> decode_heartbeat_reply(std::string_view body) {
  auto j = parse(body);
  HeartbeatReply reply;
  if (!j.is_object() || !read(j, "is_new", reply.is_new, true)) {
    return make_error("heartbeat reply: `is_new` must be a boolean");
  }
  return reply;
}

std::string encode_job_state(JobState state) { return json(std::string(job_state_name(state))).dump(); }

Expected<JobState> decode_job_state(std::string_view body) {
  auto j = parse(body);
  auto state = j.is_string() ? parse_job_state(j.get<std::string>()) : std::nullopt;
  if (!state) return make_error("body must be a job state string");
  return *state;
}

std::string encode_job_state_reply(const JobStateReply& reply) {
  return reply.fail ? fail_json(*reply.fail).dump() : json{{"Success", nullptr}}.dump();
}

Expected<JobStateReply> decode_job_state_reply(std::string_view body) {
  auto j = parse(body);
  if (j.is_object()) {
    if (auto fail = j.find("Fail"); fail != j.end()) return JobStateReply{fail_of(*fail)};
    if (j.contains("Success")) return JobStateReply{};
  }
  return make_error("job_state reply: unexpected " + head(body));
}

std::string encode_assign_job_reply(const AssignJobReply& reply) {
  return json{{"state", std::string(job_state_name(reply.state))}, {"need_toolchain", reply.need_toolchain}}.dump();
}

Expected<AssignJobReply> decode_assign_job_reply(std::string_view body) {
  auto j = parse(body);
  if (!j.is_object()) return make_error("assign_job reply malformed: not a JSON object");
  std::string name;
  auto state = read(j, "state", name, true) ? parse_job_state(name) : std::nullopt;
  if (!state) return make_error("assign_job reply malformed: `state` must be a job state name");
  AssignJobReply reply{*state, true};
  if (!read(j, "need_toolchain", reply.need_toolchain, false)) {
    return make_error("assign_job reply malformed: `need_toolchain` must be a boolean");
  }
  return reply;
}

std::string encode_submit_toolchain_reply(const SubmitToolchainReply& reply) {
  switch (reply.kind) {
    case SubmitToolchainReply::Kind::success: return json("Success").dump();
    case SubmitToolchainReply::Kind::job_not_found: return encode_job_not_found();
    case SubmitToolchainReply::Kind::cannot_cache: return json{{"CannotCache", reply.why}}.dump();
  }
  return json("Success").dump();
}

Expected<SubmitToolchainReply> decode_submit_toolchain_reply(std::string_view body) {
  using Kind = SubmitToolchainReply::Kind;
  auto j = parse(body);
  if (j.is_string() && j.get<std::string>() == "Success") return SubmitToolchainReply{Kind::success, ""};
  if (j.is_string() && j.get<std::string>() == "JobNotFound") return SubmitToolchainReply{Kind::job_not_found, ""};
  if (j.is_object() && j.contains("CannotCache")) {
    return SubmitToolchainReply{Kind::cannot_cache, text_of(j, "CannotCache")};
  }
  return make_error("submit_toolchain reply: unexpected " + head(body));
}

std::string encode_job_not_found() { return json("JobNotFound").dump(); }

std::string_view job_state_name(JobState state) {
  auto index = static_cast<size_t>(state);
  return index < kJobStateNames.size() ? kJobStateNames[index] : std::string_view("unknown");
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (size_t i = 0; i < kJobStateNames.size(); ++i) {
    if (kJobStateNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

}  // namespace sccache::dist
