// The client half of distributed compilation without a network: what a build server is asked to
// run for a C/C++ miss, which compiles stay local, the run_job wire encoding, the client's
// `[dist]` config, and the client toolchain store's overrides.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "compiler/c/c_dist.hpp"
#include "compiler/c/gcc_args.hpp"
#include "config/config.hpp"
#include "distributed/build_server/archive.hpp"
#include "distributed/client/client_toolchains.hpp"
#include "distributed/client/dist_client.hpp"
#include "util/base64.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

namespace sccache {
namespace {

CArguments job_of(const CDialect& kind, std::vector<std::string> args) {
  Invocation i;
  i.exe = "/usr/bin/cc";
  i.args = std::move(args);
  i.cwd = "/w";
  auto r = parse_c_arguments(kind, i);
  EXPECT_TRUE(std::holds_alternative<CArguments>(r));
  return std::holds_alternative<CArguments>(r) ? std::get<CArguments>(r) : CArguments{};
}

using Args = std::vector<std::string>;

TEST(DistArgs, PreprocessorOnlyArgumentsAreDropped) {
  auto job =
      job_of(gcc_dialect(), {"-O2",       "-DX=1", "-D",  "Y",     "-Iinc",      "-isystem", "/sys",    "-include",
                                 "pre.h",     "-MD",   "-MT", "o.o",   "-MF",        "o.d",      "-Wp,-DZ", "-c",
                                 "src/a.cpp", "-o",    "o.o", "-fPIC", "-std=c++17", "-Wall"});
  EXPECT_EQ(dist_compile_args(job, "c++-cpp-output"),
            (Args{"-x", "c++-cpp-output", "-c", "src/a.cpp", "-o", "o.o", "-O2", "-fPIC", "-std=c++17", "-Wall"}));
}

TEST(DistArgs, LanguageFlagIsReplaced) {
  auto job = job_of(gcc_dialect(), {"-x", "c", "a.inc", "-c", "-o", "a.o", "-mavx2"});
  EXPECT_EQ(dist_compile_args(job, "cpp-output"), (Args{"-x", "cpp-output", "-c", "a.inc", "-o", "a.o", "-mavx2"}));
}

TEST(DistArgs, DepArgsMatchWhatTheDriverPasses) {
  // gcc -### shows `-MD out.d -MQ out.o`; clang's driver quotes its default target like -MQ.
  EXPECT_EQ(job_of(gcc_dialect(), {"-MD", "-c", "a.c", "-o", "sub/y.o"}).dep_args,
            (Args{"-MD", "-MF", "sub/y.d", "-MQ", "sub/y.o"}));
  EXPECT_EQ(job_of(clang_dialect(), {"-MMD", "-MP", "-c", "a.c", "-o", "y.o"}).dep_args,
            (Args{"-MMD", "-MP", "-MF", "y.d", "-MQ", "y.o"}));
  EXPECT_EQ(job_of(gcc_dialect(), {"-MD", "-MT", "t", "-MF", "d", "-c", "a.c", "-o", "y.o"}).dep_args,
            (Args{"-MD", "-MT", "t", "-MF", "d"}));
  EXPECT_TRUE(job_of(gcc_dialect(), {"-c", "a.c"}).dep_args.empty());
}

TEST(DistArgs, CompilesWhoseOutputWouldDifferStayLocal) {
  EXPECT_FALSE(c_dist_refusal(gcc_dialect(), job_of(gcc_dialect(), {"-O2", "-c", "a.c"})));
  // Each of these is cacheable (checked: job_of expects a CArguments) and must stay local.
  for (const Args& extra : {Args{"-g"}, Args{"-g3"}, Args{"--coverage"}, Args{"-fprofile-arcs"}, Args{"-H"}, Args{"-v"},
                            Args{"-frecord-gcc-switches"}, Args{"-Wa,--noexecstack"}, Args{"-fsanitize=address"},
                            Args{"-flto"}, Args{"-finput-charset=latin1"}, Args{"-Wall"}}) {
    Args args{"-c", "a.c"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_TRUE(c_dist_refusal(gcc_dialect(), job_of(gcc_dialect(), args))) << extra[0];
  }
  EXPECT_TRUE(c_dist_refusal(gcc_dialect(), job_of(gcc_dialect(), {"-S", "a.c"})));
  EXPECT_TRUE(c_dist_refusal(gcc_dialect(), job_of(gcc_dialect(), {"-c", "a.i"})));  // already preprocessed
  EXPECT_TRUE(c_dist_refusal(gcc_dialect(), job_of(gcc_dialect(), {"-c", "a.s"})));
  EXPECT_TRUE(c_dist_refusal(clang_dialect(), job_of(clang_dialect(), {"-c", "a.m"})));  // no cc1obj packaged
  // gcc drops -Wmisleading-indentation for preprocessed input; clang keeps its warnings.
  EXPECT_FALSE(c_dist_refusal(clang_dialect(), job_of(clang_dialect(), {"-Wall", "-c", "a.c"})));
  EXPECT_FALSE(c_dist_refusal(gcc_dialect(),
                            job_of(gcc_dialect(), {"-Wall", "-Wno-misleading-indentation", "-c", "a.c"})));
}

TEST(DistWire, RunJobBodyIsLengthJsonAndTar) {
  dist::CompileCommand cmd{"/usr/bin/gcc", {"-x", "cpp-output", "-c", "a.c"}, {{"LANG", "C"}}, "/w"};
  auto body = dist::encode_run_job(cmd, {"a.o"}, {{"/w/a.c", "int x;\n", 0644}});
  ASSERT_TRUE(body) << body.error().message;
  ASSERT_GT(body->size(), 4U);
  uint32_t len = (static_cast<uint32_t>(static_cast<unsigned char>((*body)[0])) << 24) |
                 (static_cast<uint32_t>(static_cast<unsigned char>((*body)[1])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>((*body)[2])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>((*body)[3]));
  auto header = nlohmann::json::parse(body->substr(4, len));
  EXPECT_EQ(header["command"]["executable"], "/usr/bin/gcc");
  EXPECT_EQ(header["command"]["cwd"], "/w");
  EXPECT_EQ(header["command"]["env_vars"][0][1], "C");
  EXPECT_EQ(header["outputs"][0], "a.o");
  auto files = dist::read_archive_files(std::string_view(*body).substr(4 + len));
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 1U);
  EXPECT_EQ((*files)[0].path, "w/a.c");
  EXPECT_EQ((*files)[0].data, "int x;\n");
  EXPECT_FALSE(dist::encode_run_job(cmd, {}, {{"relative.c", "", 0644}}));
}

TEST(DistWire, CompleteReplyIsDecoded) {
  nlohmann::json reply = {
      {"Complete",
       {{"output", {{"code", 0}, {"signal", nullptr}, {"stdout", ""}, {"stderr", base64url_encode("warn\n")}}},
        {"outputs", nlohmann::json::array({nlohmann::json::array({"a.o", base64url_encode(std::string("\x7f"
                                                                                                      "ELF\0",
                                                                                                      5))})})}}}};
  auto r = dist::decode_run_job_reply(reply.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->code, 0);
  EXPECT_FALSE(r->signal);
  EXPECT_EQ(r->stderr_data, "warn\n");
  ASSERT_EQ(r->outputs.size(), 1U);
  EXPECT_EQ(r->outputs[0].second, std::string("\x7f"
                                              "ELF\0",
                                              5));
  EXPECT_FALSE(dist::decode_run_job_reply("\"JobNotFound\""));
  EXPECT_FALSE(dist::decode_run_job_reply("not json"));
}

TEST(DistConfig, ToolchainEntriesAreParsedAndChecked) {
  Config cfg;
  ASSERT_TRUE(
      apply_config_text(cfg,
                        "[dist]\nscheduler_url = \"http://127.0.0.1:10600\"\n"
                        "[[dist.toolchains]]\ntype = \"path_override\"\ncompiler_executable = \"/usr/bin/gcc\"\n"
                        "archive = \"/tc/gcc.tgz\"\narchive_compiler_executable = \"/usr/bin/gcc\"\n"
                        "[[dist.toolchains]]\ntype = \"no_dist\"\ncompiler_executable = \"/usr/bin/clang\"\n"
                        "[dist.auth]\ntype = \"token\"\ntoken = \"secret\"\n",
                        "f"));
  ASSERT_EQ(cfg.dist.toolchains.size(), 2U);
  EXPECT_EQ(cfg.dist.toolchains[0].archive, "/tc/gcc.tgz");
  EXPECT_EQ(cfg.dist.toolchains[1].type, "no_dist");
  EXPECT_EQ(cfg.dist.auth_token, "secret");
  Config bad;
  auto st = apply_config_text(
      bad, "[[dist.toolchains]]\ntype = \"path_override\"\ncompiler_executable = \"/usr/bin/gcc\"\n", "f");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("dist.toolchains.archive"), std::string::npos) << st.error().message;
  auto unknown = apply_config_text(bad, "[[dist.toolchains]]\ntype = \"no_dist\"\ncompiler = \"/x\"\n", "f");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("compiler"), std::string::npos) << unknown.error().message;
}

TEST(ClientToolchains, OverridesWinAndNoDistRefuses) {
  auto dir = make_temp_dir("sccache-tc-test-");
  ASSERT_TRUE(dir);
  std::string archive = *dir + "/custom.tgz";
  ASSERT_TRUE(write_file_atomic(archive, "archive bytes", 0644));
  std::vector<DistToolchainConfig> overrides{{"path_override", "/opt/cc/bin/gcc", archive, "/usr/bin/gcc"},
                                             {"no_dist", "/opt/cc/bin/clang", "", ""}};
  dist::ClientToolchains tcs(*dir + "/client", 1 << 20, overrides);
  auto r = tcs.resolve("/opt/cc/bin/gcc", "id", dist::ToolchainFlavor::gcc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->archive_id, sha256_hex("archive bytes"));
  EXPECT_EQ(r->executable, "/usr/bin/gcc");
  EXPECT_EQ(r->archive_path, archive);
  auto no = tcs.resolve("/opt/cc/bin/clang", "id", dist::ToolchainFlavor::clang);
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code, dist::ClientToolchains::kNoDist);
  EXPECT_EQ(tcs.packaged(), 0U);
  remove_tree(*dir);
}

}  // namespace
}  // namespace sccache
