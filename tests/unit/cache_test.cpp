// Entry codec and disk storage: corruption is detected, writes are atomic, LRU survives restarts.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>
#include <unistd.h>

#include <filesystem>

#include "cache/disk_storage.hpp"
#include "cache/codec/entry.hpp"
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
  auto decoded = decode_entry(encode_entry(key_n(1), e), key_n(1));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, e);
}

// Issue 14 item 6: an entry copied over another key's file is an error, not a hit.
TEST(Entry, StoredUnderAnotherKeyIsAnError) {
  auto decoded = decode_entry(encode_entry(key_n(1), sample_entry()), key_n(2));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("another key"), std::string::npos) << decoded.error().message;
}

TEST(Entry, EveryTruncationIsAnError) {
  std::string bytes = encode_entry(key_n(1), sample_entry());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_entry(bytes.substr(0, n), key_n(1))) << "truncated to " << n;
  }
}

TEST(Entry, EveryFlippedByteIsAnError) {
  std::string bytes = encode_entry(key_n(1), sample_entry());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    EXPECT_FALSE(decode_entry(bad, key_n(1))) << "flipped byte " << i;
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

#include "cache/codec/manifest.hpp"

namespace sccache {
namespace {

TEST(Manifest, RoundTripAndCorruption) {
  Manifest m;
  m.entries.push_back({"k1", {{"/a.c", "d1"}, {"/x.h", "d2"}}, {{"/inc/x.h", -1}, {"/o/x.h", 12345}}});
  m.entries.push_back({"k2", {}, {}});
  std::string bytes = encode_manifest(key_n(2), m);
  auto d = decode_manifest(bytes, key_n(2));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->entries.size(), 2U);
  EXPECT_EQ(d->entries[0], m.entries[0]);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x33);
    EXPECT_FALSE(decode_manifest(bad, key_n(2))) << i;
  }
  EXPECT_FALSE(decode_manifest(encode_entry(key_n(2), CacheEntry{}), key_n(2)));
  EXPECT_FALSE(decode_manifest(bytes, key_n(3)));  // copied over another key's manifest
}

// Issue 14 item 3: an entry replaced by a FIFO or a symlink to a device is a failed read at
// once, never a hang or an unbounded read.
TEST(DiskStorageHostile, FifoAndDeviceEntriesAreErrorsNotHangs) {
  TempDir dir;
  DiskStorage storage(dir.path(), 1 << 20);
  ASSERT_TRUE(storage.put(key_n(1), "x"));
  ASSERT_TRUE(storage.put(key_n(2), "y"));
  std::string fifo_path;
  std::string zero_path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name == key_n(1)) fifo_path = e.path().string();
    if (name == key_n(2)) zero_path = e.path().string();
  }
  ASSERT_FALSE(fifo_path.empty());
  ASSERT_FALSE(zero_path.empty());
  ASSERT_EQ(::unlink(fifo_path.c_str()), 0);
  ASSERT_EQ(::mkfifo(fifo_path.c_str(), 0644), 0);
  ASSERT_EQ(::unlink(zero_path.c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", zero_path.c_str()), 0);
  auto fifo = storage.get(key_n(1));
  EXPECT_TRUE(!fifo || !fifo->has_value());
  auto zero = storage.get(key_n(2));
  EXPECT_TRUE(!zero || !zero->has_value());
}

TEST(ReadFile, RefusesNonRegularFilesAndHonoursTheLimit) {
  TempDir dir;
  EXPECT_FALSE(read_file("/dev/zero"));
  std::string fifo = join_path(dir.path(), "fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto r = read_file(fifo);  // returns at once: no writer is waited for
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos) << r.error().message;
  std::string big = join_path(dir.path(), "big");
  ASSERT_TRUE(write_file_atomic(big, std::string(1000, 'x'), 0644));
  EXPECT_TRUE(read_file(big, 1000));
  auto limited = read_file(big, 999);
  ASSERT_FALSE(limited);
  EXPECT_NE(limited.error().message.find("limit"), std::string::npos) << limited.error().message;
}

}  // namespace
}  // namespace sccache
