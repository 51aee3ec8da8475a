#pragma once
// The bodies that travel between the sccache-dist roles (docs/distributed.md, "Wire format") and
// the values they carry: one struct per body and one codec for both ends, so that the encoder of
// one role and the decoder of the other cannot drift apart. run_job has its own codec
// (run_job_codec.hpp).
//
// Encoders write what nlohmann's dump() makes of the body (keys in sorted order, no spaces).
// Decoders type-check every field they read and return an Error naming the field; they never
// throw. Fields absent from a body keep the defaults noted below.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "util/expected.hpp"

namespace sccache::dist {

// Wire values (bincode variant index) are the enumerator order: Pending=0 … Complete=3.
enum class JobState { pending, ready, started, complete };

std::string_view job_state_name(JobState state);                 // "pending", "ready", "started", "complete"
std::optional<JobState> parse_job_state(std::string_view name);  // inverse of job_state_name

// GET /api/v1/scheduler/status.
struct SchedulerStatus {
  uint64_t num_servers = 0;  // live servers
  uint64_t num_cpus = 0;     // summed over them
  uint64_t in_progress = 0;  // jobs they hold (allocated and not complete)
};

// The status body: {"in_progress":…,"num_cpus":…,"num_servers":…}.
std::string encode_scheduler_status(const SchedulerStatus& status);
// Errors: "reply is not JSON: <body>" or "unexpected reply <body>" (body cut at 200 bytes) unless
// the body is an object with unsigned num_servers and num_cpus. in_progress is optional (0).
Expected<SchedulerStatus> decode_scheduler_status(std::string_view body);

// ---- client -> scheduler: POST alloc_job, and scheduler -> build server: POST assign_job ----
// Both bodies are sccache's Toolchain: {"archive_id":…}. Error (either decoder):
// "body must be {\"archive_id\": ...}".
struct AllocJobRequest {
  std::string archive_id;
};
struct AssignJobRequest {
  std::string archive_id;
};
std::string encode_alloc_job_request(const AllocJobRequest& request);
Expected<AllocJobRequest> decode_alloc_job_request(std::string_view body);
std::string encode_assign_job_request(const AssignJobRequest& request);
Expected<AssignJobRequest> decode_assign_job_request(std::string_view body);

// The alloc_job reply's Success arm, flattened: {"Success":{"cert_digest":…,"job_alloc":{"auth":…,
// "job_id":…,"server_id":…},"need_toolchain":…}}.
struct JobAlloc {
  std::string auth;  // the job token for the build server
  uint64_t job_id = 0;
  std::string server_id;  // "ip:port"
  bool need_toolchain = false;
  std::string cert_digest;  // a string as sent; another JSON value as its dump() ("null" if absent)
};
// The Fail arm of the scheduler's replies: {"Fail":{"msg":…}}.
struct FailReply {
  std::string msg;  // a msg that is not a string is read as the dump() of the whole Fail value
};
using AllocJobReply = std::variant<JobAlloc, FailReply>;
std::string encode_alloc_job_reply(const AllocJobReply& reply);
// Errors: "reply is not JSON: <body cut at 200>", "unexpected reply: `<field>` must be …".
Expected<AllocJobReply> decode_alloc_job_reply(std::string_view body);

// ---- GET server_certificate/<server id>: {"cert_digest":…,"cert_pem":…} ----
struct ServerCertificate {
  std::string cert_digest;  // read like JobAlloc::cert_digest, so that the two compare
  std::string cert_pem;
};
std::string encode_server_certificate(const ServerCertificate& cert);
// Errors: "reply is not JSON: <body cut at 200>", "unexpected reply: `cert_pem` must be a string".
Expected<ServerCertificate> decode_server_certificate(std::string_view body);

// ---- build server -> scheduler: POST heartbeat_server ----
// {"cert_digest":…,"cert_pem":…,"jwt_key":<base64url>,"num_cpus":…,"server_nonce":…}
struct HeartbeatRequest {
  std::string jwt_key;  // the raw key bytes (base64url on the wire), 32 of them
  uint64_t num_cpus = 0;
  uint64_t server_nonce = 0;
  std::string cert_digest;
  std::string cert_pem;
};
std::string encode_heartbeat(const HeartbeatRequest& heartbeat);
// Absent fields are 0 or "". Errors: "heartbeat body is not JSON" (or not an object),
// "heartbeat body: `<field>` must be …", "jwt_key must be 32 bytes" (absent, not base64url or
// another length).
Expected<HeartbeatRequest> decode_heartbeat(std::string_view body);
// The reply: {"is_new":…}.
struct HeartbeatReply {
  bool is_new = false;
};
std::string encode_heartbeat_reply(const HeartbeatReply& reply);
// Error: "heartbeat reply: `is_new` must be a boolean" (also for a body that is not an object).
Expected<HeartbeatReply> decode_heartbeat_reply(std::string_view body);

// ---- build server -> scheduler: POST job_state/<job id> ----
// The body is the state's name as a JSON string: "started".
std::string encode_job_state(JobState state);
// Error: "body must be a job state string".
Expected<JobState> decode_job_state(std::string_view body);
// The reply: {"Success":null} (no fail) or {"Fail":{"msg":…}}.
struct JobStateReply {
  std::optional<FailReply> fail;
};
std::string encode_job_state_reply(const JobStateReply& reply);
// Error: "job_state reply: unexpected <body cut at 200>".
Expected<JobStateReply> decode_job_state_reply(std::string_view body);

// ---- the assign_job reply: {"need_toolchain":…,"state":"pending"|"ready"} ----
struct AssignJobReply {
  JobState state = JobState::pending;
  bool need_toolchain = true;  // when absent
};
std::string encode_assign_job_reply(const AssignJobReply& reply);
// Errors start with "assign_job reply malformed" and name the field.
Expected<AssignJobReply> decode_assign_job_reply(std::string_view body);

// ---- client -> build server: POST submit_toolchain/<job id> (the body is the archive) ----
// The reply: "Success", "JobNotFound" or {"CannotCache":<why>}.
struct SubmitToolchainReply {
  enum class Kind { success, job_not_found, cannot_cache };
  Kind kind = Kind::success;
  std::string why;  // cannot_cache's reason
};
std::string encode_submit_toolchain_reply(const SubmitToolchainReply& reply);
// Error: "submit_toolchain reply: unexpected <body cut at 200>".
Expected<SubmitToolchainReply> decode_submit_toolchain_reply(std::string_view body);
// "JobNotFound": the build server's reply to submit_toolchain and to run_job for a job it does
// not hold (decode_run_job_reply reads it as an error).
std::string encode_job_not_found();

}  // namespace sccache::dist
