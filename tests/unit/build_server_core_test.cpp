// The build server's job bookkeeping (distributed/build_server/build_server_core.hpp) without
// sockets or processes: assignment, job tokens (right job, another job, no bearer, another key),
// the state steps reported to the scheduler, finishing, and a lost job.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "distributed/build_server/build_server_core.hpp"
#include "distributed/common/auth.hpp"

namespace sccache::dist {
namespace {

const std::string kKey(32, 'k');

struct Reports {
  std::vector<std::pair<uint64_t, JobState>> seen;
  BuildServerCore::Reporter reporter() {
    return [this](uint64_t id, JobState s) { seen.emplace_back(id, s); };
  }
};

std::string bearer(uint64_t job_id, const std::string& key = kKey) {
  auto token = jwt_hs256_sign(nlohmann::json{{"job_id", job_id}}, key);
  EXPECT_TRUE(token) << token.error().message;
  return "Bearer " + *token;
}

TEST(BuildServerCore, TokenForTheJobOfThePathIsAccepted) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  auto check = core.check_token(bearer(7), 7);
  ASSERT_TRUE(check.job_id);
  EXPECT_EQ(*check.job_id, 7U);
}

TEST(BuildServerCore, TokenForAnotherJobIsRefused) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  auto check = core.check_token(bearer(7), 8);
  EXPECT_FALSE(check.job_id);
  EXPECT_EQ(check.code, "invalid_jwt");
  EXPECT_EQ(check.why, "the token is for another job");
  EXPECT_FALSE(core.check_token(bearer(7), std::nullopt).job_id);
}

TEST(BuildServerCore, NoBearerOrAnotherKeyIsRefused) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  auto none = core.check_token("Basic abc", 1);
  EXPECT_FALSE(none.job_id);
  EXPECT_EQ(none.code, "no_bearer_auth");
  auto other = core.check_token(bearer(1, std::string(32, 'x')), 1);
  EXPECT_FALSE(other.job_id);
  EXPECT_EQ(other.code, "invalid_jwt");
  EXPECT_FALSE(other.why.empty());
}

TEST(BuildServerCore, AssignAdvanceAndFinishReportEachStep) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  core.assign(3, "tc-1", /*need_toolchain=*/true);
  EXPECT_EQ(core.archive_of(3), "tc-1");
  EXPECT_TRUE(r.seen.empty());  // the scheduler learns the first state from assign_job's reply
  core.advance(3, JobState::ready);
  core.advance(3, JobState::ready);  // no step twice
  core.finish(3);
  std::vector<std::pair<uint64_t, JobState>> want = {
      {3, JobState::ready}, {3, JobState::started}, {3, JobState::complete}};
  EXPECT_EQ(r.seen, want);
  EXPECT_FALSE(core.archive_of(3));
}

TEST(BuildServerCore, ReadyJobStartsAtReady) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  core.assign(4, "tc-2", /*need_toolchain=*/false);
  core.advance(4, JobState::started);
  std::vector<std::pair<uint64_t, JobState>> want = {{4, JobState::started}};
  EXPECT_EQ(r.seen, want);
}

TEST(BuildServerCore, LostJobIsIgnored) {
  Reports r;
  BuildServerCore core(kKey, r.reporter());
  EXPECT_FALSE(core.archive_of(9));
  core.advance(9, JobState::started);
  core.finish(9);
  EXPECT_TRUE(r.seen.empty());
}

}  // namespace
}  // namespace sccache::dist
