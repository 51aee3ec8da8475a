// The values shared by the sccache-dist roles (distributed/common/messages.hpp): the job state
// names and the one codec of the scheduler's status body, used by the scheduler and the client.
#include <gtest/gtest.h>

#include "distributed/common/messages.hpp"

namespace sccache::dist {
namespace {

TEST(DistMessages, JobStateNamesRoundTrip) {
  for (auto s : {JobState::pending, JobState::ready, JobState::started, JobState::complete}) {
    EXPECT_EQ(parse_job_state(job_state_name(s)), s);
  }
  EXPECT_EQ(job_state_name(JobState::started), "started");
  EXPECT_FALSE(parse_job_state("Started"));
}

TEST(DistMessages, SchedulerStatusRoundTrip) {
  SchedulerStatus st{2, 4, 3};
  EXPECT_EQ(encode_scheduler_status(st), R"({"in_progress":3,"num_cpus":4,"num_servers":2})");
  auto back = decode_scheduler_status(encode_scheduler_status(st));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->num_servers, 2U);
  EXPECT_EQ(back->num_cpus, 4U);
  EXPECT_EQ(back->in_progress, 3U);
}

TEST(DistMessages, SchedulerStatusWithoutInProgress) {
  auto st = decode_scheduler_status(R"({"num_servers":1,"num_cpus":8})");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->num_cpus, 8U);
  EXPECT_EQ(st->in_progress, 0U);
}

TEST(DistMessages, SchedulerStatusRefusals) {
  auto not_json = decode_scheduler_status("<html>");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message, "reply is not JSON: <html>");
  auto wrong = decode_scheduler_status(R"({"num_servers":-1,"num_cpus":8})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, R"(unexpected reply {"num_servers":-1,"num_cpus":8})");
  EXPECT_FALSE(decode_scheduler_status("[1,2]"));
}

}  // namespace
}  // namespace sccache::dist
