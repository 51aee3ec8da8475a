// SystemProcessRunner: a compile is cancelled, with everything it started, when the client's
// connection (cancel_fd) hangs up (issue 14, item 4).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "util/process.hpp"

namespace sccache {
namespace {

TEST(Process, HangupOfTheCancelSocketKillsTheWholeProcessGroup) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  // A background grandchild holds the output pipes: only a group kill lets run() return soon.
  ProcessSpec spec{{"/bin/sh", "-c", "sleep 60 & sleep 60; echo finished"}, {"PATH=/usr/bin:/bin"}, "", std::nullopt};
  spec.cancel_fd = pair[0];
  std::thread hangup([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::close(pair[1]);
  });
  auto start = std::chrono::steady_clock::now();
  SystemProcessRunner runner;
  auto result = runner.run(spec);
  auto took = std::chrono::steady_clock::now() - start;
  hangup.join();
  ::close(pair[0]);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(result->success());
  EXPECT_EQ(result->stdout_data.find("finished"), std::string::npos);
  // Well under the 5 s the runner waits for pipes held outside the group, and the 60 s sleeps.
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST(Process, DataFromTheClientIsNotAHangup) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  ASSERT_EQ(::write(pair[1], "x", 1), 1);
  EXPECT_FALSE(peer_hung_up(pair[0]));
  ProcessSpec spec{{"/bin/sh", "-c", "echo done"}, {}, "", std::nullopt};
  spec.cancel_fd = pair[0];
  SystemProcessRunner runner;
  auto result = runner.run(spec);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->cancelled);
  EXPECT_EQ(result->stdout_data, "done\n");
  ::close(pair[1]);
  EXPECT_TRUE(peer_hung_up(pair[0]));
  ::close(pair[0]);
  EXPECT_FALSE(peer_hung_up(-1));
}

}  // namespace
}  // namespace sccache
