// The bodies between the sccache-dist roles (distributed/common/messages.hpp): each one's bytes as
// they are on the wire (what nlohmann's dump() made of them before the codec, key order included),
// a round trip through its decoder, and a malformed body refused with an error naming the field.
#include <gtest/gtest.h>

#include "distributed/common/messages.hpp"

namespace sccache::dist {
namespace {

TEST(DistBodies, AllocAndAssignJobRequests) {
  EXPECT_EQ(encode_alloc_job_request({"abc"}), R"({"archive_id":"abc"})");
  EXPECT_EQ(encode_assign_job_request({"abc"}), R"({"archive_id":"abc"})");
  auto alloc = decode_alloc_job_request(encode_alloc_job_request({"ab\"c"}));
  ASSERT_TRUE(alloc) << alloc.error().message;
  EXPECT_EQ(alloc->archive_id, "ab\"c");
  auto assign = decode_assign_job_request(encode_assign_job_request({"0000"}));
  ASSERT_TRUE(assign) << assign.error().message;
  EXPECT_EQ(assign->archive_id, "0000");
}

TEST(DistBodies, AllocAndAssignJobRequestRefusals) {
  for (const char* body : {R"({"archive_id":5})", R"({})", R"(["abc"])", "not json", ""}) {
    auto alloc = decode_alloc_job_request(body);
    ASSERT_FALSE(alloc) << body;
    EXPECT_EQ(alloc.error().message, "body must be {\"archive_id\": ...}");
    auto assign = decode_assign_job_request(body);
    ASSERT_FALSE(assign) << body;
    EXPECT_EQ(assign.error().message, "body must be {\"archive_id\": ...}");
  }
}

TEST(DistBodies, AllocJobReplySuccess) {
  JobAlloc alloc{"tok", 7, "10.0.0.1:10501", true, "d1"};
  std::string body = encode_alloc_job_reply(alloc);
  EXPECT_EQ(body,
            R"({"Success":{"cert_digest":"d1","job_alloc":{"auth":"tok","job_id":7,"server_id":"10.0.0.1:10501"},)"
            R"("need_toolchain":true}})");
  auto back = decode_alloc_job_reply(body);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(std::holds_alternative<JobAlloc>(*back));
  const auto& got = std::get<JobAlloc>(*back);
  EXPECT_EQ(got.auth, "tok");
  EXPECT_EQ(got.job_id, 7U);
  EXPECT_EQ(got.server_id, "10.0.0.1:10501");
  EXPECT_TRUE(got.need_toolchain);
  EXPECT_EQ(got.cert_digest, "d1");
}

TEST(DistBodies, AllocJobReplyFail) {
  std::string body = encode_alloc_job_reply(FailReply{"Insufficient capacity across 0 available servers"});
  EXPECT_EQ(body, R"({"Fail":{"msg":"Insufficient capacity across 0 available servers"}})");
  auto back = decode_alloc_job_reply(body);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(std::holds_alternative<FailReply>(*back));
  EXPECT_EQ(std::get<FailReply>(*back).msg, "Insufficient capacity across 0 available servers");
  // A Fail without a string msg is kept whole.
  auto odd = decode_alloc_job_reply(R"({"Fail":{"msg":3}})");
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_EQ(std::get<FailReply>(*odd).msg, R"({"msg":3})");
}

TEST(DistBodies, AllocJobReplyDigestAsText) {
  // sccache's Vec<u8> digest (a JSON array) and an absent one are read as their dump(), the way
  // the server certificate's digest is, so that the two compare.
  auto arr = decode_alloc_job_reply(
      R"({"Success":{"cert_digest":[1,2],"job_alloc":{"auth":"a","job_id":0,"server_id":"s"},"need_toolchain":false}})");
  ASSERT_TRUE(arr) << arr.error().message;
  EXPECT_EQ(std::get<JobAlloc>(*arr).cert_digest, "[1,2]");
  auto none = decode_alloc_job_reply(
      R"({"Success":{"job_alloc":{"auth":"a","job_id":0,"server_id":"s"},"need_toolchain":false}})");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(std::get<JobAlloc>(*none).cert_digest, "null");
  auto cert = decode_server_certificate(R"({"cert_digest":[1,2],"cert_pem":"p"})");
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->cert_digest, "[1,2]");
}

TEST(DistBodies, AllocJobReplyRefusals) {
  auto not_json = decode_alloc_job_reply("<html>");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "reply is not JSON: <html>");
  auto job_id = decode_alloc_job_reply(
      R"({"Success":{"cert_digest":"d","job_alloc":{"auth":"a","job_id":-1,"server_id":"s"},"need_toolchain":true}})");
  ASSERT_FALSE(job_id);
  EXPECT_EQ(job_id.error().message, "unexpected reply: `Success.job_alloc.job_id` must be an unsigned integer");
  auto need = decode_alloc_job_reply(
      R"({"Success":{"cert_digest":"d","job_alloc":{"auth":"a","job_id":1,"server_id":"s"},"need_toolchain":"yes"}})");
  ASSERT_FALSE(need);
  EXPECT_EQ(need.error().message, "unexpected reply: `Success.need_toolchain` must be a boolean");
  auto auth = decode_alloc_job_reply(R"({"Success":{"job_alloc":{"job_id":1,"server_id":"s"},"need_toolchain":true}})");
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().message, "unexpected reply: `Success.job_alloc.auth` must be a string");
  auto neither = decode_alloc_job_reply(R"({"Other":1})");
  ASSERT_FALSE(neither);
  EXPECT_EQ(neither.error().message, "unexpected reply: `Success` must be an object");
  EXPECT_FALSE(decode_alloc_job_reply(R"("JobNotFound")"));
}

