// The local server's transport: listening and connecting over TCP and unix sockets, and the
// peer-uid lookups both ends use to refuse other users (issue 14, item 1).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/local_endpoint.hpp"
#include "protocol/peer_uid.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

class SocketDir : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = make_temp_dir("sccache-endpoint-test-");
    ASSERT_TRUE(d.has_value());
    dir_ = *d;
  }
  void TearDown() override { remove_tree(dir_); }
  std::string dir_;
};

// Accepts one connection on `listen_fd` and checks both ends see this process's uid.
void expect_both_ends_are_us(const LocalEndpoint& ep, int listen_fd) {
  ConnectOutcome outcome = ConnectOutcome::failed;
  auto client = connect_local(ep, &outcome);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  EXPECT_EQ(outcome, ConnectOutcome::ok);
  int server = ::accept(listen_fd, nullptr, nullptr);
  ASSERT_GE(server, 0);
  auto seen_by_server = socket_peer_uid(server);
  auto seen_by_client = socket_peer_uid(*client);
  ASSERT_TRUE(seen_by_server.has_value()) << seen_by_server.error().message;
  ASSERT_TRUE(seen_by_client.has_value()) << seen_by_client.error().message;
  EXPECT_EQ(*seen_by_server, ::geteuid());
  EXPECT_EQ(*seen_by_client, ::geteuid());
  ::close(server);
  ::close(*client);
}

TEST(LocalEndpoint, TcpLoopbackPeersAreFoundInTheKernelTable) {
  // Port 0: the kernel picks one; read it back.
  auto fd = listen_local(LocalEndpoint{0, ""});
  ASSERT_TRUE(fd.has_value()) << fd.error().message;
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  expect_both_ends_are_us(LocalEndpoint{ntohs(addr.sin_port), ""}, *fd);
  ::close(*fd);
}

TEST_F(SocketDir, UnixSocketIsPrivateAndItsDirectoryCreated) {
  LocalEndpoint ep{0, dir_ + "/sub/server.sock"};
  auto fd = listen_local(ep);
  ASSERT_TRUE(fd.has_value()) << fd.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  ASSERT_EQ(::stat(ep.uds.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  expect_both_ends_are_us(ep, *fd);

  // While it listens, a second server is refused; once it is gone, its socket is replaced.
  auto second = listen_local(ep);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("another server is listening there"), std::string::npos);
  ::close(*fd);
  auto third = listen_local(ep);
  ASSERT_TRUE(third.has_value()) << third.error().message;
  remove_local(ep);
  EXPECT_NE(::access(ep.uds.c_str(), F_OK), 0);
  ::close(*third);
}

TEST_F(SocketDir, SocketDirectoryWritableByOthersIsRefused) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  auto fd = listen_local(LocalEndpoint{0, dir_ + "/s.sock"});
  ASSERT_FALSE(fd.has_value());
  EXPECT_NE(fd.error().message.find("writable by other users"), std::string::npos) << fd.error().message;
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);  // sticky, as /tmp: nobody else can replace ours
  auto sticky = listen_local(LocalEndpoint{0, dir_ + "/s.sock"});
  ASSERT_TRUE(sticky.has_value()) << sticky.error().message;
  ::close(*sticky);
}

TEST_F(SocketDir, SomethingElseAtTheSocketPathIsAnError) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/s.sock", "data", 0644).has_value());
  auto fd = listen_local(LocalEndpoint{0, dir_ + "/s.sock"});
  ASSERT_FALSE(fd.has_value());
  EXPECT_NE(fd.error().message.find("is not a socket"), std::string::npos);
}

TEST(LocalEndpoint, AbstractSocketsWorkAndLongNamesAreRefused) {
  LocalEndpoint ep{0, "\\x00sccache-unit-" + std::to_string(::getpid())};
  EXPECT_TRUE(ep.is_abstract());
  EXPECT_EQ(ep.describe(), "abstract unix socket @sccache-unit-" + std::to_string(::getpid()));
  auto fd = listen_local(ep);
  ASSERT_TRUE(fd.has_value()) << fd.error().message;
  expect_both_ends_are_us(ep, *fd);
  ::close(*fd);
  auto too_long = listen_local(LocalEndpoint{0, "/tmp/" + std::string(200, 'x')});
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message.find("SCCACHE_SERVER_UDS"), std::string::npos);
}

TEST(LocalEndpoint, NobodyListeningIsReportedAsSuch) {
  LocalEndpoint ep{0, "/nonexistent-dir-for-sccache-test/s.sock"};
  ConnectOutcome outcome = ConnectOutcome::ok;
  auto fd = connect_local(ep, &outcome);
  ASSERT_FALSE(fd.has_value());
  EXPECT_EQ(outcome, ConnectOutcome::nobody_listening);
}

}  // namespace
}  // namespace sccache
