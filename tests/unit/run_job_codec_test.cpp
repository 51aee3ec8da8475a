// The one run_job codec (distributed/common/run_job_codec.hpp): what the client encodes is what
// the build server decodes, and the build server's reply is what the client reads.
#include <gtest/gtest.h>

#include "distributed/build_server/archive.hpp"
#include "distributed/common/run_job_codec.hpp"

namespace sccache::dist {
namespace {

TEST(RunJobCodec, TheRequestRoundTrips) {
  CompileCommand cmd{"/usr/bin/gcc", {"-x", "cpp-output", "-c", "a.c", "-o", "a.o"}, {{"LANG", "C"}, {"A", "b=c"}}, "/w"};
  auto body = encode_run_job(cmd, {"a.o", "/w/a.d"}, {{"/w/a.c", "int x;\n", 0644}, {"/w/tool", "#!", 0755}});
  ASSERT_TRUE(body) << body.error().message;
  auto request = decode_run_job(*body);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->command.executable, cmd.executable);
  EXPECT_EQ(request->command.arguments, cmd.arguments);
  EXPECT_EQ(request->command.env_vars, cmd.env_vars);
  EXPECT_EQ(request->command.cwd, "/w");
  EXPECT_EQ(request->outputs, (std::vector<std::string>{"a.o", "/w/a.d"}));
  auto files = read_archive_files(request->inputs_archive);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2U);
  EXPECT_EQ((*files)[0].path, "w/a.c");
  EXPECT_EQ((*files)[1].mode & 0777, 0755U);
}

TEST(RunJobCodec, AWronglyTypedRequestNamesTheField) {
  std::string header = R"({"command":{"executable":"/bin/cc","arguments":[1]}})";
  std::string body = std::string("\0\0\0", 3) + static_cast<char>(header.size()) + header;
  auto request = decode_run_job(body);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().message, "run_job request refused: `command.arguments` must be an array of strings");
  EXPECT_FALSE(decode_run_job("ab"));
  EXPECT_FALSE(decode_run_job(std::string("\0\0\1\0{}", 6)));  // header longer than the body
}

TEST(RunJobCodec, TheReplyRoundTrips) {
  std::vector<std::pair<std::string, std::string>> outputs{{"a.o", std::string("\x7f" "ELF\0\xff", 6)}};
  auto reply = decode_run_job_reply(encode_run_job_reply(1, 0, "out", "a.c:1: error\n", outputs));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->code, 1);
  EXPECT_FALSE(reply->signal);
  EXPECT_EQ(reply->stdout_data, "out");
  EXPECT_EQ(reply->stderr_data, "a.c:1: error\n");
  EXPECT_EQ(reply->outputs, outputs);
  auto killed = decode_run_job_reply(encode_run_job_reply(137, 9, "", "", {}));
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->signal.value_or(0), 9);
}

}  // namespace
}  // namespace sccache::dist
