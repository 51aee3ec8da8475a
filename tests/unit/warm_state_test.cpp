// What a server keeps across restarts (server/warm_state, server/detection_memo, plans): answers come
// back after a save and load, are recomputed once their file changes, and a malformed or
// foreign state file is never taken.
#include "server/warm_state.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "support/test_files.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

constexpr int64_t kSettle = 100'000'000;  // 100 ms instead of the server's 2 s

void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(150)); }

struct Parts {
  FileHashCache digests;
  ServerDetectionMemo memo{kSettle};
  DirectPlans plans;
  WarmParts parts() { return WarmParts{digests, memo, plans}; }
};

// remembered("probe", path) through a compute that counts its runs.
std::string probe(DetectionMemo& memo, const std::string& path, int& runs) {
  auto got = memo.remembered("probe", path, [&]() -> Expected<std::string> {
    ++runs;
    return "answer " + std::to_string(runs);
  });
  EXPECT_TRUE(got);
  return got ? *got : "";
}

// A settled compiler `cc` in a temp dir, probed once by a first server.
struct FirstServer {
  TempDir dir;
  std::string exe = dir.file("cc", "#!/bin/sh\n");
  std::string state = warm_state_path(dir.path());
  Parts parts;
  int runs = 0;
  FirstServer() {
    settle();
    EXPECT_EQ(probe(parts.memo, exe, runs), "answer 1");
  }
};

TEST(WarmState, AnswersSurviveASaveAndLoad) {
  FirstServer f;
  Parts& first = f.parts;
  const std::string& exe = f.exe;
  int& runs = f.runs;
  EXPECT_EQ(probe(first.memo, exe, runs), "answer 1") << "remembered in memory";
  DirectPlan::Builder plan;
  plan.exact(exe, *stat_file(exe));
  first.plans.put("p", plan.finish("result"));
  const std::string& state = f.state;
  ASSERT_TRUE(save_warm_state(state, first.parts()));
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  Parts second;
  ASSERT_TRUE(load_warm_state(state, second.parts()));
  EXPECT_EQ(probe(second.memo, exe, runs), "answer 1") << "the loaded answer, not a new run";
  EXPECT_EQ(runs, 1);
  auto loaded = second.plans.find("p");
  ASSERT_NE(loaded, nullptr);
  EXPECT_TRUE(loaded->still_holds());
  EXPECT_EQ(loaded->result_key(), "result");
}

TEST(WarmState, AChangedFileIsAskedAgain) {
  FirstServer f;
  ASSERT_TRUE(save_warm_state(f.state, f.parts.parts()));
  f.dir.file("cc", "#!/bin/bash\n");  // same size, new inode and ctime
  Parts second;
  ASSERT_TRUE(load_warm_state(f.state, second.parts()));
  EXPECT_EQ(probe(second.memo, f.exe, f.runs), "answer 2");
}

TEST(WarmState, AFreshFileIsNotRemembered) {
  TempDir dir;
  const std::string exe = dir.file("cc", "#!/bin/sh\n");
  ServerDetectionMemo memo(int64_t{60'000'000'000});  // written less than a minute ago
  int runs = 0;
  probe(memo, exe, runs);
  probe(memo, exe, runs);
  EXPECT_EQ(runs, 2) << "a file that may still change within its timestamp's grain is not trusted";
}

TEST(WarmState, ContentDigestIsTheFilesSha256) {
  TempDir dir;
  const std::string f = dir.file("lib.so", "abc");
  ServerDetectionMemo memo(kSettle);
  auto d = memo.content_digest(f);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WarmState, MalformedOrForeignFilesAreIgnored) {
  TempDir dir;
  Parts parts;
  const std::string state = warm_state_path(dir.path());
  EXPECT_FALSE(load_warm_state(state, parts.parts())) << "no file";
  dir.file("server-state", "SCCW not a state file");
  ::chmod(state.c_str(), 0600);
  EXPECT_FALSE(load_warm_state(state, parts.parts())) << "garbage";
  ASSERT_TRUE(save_warm_state(state, parts.parts()));
  EXPECT_TRUE(load_warm_state(state, parts.parts()));
  ::chmod(state.c_str(), 0662);
  EXPECT_FALSE(load_warm_state(state, parts.parts())) << "writable by others";
}

TEST(WarmState, TruncatedRecordsAreRefused) {
  ServerDetectionMemo memo;
  ByteWriter w;
  w.u64(2);  // claims two answers, has none
  ByteReader r(w.data());
  EXPECT_FALSE(memo.load(r));
  FileHashCache digests;
  ByteWriter w2;
  w2.u64(1);
  w2.str("/a.h");
  ByteReader r2(w2.data());
  EXPECT_FALSE(digests.load(r2));
}

}  // namespace
}  // namespace sccache
