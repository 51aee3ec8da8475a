// Direct mode's proof that shadowing candidates are still absent, answered from the deepest
// existing ancestor's stat: every way a candidate can appear must still be seen.
#include "server/absence_cache.hpp"

#include <fcntl.h>
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

// One lookup's answer for `path`.
bool absent(AbsenceCache& cache, const std::string& path) {
  AbsenceCache::LookupStats seen;
  return cache.still_absent(path, seen);
}

TEST(AbsenceCache, ACreatedFileIsSeenAfterTheProof) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "x.h");
  settle();
  EXPECT_TRUE(absent(cache, path));
  AbsenceCache::LookupStats second;
  EXPECT_TRUE(cache.still_absent(path, second));
  EXPECT_EQ(second.count(dir.path()), 1U) << "the second answer comes from the ancestor's stat";
  dir.file("x.h", "#pragma once\n");
  EXPECT_FALSE(absent(cache, path));
}

TEST(AbsenceCache, ADirectoryCreatedOnTheWayIsSeen) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "lib/sub/x.h");
  settle();
  EXPECT_TRUE(absent(cache, path));
  ASSERT_TRUE(make_dirs(join_path(dir.path(), "lib/sub")));
  EXPECT_TRUE(absent(cache, path));  // still absent, proof refreshed
  dir.file("lib/sub/x.h", "int x;\n");
  EXPECT_FALSE(absent(cache, path));
}

TEST(AbsenceCache, AnMtimeResetAfterACreationIsSeenByCtime) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "x.h");
  settle();
  EXPECT_TRUE(absent(cache, path));
  auto before = stat_file(dir.path());
  ASSERT_TRUE(before);
  dir.file("x.h", "");
  timespec times[2] = {{0, UTIME_OMIT}, {before->mtime_ns / 1'000'000'000, before->mtime_ns % 1'000'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir.path().c_str(), times, 0), 0);
  EXPECT_FALSE(absent(cache, path));
}

TEST(AbsenceCache, AFreshAncestorIsNotTrusted) {
  TempDir dir;
  AbsenceCache cache;  // the server's 2 s: the new temp dir is too fresh
  const std::string path = join_path(dir.path(), "x.h");
  EXPECT_TRUE(absent(cache, path));
  dir.file("x.h", "");
  EXPECT_FALSE(absent(cache, path));
}

}  // namespace
}  // namespace sccache