TEST(DistBodies, ServerCertificate) {
  std::string body = encode_server_certificate({"ab12", "-----BEGIN CERTIFICATE-----\nMII\n"});
  EXPECT_EQ(body, R"({"cert_digest":"ab12","cert_pem":"-----BEGIN CERTIFICATE-----\nMII\n"})");
  auto back = decode_server_certificate(body);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->cert_digest, "ab12");
  EXPECT_EQ(back->cert_pem, "-----BEGIN CERTIFICATE-----\nMII\n");
}

TEST(DistBodies, ServerCertificateRefusals) {
  auto no_pem = decode_server_certificate(R"({"cert_digest":"d","cert_pem":[1]})");
  ASSERT_FALSE(no_pem);
  EXPECT_EQ(no_pem.error().message, "unexpected reply: `cert_pem` must be a string");
  auto not_json = decode_server_certificate("{");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "reply is not JSON: {");
}

TEST(DistBodies, Heartbeat) {
  std::string key(32, '\x01');
  key[31] = '\xff';
  std::string body = encode_heartbeat({key, 4, 99, "d", "p"});
  EXPECT_EQ(body,
            R"({"cert_digest":"d","cert_pem":"p","jwt_key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAf8","num_cpus":4,)"
            R"("server_nonce":99})");
  auto back = decode_heartbeat(body);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->jwt_key, key);
  EXPECT_EQ(back->num_cpus, 4U);
  EXPECT_EQ(back->server_nonce, 99U);
  EXPECT_EQ(back->cert_digest, "d");
  EXPECT_EQ(back->cert_pem, "p");
  // Absent fields are 0 and "" (the scheduler's core refuses num_cpus 0).
  auto bare = decode_heartbeat(R"({"jwt_key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAf8"})");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->num_cpus, 0U);
  EXPECT_EQ(bare->cert_pem, "");
}

TEST(DistBodies, HeartbeatRefusals) {
  auto not_json = decode_heartbeat("[1]");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "heartbeat body is not JSON");
  auto cpus = decode_heartbeat(R"({"num_cpus":"4"})");
  ASSERT_FALSE(cpus);
  EXPECT_EQ(cpus.error().message, "heartbeat body: `num_cpus` must be an unsigned integer");
  auto nonce = decode_heartbeat(R"({"server_nonce":-2})");
  ASSERT_FALSE(nonce);
  EXPECT_EQ(nonce.error().message, "heartbeat body: `server_nonce` must be an unsigned integer");
  auto pem = decode_heartbeat(R"({"cert_pem":null})");
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.error().message, "heartbeat body: `cert_pem` must be a string");
  for (const char* body : {R"({"num_cpus":1})", R"({"jwt_key":"AQID"})", R"({"jwt_key":"!!"})"}) {
    auto key = decode_heartbeat(body);
    ASSERT_FALSE(key) << body;
    EXPECT_EQ(key.error().message, "jwt_key must be 32 bytes");
  }
}

