// Build-server toolchain cache: digests verified, unpack on first use (once), LRU eviction that never
// touches a leased toolchain, state rebuilt after a restart, bad archives deleted.
#include "distributed/build_server/toolchain_cache.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <latch>
#include <optional>
#include <random>
#include <thread>

#include "distributed/build_server/archive.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

namespace sccache::dist {
namespace {

class CacheTempDir {
 public:
  CacheTempDir() : path_(*make_temp_dir("sccache-tccache-test-")) {}
  ~CacheTempDir() { remove_tree(path_); }
  CacheTempDir(const CacheTempDir&) = delete;
  CacheTempDir& operator=(const CacheTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Toolchain {
  std::string id;
  std::string bytes;
  std::string gcc;         // content of usr/bin/gcc
  uint64_t unpacked_size;  // as the cache counts it: file bytes + symlink target lengths
};

// A small merged-/usr toolchain whose gcc is `size` incompressible bytes, so sizes are predictable.
Toolchain make_toolchain(unsigned seed, size_t size) {
  std::mt19937 gen(seed);
  std::string gcc(size, '\0');
  for (auto& c : gcc) c = static_cast<char>(gen() & 0xff);
  auto bytes = make_tar_gz({
      {"usr/bin/gcc", gcc, 0755},
      {"usr/bin/cc", "gcc", S_IFLNK | 0777},
      {"bin", "usr/bin", S_IFLNK | 0777},
  });
  EXPECT_TRUE(bytes);
  return {sha256_hex(*bytes), *bytes, gcc, size + 3 + 7};
}

Toolchain make_raw_toolchain(std::string bytes) { return {sha256_hex(bytes), std::move(bytes), "", 0}; }

std::vector<std::string> names_in(const std::string& dir) {
  auto names = list_dir(dir);
  if (!names) return {"<" + names.error().message + ">"};
  std::sort(names->begin(), names->end());
  return *names;
}

std::string contents(const std::string& path) {
  auto data = read_file(path);
  return data ? *data : "<missing " + path + ">";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void set_mtime(const std::string& path, time_t t) {
  struct utimbuf times {t, t};
  ASSERT_EQ(::utime(path.c_str(), &times), 0) << path;
}

TEST(ToolchainCache, PutRefusesADigestMismatch) {
  CacheTempDir dir;
  ToolchainCache cache(dir.path(), 1 << 20);
  Toolchain tc = make_toolchain(1, 1000);
  std::string wrong_id = sha256_hex("something else");
  auto st = cache.put(wrong_id, tc.bytes);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "toolchain digest mismatch: expected " + wrong_id + ", got " + tc.id);
  EXPECT_EQ(st.error().code, ToolchainCache::kDigestMismatch);
  EXPECT_FALSE(cache.contains(wrong_id));
  EXPECT_FALSE(cache.contains(tc.id));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(names_in(dir.path() + "/archives").empty());
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
}

TEST(ToolchainCache, RefusesIdsThatAreNotLowercaseSha256Hex) {
  CacheTempDir dir;
  ToolchainCache cache(dir.path(), 1 << 20);
  Toolchain tc = make_toolchain(1, 100);
  std::string upper = tc.id;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  for (const std::string& id : {std::string("../../etc/passwd"), upper, tc.id.substr(1), std::string()}) {
    auto st = cache.put(id, tc.bytes);
    ASSERT_FALSE(st) << id;
    EXPECT_EQ(st.error().code, ToolchainCache::kInvalidId);
    auto lease = cache.acquire(id);
    ASSERT_FALSE(lease);
    EXPECT_EQ(lease.error().code, ToolchainCache::kInvalidId);
  }
}

TEST(ToolchainCache, PutThenAcquireUnpacksOnce) {
  CacheTempDir dir;
  ToolchainCache cache(dir.path(), 1 << 20);
  Toolchain tc = make_toolchain(2, 5000);
  ASSERT_FALSE(cache.contains(tc.id));
  auto st = cache.put(tc.id, tc.bytes);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(cache.contains(tc.id));
  EXPECT_EQ(cache.size(), tc.bytes.size());
  EXPECT_EQ(read_file(cache.archive_path(tc.id)).value(), tc.bytes);
  EXPECT_EQ(cache.unpack_count(), 0u);

  auto lease = cache.acquire(tc.id);
  ASSERT_TRUE(lease) << lease.error().message;
  EXPECT_EQ(lease->id(), tc.id);
  EXPECT_EQ(lease->dir(), dir.path() + "/unpacked/" + tc.id);
  EXPECT_EQ(read_file(lease->dir() + "/usr/bin/gcc").value(), tc.gcc);
  EXPECT_EQ(read_file(lease->dir() + "/bin/cc").value(), tc.gcc);  // through bin -> usr/bin, cc -> gcc
  EXPECT_EQ(std::filesystem::read_symlink(lease->dir() + "/bin").string(), "usr/bin");
  EXPECT_EQ(cache.size(), tc.bytes.size() + tc.unpacked_size);
  EXPECT_EQ(cache.unpack_count(), 1u);
  EXPECT_EQ(std::filesystem::status(lease->dir()).permissions(), std::filesystem::perms(0755));

  auto again = cache.acquire(tc.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->dir(), lease->dir());
  EXPECT_EQ(cache.unpack_count(), 1u);
  EXPECT_EQ(cache.size(), tc.bytes.size() + tc.unpacked_size);
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
}

TEST(ToolchainCache, AcquireOfAnUnknownIdIsNotFound) {
  CacheTempDir dir;
  ToolchainCache cache(dir.path(), 1 << 20);
  auto lease = cache.acquire(sha256_hex("never stored"));
  ASSERT_FALSE(lease);
  EXPECT_EQ(lease.error().code, ToolchainCache::kNotFound);
}

TEST(ToolchainCache, PutIsIdempotentAndRefusesArchivesLargerThanTheCache) {
  CacheTempDir dir;
  Toolchain tc = make_toolchain(3, 2000);
  ToolchainCache cache(dir.path(), tc.bytes.size() * 4);
  ASSERT_TRUE(cache.put(tc.id, tc.bytes));
  ASSERT_TRUE(cache.put(tc.id, tc.bytes));
  EXPECT_EQ(cache.size(), tc.bytes.size());
  EXPECT_EQ(names_in(dir.path() + "/archives"), std::vector<std::string>{tc.id});

  Toolchain big = make_toolchain(4, tc.bytes.size() * 5);
  auto st = cache.put(big.id, big.bytes);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ToolchainCache::kTooLarge);
  EXPECT_FALSE(cache.contains(big.id));
  EXPECT_TRUE(cache.contains(tc.id));
}

TEST(ToolchainCache, EvictsTheLeastRecentlyUsedToolchain) {
  CacheTempDir dir;
  Toolchain a = make_toolchain(10, 10000);
  Toolchain b = make_toolchain(11, 10000);
  Toolchain c = make_toolchain(12, 10000);
  // Room for three archives and one unpacked tree, minus one byte.
  uint64_t max = a.bytes.size() + a.unpacked_size + b.bytes.size() + c.bytes.size() - 1;
  ToolchainCache cache(dir.path(), max);
  ASSERT_TRUE(cache.put(a.id, a.bytes));
  ASSERT_TRUE(cache.put(b.id, b.bytes));
  ASSERT_TRUE(cache.acquire(a.id));  // a: stored first, used last; the lease ends at once
  EXPECT_EQ(cache.size(), a.bytes.size() + a.unpacked_size + b.bytes.size());

  ASSERT_TRUE(cache.put(c.id, c.bytes));
  EXPECT_TRUE(cache.contains(a.id));
  EXPECT_FALSE(cache.contains(b.id));  // least recently used
  EXPECT_TRUE(cache.contains(c.id));
  EXPECT_EQ(cache.size(), a.bytes.size() + a.unpacked_size + c.bytes.size());
  EXPECT_LE(cache.size(), cache.max_size());
  EXPECT_EQ(names_in(dir.path() + "/archives"), (std::vector<std::string>{std::min(a.id, c.id), std::max(a.id, c.id)}));
  EXPECT_EQ(names_in(dir.path() + "/unpacked"), std::vector<std::string>{a.id});
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
  auto gone = cache.acquire(b.id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ToolchainCache::kNotFound);

  // c is used (and unpacked), then b comes back: a is the least recently used now, and goes
  // with its tree.
  auto lease_c = cache.acquire(c.id);
  ASSERT_TRUE(lease_c);
  EXPECT_EQ(cache.size(), a.bytes.size() + a.unpacked_size + c.bytes.size() + c.unpacked_size);
  ASSERT_TRUE(cache.put(b.id, b.bytes));
  EXPECT_FALSE(cache.contains(a.id));
  EXPECT_TRUE(cache.contains(b.id));
  EXPECT_TRUE(cache.contains(c.id));
  EXPECT_EQ(cache.size(), b.bytes.size() + c.bytes.size() + c.unpacked_size);
  EXPECT_EQ(names_in(dir.path() + "/unpacked"), std::vector<std::string>{c.id});
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
}

TEST(ToolchainCache, ALeasedToolchainIsNeverEvicted) {
  CacheTempDir dir;
  Toolchain a = make_toolchain(20, 10000);
  Toolchain b = make_toolchain(21, 10000);
  Toolchain c = make_toolchain(22, 10000);
  Toolchain d = make_toolchain(23, 10000);
  // Room for a's archive and tree (or two archives), not for another archive on top.
  ToolchainCache cache(dir.path(), a.bytes.size() + a.unpacked_size + 1000);
  ASSERT_LE(b.bytes.size() + d.bytes.size(), cache.max_size());
  ASSERT_GT(a.bytes.size() + a.unpacked_size + b.bytes.size(), cache.max_size());
  ASSERT_TRUE(cache.put(a.id, a.bytes));
  std::optional<ToolchainCache::Lease> lease;
  {
    auto acquired = cache.acquire(a.id);
    ASSERT_TRUE(acquired) << acquired.error().message;
    lease.emplace(std::move(*acquired));
  }

  // Over the limit while a is leased: allowed, and a stays whole.
  ASSERT_TRUE(cache.put(b.id, b.bytes));
  ASSERT_TRUE(cache.put(c.id, c.bytes));  // evicts b (unleased), never a
  EXPECT_TRUE(cache.contains(a.id));
  EXPECT_FALSE(cache.contains(b.id));
  EXPECT_TRUE(cache.contains(c.id));
  EXPECT_GT(cache.size(), cache.max_size());
  EXPECT_EQ(read_file(lease->dir() + "/usr/bin/gcc").value(), a.gcc);

  // A moved lease still pins; the moved-from one releases nothing.
  ToolchainCache::Lease moved = std::move(*lease);
  lease.reset();
  ASSERT_TRUE(cache.put(d.id, d.bytes));  // evicts c, not a
  EXPECT_TRUE(cache.contains(a.id));
  EXPECT_FALSE(cache.contains(c.id));
  EXPECT_EQ(read_file(moved.dir() + "/usr/bin/gcc").value(), a.gcc);

  // Released: a is the least recently used, so the excess goes with it.
  std::string a_dir = moved.dir();
  { ToolchainCache::Lease last = std::move(moved); }
  EXPECT_FALSE(cache.contains(a.id));
  EXPECT_FALSE(exists(a_dir));
  EXPECT_FALSE(exists(cache.archive_path(a.id)));
  EXPECT_TRUE(cache.contains(d.id));
  EXPECT_LE(cache.size(), cache.max_size());
  ASSERT_TRUE(cache.put(b.id, b.bytes));  // and the next put fits without evicting d
  EXPECT_TRUE(cache.contains(d.id));
  EXPECT_EQ(cache.size(), b.bytes.size() + d.bytes.size());
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
}

TEST(ToolchainCache, RestartRebuildsTheIndexAndRemovesLeftovers) {
  CacheTempDir dir;
  Toolchain a = make_toolchain(30, 8000);
  Toolchain b = make_toolchain(31, 8000);
  Toolchain c = make_toolchain(32, 8000);
  Toolchain e = make_toolchain(33, 8000);
  uint64_t before = 0;
  {
    ToolchainCache cache(dir.path(), 1 << 20);
    ASSERT_TRUE(cache.put(a.id, a.bytes));
    ASSERT_TRUE(cache.put(b.id, b.bytes));
    ASSERT_TRUE(cache.acquire(a.id));
    before = cache.size();
    EXPECT_EQ(before, a.bytes.size() + a.unpacked_size + b.bytes.size());
  }
  // What a killed server leaves behind: half-written archive, half-unpacked tree, orphans.
  const std::string& d = dir.path();
  ASSERT_TRUE(write_file_atomic(d + "/tmp/." + c.id + ".tmp.123.4.5", "half an archive", 0600));
  ASSERT_TRUE(make_dirs(d + "/tmp/unpack-" + c.id.substr(0, 16) + "-abcdef/usr/bin"));
  ASSERT_TRUE(write_file_atomic(d + "/tmp/unpack-" + c.id.substr(0, 16) + "-abcdef/usr/bin/gcc", "half", 0755));
  ASSERT_TRUE(make_dirs(d + "/tmp/evicted-" + c.id + ".1/usr"));
  ASSERT_TRUE(write_file_atomic(d + "/archives/.stray.tmp", "x", 0600));
  ASSERT_TRUE(make_dirs(d + "/unpacked/" + c.id + "/usr"));  // a tree whose archive is gone
  ASSERT_TRUE(write_file_atomic(d + "/unpacked/not-an-id", "x", 0600));

  {
    ToolchainCache cache(d, 1 << 20);
    EXPECT_TRUE(cache.contains(a.id));
    EXPECT_TRUE(cache.contains(b.id));
    EXPECT_FALSE(cache.contains(c.id));
    EXPECT_EQ(cache.size(), before);
    EXPECT_TRUE(names_in(d + "/tmp").empty());
    EXPECT_EQ(names_in(d + "/archives"), (std::vector<std::string>{std::min(a.id, b.id), std::max(a.id, b.id)}));
    EXPECT_EQ(names_in(d + "/unpacked"), std::vector<std::string>{a.id});
    auto lease = cache.acquire(a.id);  // already unpacked: no second unpack
    ASSERT_TRUE(lease);
    EXPECT_EQ(cache.unpack_count(), 0u);
    EXPECT_EQ(read_file(lease->dir() + "/bin/gcc").value(), a.gcc);
  }

  // The LRU order comes back from the archives' mtimes: b last used long ago, a recently.
  time_t now = std::time(nullptr);
  set_mtime(d + "/archives/" + b.id, now - 1000);
  set_mtime(d + "/archives/" + a.id, now - 10);
  {
    ToolchainCache cache(d, before + c.bytes.size() - 1);
    ASSERT_TRUE(cache.put(c.id, c.bytes));
    EXPECT_TRUE(cache.contains(a.id));
    EXPECT_FALSE(cache.contains(b.id));
    EXPECT_TRUE(cache.contains(c.id));
  }
  // Reversed: a is older, so a (archive and tree) goes.
  set_mtime(d + "/archives/" + a.id, now - 2000);
  {
    ToolchainCache cache(d, a.bytes.size() + a.unpacked_size + c.bytes.size() + e.bytes.size() - 1);
    EXPECT_EQ(cache.size(), a.bytes.size() + a.unpacked_size + c.bytes.size());
    ASSERT_TRUE(cache.put(e.id, e.bytes));
    EXPECT_FALSE(cache.contains(a.id));
    EXPECT_TRUE(cache.contains(c.id));
    EXPECT_TRUE(names_in(d + "/unpacked").empty());
  }
  // A restart with a smaller limit evicts at once, the least recently used first.
  set_mtime(d + "/archives/" + c.id, now - 500);
  set_mtime(d + "/archives/" + e.id, now - 5);
  {
    ToolchainCache cache(d, std::max(c.bytes.size(), e.bytes.size()));
    EXPECT_FALSE(cache.contains(c.id));
    EXPECT_TRUE(cache.contains(e.id));
    EXPECT_EQ(cache.size(), e.bytes.size());
    EXPECT_EQ(names_in(d + "/archives"), std::vector<std::string>{e.id});
  }
}

TEST(ToolchainCache, ABadArchiveIsReportedAndDeleted) {
  auto truncated = make_tar_gz({{"usr/bin/gcc", std::string(50000, 'x'), 0755}});
  ASSERT_TRUE(truncated);
  auto hostile = make_tar_gz({{"usr/bin/gcc", "x", 0755}, {"usr/escape", "../../../etc", S_IFLNK | 0777}});
  ASSERT_TRUE(hostile);
  for (const std::string& bytes :
       {std::string("\x1f\x8b this is not really gzip"), truncated->substr(0, truncated->size() / 2), *hostile}) {
    CacheTempDir dir;
    ToolchainCache cache(dir.path(), 1 << 20);
    Toolchain bad = make_raw_toolchain(bytes);
    ASSERT_TRUE(cache.put(bad.id, bad.bytes));  // only the digest is checked on put
    auto lease = cache.acquire(bad.id);
    ASSERT_FALSE(lease);
    EXPECT_EQ(lease.error().code, ToolchainCache::kBadArchive);
    EXPECT_NE(lease.error().message.find(bad.id), std::string::npos) << lease.error().message;
    EXPECT_NE(lease.error().message.find("archive deleted"), std::string::npos) << lease.error().message;
    EXPECT_FALSE(cache.contains(bad.id));
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_TRUE(names_in(dir.path() + "/archives").empty());
    EXPECT_TRUE(names_in(dir.path() + "/unpacked").empty());
    EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
    auto again = cache.acquire(bad.id);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ToolchainCache::kNotFound);
  }
}

TEST(ToolchainCache, ConcurrentAcquiresOfOneIdUnpackOnce) {
  CacheTempDir dir;
  ToolchainCache cache(dir.path(), 64 << 20);
  Toolchain tc = make_toolchain(40, 4 << 20);
  ASSERT_TRUE(cache.put(tc.id, tc.bytes));
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto lease = cache.acquire(tc.id);
      if (!lease || contents(lease->dir() + "/usr/bin/gcc") != tc.gcc) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cache.unpack_count(), 1u);
  EXPECT_EQ(cache.size(), tc.bytes.size() + tc.unpacked_size);
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
}

TEST(ToolchainCache, ConcurrentPutsAndAcquiresOfManyIds) {
  CacheTempDir dir;
  std::vector<Toolchain> tcs;
  tcs.reserve(6);
  for (unsigned i = 0; i < 6; ++i) tcs.push_back(make_toolchain(50 + i, 20000));
  // Room for about three toolchains with their trees: eviction runs while others unpack.
  ToolchainCache cache(dir.path(), 3 * (tcs[0].bytes.size() + tcs[0].unpacked_size));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const Toolchain& tc = tcs[(t * 7 + round) % tcs.size()];
        if (!cache.put(tc.id, tc.bytes)) ++failures;
        auto lease = cache.acquire(tc.id);
        // Evicted between put and acquire by the other threads is legitimate; anything else is not.
        if (!lease) {
          if (lease.error().code != ToolchainCache::kNotFound) ++failures;
          continue;
        }
        if (contents(lease->dir() + "/bin/gcc") != tc.gcc) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(cache.size(), cache.max_size());
  EXPECT_TRUE(names_in(dir.path() + "/tmp").empty());
  // The index agrees with the disk.
  uint64_t on_disk = 0;
  for (const auto& tc : tcs) {
    bool has_archive = exists(cache.archive_path(tc.id));
    EXPECT_EQ(cache.contains(tc.id), has_archive);
    if (has_archive) on_disk += tc.bytes.size();
    if (exists(dir.path() + "/unpacked/" + tc.id)) {
      EXPECT_TRUE(has_archive);
      on_disk += tc.unpacked_size;
    }
  }
  EXPECT_EQ(cache.size(), on_disk);
}

}  // namespace
}  // namespace sccache::dist
