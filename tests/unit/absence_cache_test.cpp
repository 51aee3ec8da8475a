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

TEST(AbsenceCache, ACreatedFileIsSeenAfterTheProof) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "x.h");
  settle();
  AbsenceCache::LookupStats first;
  EXPECT_TRUE(cache.still_absent(path, first));
  AbsenceCache::LookupStats second;
  EXPECT_TRUE(cache.still_absent(path, second));
  EXPECT_EQ(second.count(dir.path()), 1U) << "the second answer comes from the ancestor's stat";
  dir.file("x.h", "#pragma once\n");
  AbsenceCache::LookupStats third;
  EXPECT_FALSE(cache.still_absent(path, third));
}

TEST(AbsenceCache, ADirectoryCreatedOnTheWayIsSeen) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "lib/sub/x.h");
  settle();
  AbsenceCache::LookupStats seen;
  EXPECT_TRUE(cache.still_absent(path, seen));
  ASSERT_TRUE(make_dirs(join_path(dir.path(), "lib/sub")));
  AbsenceCache::LookupStats again;
  EXPECT_TRUE(cache.still_absent(path, again));  // still absent, proof refreshed
  dir.file("lib/sub/x.h", "int x;\n");
  AbsenceCache::LookupStats last;
  EXPECT_FALSE(cache.still_absent(path, last));
}

TEST(AbsenceCache, AnMtimeResetAfterACreationIsSeenByCtime) {
  TempDir dir;
  AbsenceCache cache(kSettle);
  const std::string path = join_path(dir.path(), "x.h");
  settle();
  AbsenceCache::LookupStats seen;
  EXPECT_TRUE(cache.still_absent(path, seen));
  auto before = stat_file(dir.path());
  ASSERT_TRUE(before);
  dir.file("x.h", "");
  timespec times[2] = {{0, UTIME_OMIT}, {before->mtime_ns / 1'000'000'000, before->mtime_ns % 1'000'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir.path().c_str(), times, 0), 0);
  AbsenceCache::LookupStats again;
  EXPECT_FALSE(cache.still_absent(path, again));
}

TEST(AbsenceCache, AFreshAncestorIsNotTrusted) {
  TempDir dir;
  AbsenceCache cache;  // the server's 2 s: the new temp dir is too fresh
  const std::string path = join_path(dir.path(), "x.h");
  AbsenceCache::LookupStats seen;
  EXPECT_TRUE(cache.still_absent(path, seen));
  dir.file("x.h", "");
  AbsenceCache::LookupStats again;
  EXPECT_FALSE(cache.still_absent(path, again));
}

}  // namespace
}  // namespace sccache