TEST(DistBodies, HeartbeatReply) {
  EXPECT_EQ(encode_heartbeat_reply({true}), R"({"is_new":true})");
  EXPECT_EQ(encode_heartbeat_reply({false}), R"({"is_new":false})");
  auto back = decode_heartbeat_reply(encode_heartbeat_reply({true}));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->is_new);
  auto bad = decode_heartbeat_reply(R"({"is_new":1})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "heartbeat reply: `is_new` must be a boolean");
  EXPECT_FALSE(decode_heartbeat_reply("ok"));
}

TEST(DistBodies, JobState) {
  for (auto s : {JobState::pending, JobState::ready, JobState::started, JobState::complete}) {
    auto back = decode_job_state(encode_job_state(s));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(encode_job_state(JobState::started), R"("started")");
  for (const char* body : {R"("Started")", "started", R"(2)", R"({"state":"ready"})"}) {
    auto bad = decode_job_state(body);
    ASSERT_FALSE(bad) << body;
    EXPECT_EQ(bad.error().message, "body must be a job state string");
  }
}

TEST(DistBodies, JobStateReply) {
  EXPECT_EQ(encode_job_state_reply({}), R"({"Success":null})");
  EXPECT_EQ(encode_job_state_reply({FailReply{"unknown job 3"}}), R"({"Fail":{"msg":"unknown job 3"}})");
  auto ok = decode_job_state_reply(encode_job_state_reply({}));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(ok->fail);
  auto fail = decode_job_state_reply(encode_job_state_reply({FailReply{"unknown job 3"}}));
  ASSERT_TRUE(fail) << fail.error().message;
  ASSERT_TRUE(fail->fail);
  EXPECT_EQ(fail->fail->msg, "unknown job 3");
  auto bad = decode_job_state_reply(R"("Success")");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, R"(job_state reply: unexpected "Success")");
}

TEST(DistBodies, AssignJobReply) {
  EXPECT_EQ(encode_assign_job_reply({JobState::pending, true}), R"({"need_toolchain":true,"state":"pending"})");
  EXPECT_EQ(encode_assign_job_reply({JobState::ready, false}), R"({"need_toolchain":false,"state":"ready"})");
  auto back = decode_assign_job_reply(encode_assign_job_reply({JobState::ready, false}));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->state, JobState::ready);
  EXPECT_FALSE(back->need_toolchain);
  auto absent = decode_assign_job_reply(R"({"state":"pending"})");  // need_toolchain defaults to true
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_TRUE(absent->need_toolchain);
}

TEST(DistBodies, AssignJobReplyRefusals) {
  auto state = decode_assign_job_reply(R"({"need_toolchain":true,"state":"Pending"})");
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().message, "assign_job reply malformed: `state` must be a job state name");
  auto need = decode_assign_job_reply(R"({"need_toolchain":"no","state":"ready"})");
  ASSERT_FALSE(need);
  EXPECT_EQ(need.error().message, "assign_job reply malformed: `need_toolchain` must be a boolean");
  auto not_json = decode_assign_job_reply("<html>");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "assign_job reply malformed: not a JSON object");
}

TEST(DistBodies, SubmitToolchainReply) {
  using Kind = SubmitToolchainReply::Kind;
  EXPECT_EQ(encode_submit_toolchain_reply({Kind::success, ""}), R"("Success")");
  EXPECT_EQ(encode_submit_toolchain_reply({Kind::job_not_found, ""}), R"("JobNotFound")");
  EXPECT_EQ(encode_job_not_found(), R"("JobNotFound")");
  EXPECT_EQ(encode_submit_toolchain_reply({Kind::cannot_cache, "digest mismatch"}),
            R"({"CannotCache":"digest mismatch"})");
  for (auto kind : {Kind::success, Kind::job_not_found, Kind::cannot_cache}) {
    auto back = decode_submit_toolchain_reply(encode_submit_toolchain_reply({kind, "why"}));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kind, kind);
    EXPECT_EQ(back->why, kind == Kind::cannot_cache ? "why" : "");
  }
  auto bad = decode_submit_toolchain_reply(R"("Failure")");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, R"(submit_toolchain reply: unexpected "Failure")");
  EXPECT_FALSE(decode_submit_toolchain_reply(""));
}

}  // namespace
}  // namespace sccache::dist
