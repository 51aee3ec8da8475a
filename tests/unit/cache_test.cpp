// Entry codec and disk storage: corruption is detected, writes are atomic, LRU survives restarts.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>

#include "cache/disk_storage.hpp"
#include "cache/entry.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

class TempDir {
 public:
  TempDir() : path_(*make_temp_dir("sccache-test-")) {}
  ~TempDir() { remove_tree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string key_n(int n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064x", n);
  return buf;
}

CacheEntry sample_entry() {
  CacheEntry e;
  e.files.push_back({"obj", std::string("\x7f" "ELF\0\1\2", 7)});
  e.files.push_back({"d", "a.o: a.c\n"});
  e.stdout_data = "out";
  e.stderr_data = "warning: x\n";
  return e;
}

TEST(Entry, RoundTrip) {
  CacheEntry e = sample_entry();
  auto decoded = decode_entry(encode_entry(e));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, e);
}

TEST(Entry, EveryTruncationIsAnError) {
  std::string bytes = encode_entry(sample_entry());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_entry(bytes.substr(0, n))) << "truncated to " << n;
  }
}

TEST(Entry, EveryFlippedByteIsAnError) {
  std::string bytes = encode_entry(sample_entry());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_FALSE(decode_entry(bad)) << "flipped byte " << i;
  }
}

TEST(DiskStorage, MissThenHit) {
  TempDir dir;
  DiskStorage s(dir.path(), 10 << 20);
  auto miss = s.get(key_n(1));
  ASSERT_TRUE(miss);
  EXPECT_FALSE(miss->has_value());
  ASSERT_TRUE(s.put(key_n(1), "hello"));
  auto hit = s.get(key_n(1));
  ASSERT_TRUE(hit);
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(**hit, "hello");
  EXPECT_EQ(s.location(), "Local disk: \"" + dir.path() + "\"");
  EXPECT_EQ(*s.current_size(), 4096U);
}

TEST(DiskStorage, EvictsLeastRecentlyUsedAndStaysUnderLimit) {
  TempDir dir;
  const uint64_t limit = 18 * 4096 + 3 * 4096;  // fixed overhead + room for three entries
  DiskStorage s(dir.path(), limit);
  ASSERT_TRUE(s.put(key_n(1), "one"));
  ASSERT_TRUE(s.put(key_n(2), "two"));
  ASSERT_TRUE(s.put(key_n(3), "three"));
  ASSERT_TRUE(s.get(key_n(1)));  // 1 is now most recently used; 2 is the oldest
  ASSERT_TRUE(s.put(key_n(4), "four"));
  EXPECT_TRUE(s.get(key_n(1))->has_value());
  EXPECT_FALSE(s.get(key_n(2))->has_value());
  EXPECT_TRUE(s.get(key_n(3))->has_value());
  EXPECT_TRUE(s.get(key_n(4))->has_value());
  EXPECT_LE(*s.current_size() + 18 * 4096, limit);
}

TEST(DiskStorage, TooLargeEntryIsAWriteError) {
  TempDir dir;
  DiskStorage s(dir.path(), 20 * 4096);
  EXPECT_FALSE(s.put(key_n(1), std::string(64 * 1024, 'x')));
}

TEST(DiskStorage, LruOrderSurvivesRestart) {
  TempDir dir;
  const uint64_t limit = 18 * 4096 + 2 * 4096;
  {
    DiskStorage s(dir.path(), 1 << 20);
    ASSERT_TRUE(s.put(key_n(1), "one"));
    ASSERT_TRUE(s.put(key_n(2), "two"));
  }
  // Make entry 2 older than entry 1 on disk, as a hit on 1 after 2 was written would.
  std::string p2 = dir.path() + "/" + key_n(2).substr(0, 1) + "/" + key_n(2);
  utimbuf old{1000, 1000};
  ASSERT_EQ(::utime(p2.c_str(), &old), 0);
  DiskStorage s(dir.path(), limit);
  ASSERT_TRUE(s.put(key_n(3), "three"));
  EXPECT_TRUE(s.get(key_n(1))->has_value());
  EXPECT_FALSE(s.get(key_n(2))->has_value());
  EXPECT_TRUE(s.get(key_n(3))->has_value());
}

TEST(DiskStorage, StaleTempFilesAreRemovedAndNeverVisible) {
  TempDir dir;
  ASSERT_TRUE(make_dirs(dir.path() + "/tmp"));
  std::string stale = dir.path() + "/tmp/.partial";
  ASSERT_TRUE(write_file_atomic(stale, "half", 0644));
  utimbuf old{1000, 1000};
  ASSERT_EQ(::utime(stale.c_str(), &old), 0);
  {
    DiskStorage s(dir.path(), 1 << 20);
    ASSERT_TRUE(s.put(key_n(9), "x"));  // waits for the start-up scan
  }
  EXPECT_FALSE(std::filesystem::exists(stale));
}

TEST(DiskStorage, RemoveDropsEntry) {
  TempDir dir;
  DiskStorage s(dir.path(), 1 << 20);
  ASSERT_TRUE(s.put(key_n(5), "x"));
  s.remove(key_n(5));
  EXPECT_FALSE(s.get(key_n(5))->has_value());
  EXPECT_EQ(*s.current_size(), 0U);
}

}  // namespace
}  // namespace sccache

#include "cache/manifest.hpp"

namespace sccache {
namespace {

TEST(Manifest, RoundTripAndCorruption) {
  Manifest m;
  m.entries.push_back({"k1", {{"/a.c", "d1"}, {"/x.h", "d2"}}, {{"/inc/x.h", -1}, {"/o/x.h", 12345}}});
  m.entries.push_back({"k2", {}, {}});
  std::string bytes = encode_manifest(m);
  auto d = decode_manifest(bytes);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->entries.size(), 2U);
  EXPECT_EQ(d->entries[0], m.entries[0]);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x33);
    EXPECT_FALSE(decode_manifest(bad)) << i;
  }
  EXPECT_FALSE(decode_manifest(encode_entry(CacheEntry{})));
}

}  // namespace
}  // namespace sccache
