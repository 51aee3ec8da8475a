// The build server's run_job request (distributed/build_server/run_job.hpp): every field type-checked before a job
// starts, inputs bounded by max_job_input_size, and the Complete reply.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "distributed/build_server/run_job.hpp"
#include "distributed/common/tar_writer.hpp"
#include "util/base64.hpp"

namespace sccache::dist {
namespace {

using json = nlohmann::json;

std::string body_of(const std::string& meta, const std::string& inputs) {
  std::string b(4, '\0');
  auto n = static_cast<uint32_t>(meta.size());
  b[0] = static_cast<char>(n >> 24);
  b[1] = static_cast<char>(n >> 16);
  b[2] = static_cast<char>(n >> 8);
  b[3] = static_cast<char>(n);
  return b + meta + inputs;
}

std::string inputs_tar(size_t bytes) {
  auto tar = make_tar_gz({{"work/t.c", std::string(bytes, 'x'), 0644}});
  return tar ? *tar : std::string();
}

TEST(DistRunJob, WellTypedRequestsParse) {
  json meta{{"command",
             {{"executable", "/usr/bin/gcc"},
              {"arguments", {"-c", "t.c"}},
              {"env_vars", json::array({json::array({"LANG", "C"})})},
              {"cwd", "/work"}}},
            {"outputs", {"t.o"}}};
  auto job = parse_run_job(body_of(meta.dump(), inputs_tar(10)), 1 << 20);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->executable, "/usr/bin/gcc");
  EXPECT_EQ(job->args, (std::vector<std::string>{"-c", "t.c"}));
  ASSERT_EQ(job->env.size(), 1U);
  EXPECT_EQ(job->cwd, "/work");
  EXPECT_EQ(job->outputs, std::vector<std::string>{"t.o"});
  ASSERT_EQ(job->inputs.size(), 1U);
  EXPECT_EQ(job->inputs[0].path, "/work/t.c");
}

TEST(DistRunJob, WronglyTypedRequestsAreRefusedNamingTheField) {
  const std::string tar = inputs_tar(10);
  auto refusal = [&](const std::string& meta) {
    auto job = parse_run_job(body_of(meta, tar), 1 << 20);
    return job ? std::string("<ok>") : job.error().message;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"command": {"executable": "/bin/sh", "arguments": 5}})", "command.arguments"},
      {R"({"command": {"executable": "/bin/sh", "arguments": [1]}})", "command.arguments"},
      {R"({"command": {"executable": 7}})", "command.executable"},
      {R"({"command": {"executable": ""}})", "command.executable"},
      {R"({"command": {"executable": "/bin/sh", "env_vars": [["A", 1]]}})", "command.env_vars"},
      {R"({"command": {"executable": "/bin/sh", "env_vars": {"A": "B"}}})", "command.env_vars"},
      {R"({"command": {"executable": "/bin/sh", "cwd": ["/"]}})", "command.cwd"},
      {R"({"command": {"executable": "/bin/sh"}, "outputs": "t.o"})", "outputs"},
      {R"({"command": "gcc"})", "command"},
      {R"({"outputs": []})", "command"},
      {R"([1, 2])", "JSON object"},
  };
  for (const auto& [meta, field] : cases) {
    std::string e = refusal(meta);
    EXPECT_NE(e.find(field), std::string::npos) << meta << " -> " << e;
  }
  EXPECT_NE(refusal("{").find("JSON object"), std::string::npos);
  EXPECT_FALSE(parse_run_job("ab", 1 << 20));
  EXPECT_FALSE(parse_run_job(std::string("\xff\xff\xff\xff", 4), 1 << 20));
}

TEST(DistRunJob, InputsAreBoundedWhenUnpacked) {
  const std::string meta = R"({"command": {"executable": "/bin/sh"}})";
  std::string tar = inputs_tar(2 << 20);  // 2 MiB of 'x': compresses to a few KiB
  ASSERT_LT(tar.size(), 64U << 10);
  auto job = parse_run_job(body_of(meta, tar), 1 << 20);
  ASSERT_FALSE(job);
  EXPECT_NE(job.error().message.find("max_job_input_size"), std::string::npos) << job.error().message;
  EXPECT_TRUE(parse_run_job(body_of(meta, tar), 4 << 20));
}

TEST(DistRunJob, CompleteReplyIsTheWireFormat) {
  SandboxResult r;
  r.exit_code = 1;
  r.stdout_data = "out";
  r.stderr_data = std::string("e\0rr", 4);
  r.outputs = {{"t.o", "\x7f" "ELF"}, {"dir/\"q\".d", ""}};
  auto j = json::parse(complete_reply(r), nullptr, false);
  ASSERT_TRUE(j.is_object());
  const auto& o = j["Complete"]["output"];
  EXPECT_EQ(o["code"], 1);
  EXPECT_EQ(o["signal"], 0);
  EXPECT_EQ(base64url_decode(o["stdout"].get<std::string>()).value(), "out");
  EXPECT_EQ(base64url_decode(o["stderr"].get<std::string>()).value(), r.stderr_data);
  ASSERT_EQ(j["Complete"]["outputs"].size(), 2U);
  EXPECT_EQ(j["Complete"]["outputs"][1][0], "dir/\"q\".d");
  EXPECT_EQ(base64url_decode(j["Complete"]["outputs"][0][1].get<std::string>()).value(), "\x7f" "ELF");
}

}  // namespace
}  // namespace sccache::dist
