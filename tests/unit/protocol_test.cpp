// Wire messages round-trip; foreign or truncated payloads are refused; stats render as sccache's.
#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "client/client.hpp"
#include "protocol/messages.hpp"
#include "util/bytes.hpp"

namespace sccache {
namespace {

TEST(Protocol, CompileRequestRoundTrip) {
  CompileRequest c{"/usr/bin/gcc", "/w", {"-c", "a.c"}, {"A=1", "B="}, 027, true};
  auto decoded = decode_request(encode_request(Request{c}));
  ASSERT_TRUE(decoded);
  const auto& d = std::get<CompileRequest>(*decoded);
  EXPECT_EQ(d.exe, c.exe);
  EXPECT_EQ(d.args, c.args);
  EXPECT_EQ(d.env, c.env);
  EXPECT_EQ(d.umask, 027U);
  EXPECT_TRUE(d.stderr_is_tty);
}

TEST(Protocol, ResponsesRoundTrip) {
  CompileFinished f{1, 0, "o", "e", WireColor::on};
  auto d = decode_response(encode_response(Response{f}));
  ASSERT_TRUE(d);
  const auto& g = std::get<CompileFinished>(*d);
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_EQ(g.stderr_data, "e");
  EXPECT_EQ(g.color, WireColor::on);
  ServerInfo info;
  info.stats.cache_hits["C/C++"] = 3;
  info.stats.not_cached["-E"] = 2;
  info.cache_location = "Local disk: \"/x\"";
  info.cache_size = 4096;
  auto s = decode_response(encode_response(Response{StatsResponse{info}}));
  ASSERT_TRUE(s);
  const auto& si = std::get<StatsResponse>(*s).info;
  EXPECT_EQ(si.stats.cache_hits.at("C/C++"), 3U);
  EXPECT_EQ(si.stats.not_cached.at("-E"), 2U);
  EXPECT_EQ(si.cache_size.value_or(0), 4096U);
  EXPECT_FALSE(si.max_cache_size.has_value());
}

TEST(Protocol, ForeignAndTruncatedPayloadsAreRefused) {
  EXPECT_FALSE(decode_request("GET / HTTP/1.1\r\n"));
  std::string good = encode_request(Request{CompileRequest{"/cc", "/", {"-c"}, {}, 022, false}});
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_request(good.substr(0, n))) << n;
  EXPECT_FALSE(is_greeting("HTTP/1.0 400 Bad Request"));
  EXPECT_TRUE(is_greeting(greeting_payload()));
}

// Issue 14 item 2: frames are read against a limit, as bytes arrive, within one deadline.
class FramePair : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0); }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }
  void send_header(uint32_t n) {
    unsigned char h[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                          static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    ASSERT_EQ(::write(fds_[1], h, 4), 4);
  }
  int fds_[2] = {-1, -1};
};

TEST_F(FramePair, OversizedFrameIsRefusedNamingTheSetting) {
  send_header(0x7fffffffU);
  auto frame = read_frame(fds_[0], 1000, kDefaultFrameLength);
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().message.find("SCCACHE_MAX_FRAME_LENGTH"), std::string::npos) << frame.error().message;
}

TEST_F(FramePair, DeclaredLengthIsNotAllocatedUpFront) {
  send_header(200U << 20);  // declares 200 MiB, sends 10 bytes
  ASSERT_EQ(::write(fds_[1], "0123456789", 10), 10);
  auto heap = [] {
    struct mallinfo2 m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  size_t before = heap();
  size_t peak = before;
  std::thread reader([&] { EXPECT_FALSE(read_frame(fds_[0], 1500, 256U << 20)); });
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    peak = std::max(peak, heap());
  }
  reader.join();
  EXPECT_LT(peak - before, size_t{8} << 20) << "the reader allocated the declared size";
}

TEST_F(FramePair, DrippingPeerHitsTheFrameDeadline) {
  send_header(100);
  std::thread drip([this] {
    for (int i = 0; i < 40; ++i) {
      if (::send(fds_[1], "x", 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto start = std::chrono::steady_clock::now();
  auto frame = read_frame(fds_[0], 500, kDefaultFrameLength);
  auto took = std::chrono::steady_clock::now() - start;
  ::shutdown(fds_[0], SHUT_RDWR);
  drip.join();
  ASSERT_FALSE(frame) << "a frame dripped over 2 s was accepted with a 500 ms deadline";
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST(ByteReader, StringCountBeyondThePayloadIsRefusedWithoutAllocating) {
  ByteWriter w;
  w.u64(100'000'000);
  w.raw(std::string(1000, '\0'));
  ByteReader r(w.data());
  std::vector<std::string> v;
  EXPECT_FALSE(r.strs(v));
  EXPECT_LT(v.capacity(), 1000U);
}

TEST(Stats, TextLayoutMatchesSccache) {
  ServerInfo info;
  info.stats.compile_requests = 12;
  info.stats.cache_hits["C/C++"] = 10;
  info.stats.not_cached["-E"] = 1;
  info.stats.not_cached["multiple input files"] = 4;
  info.cache_location = "Local disk: \"/c\"";
  info.cache_size = 2048;
  info.max_cache_size = 10ULL << 30;
  std::string text = format_stats_text(info);
  EXPECT_NE(text.find("Compile requests                    12\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Cache hits (C/C++)                  10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Average cache write                 0.000 s\n"), std::string::npos) << text;
  // Reasons sorted by count, descending.
  EXPECT_LT(text.find("multiple input files"), text.find("-E "));
  EXPECT_NE(text.find("Max cache size                      10 GiB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Cache size                          2 KiB\n"), std::string::npos) << text;
}

TEST(Stats, JsonShape) {
  ServerInfo info;
  info.stats.cache_misses["C/C++"] = 1;
  info.cache_location = "Local disk: \"/c\"";
  std::string json = format_stats_json(info);
  EXPECT_EQ(json.rfind("{\"stats\":{\"compile_requests\":0,", 0), 0U) << json;
  EXPECT_NE(json.find("\"cache_misses\":{\"counts\":{\"C/C++\":1}}"), std::string::npos);
  EXPECT_NE(json.find("\"cache_write_duration\":{\"secs\":0,\"nanos\":0}"), std::string::npos);
  EXPECT_NE(json.find("\"cache_size\":null"), std::string::npos);
  EXPECT_NE(json.find("\"cache_location\":\"Local disk: \\\"/c\\\"\""), std::string::npos);
}

TEST(Client, StripAnsi) {
  EXPECT_EQ(strip_ansi("\x1b[01;35mwarning:\x1b[m x\x1b[K"), "warning: x");
  EXPECT_EQ(strip_ansi("\x1b]8;;http://x\x07link\x1b]8;;\x1b\\ end"), "link end");
  EXPECT_EQ(strip_ansi("plain"), "plain");
}

}  // namespace
}  // namespace sccache
