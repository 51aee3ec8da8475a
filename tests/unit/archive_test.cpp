// Safe archive extraction: hostile tars are refused before anything is written; good ones (merged-/usr
// symlinks, icecc layouts, every supported compression) extract with links and modes intact.
#include "distributed/build_server/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "util/fs.hpp"

namespace sccache::dist {
namespace {

class ArchiveTempDir {
 public:
  ArchiveTempDir() : path_(*make_temp_dir("sccache-archive-test-")) {}
  ~ArchiveTempDir() { remove_tree(path_); }
  ArchiveTempDir(const ArchiveTempDir&) = delete;
  ArchiveTempDir& operator=(const ArchiveTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An entry written with libarchive directly, so that tests can build archives that make_tar_gz and
// any sane packer would never produce.
struct RawEntry {
  enum Type { kFile, kDir, kSymlink, kHardlink, kCharDev, kBlockDev, kFifo };
  Type type;
  std::string path;
  std::string data;  // file content, or symlink / hard link target
  unsigned perm = 0644;
};

RawEntry file(std::string path, std::string data = "x", unsigned perm = 0644) {
  return {RawEntry::kFile, std::move(path), std::move(data), perm};
}
RawEntry dir(std::string path) { return {RawEntry::kDir, std::move(path), "", 0755}; }
RawEntry symlink(std::string path, std::string target) {
  return {RawEntry::kSymlink, std::move(path), std::move(target), 0777};
}
RawEntry hardlink(std::string path, std::string target) {
  return {RawEntry::kHardlink, std::move(path), std::move(target), 0644};
}

la_ssize_t append_cb(archive* /*a*/, void* client, const void* buf, size_t len) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}

// filter: ARCHIVE_FILTER_NONE, _GZIP, _XZ, _ZSTD, _BZIP2.
std::string raw_tar(const std::vector<RawEntry>& entries, int filter = ARCHIVE_FILTER_GZIP) {
  std::string out;
  archive* a = archive_write_new();
  EXPECT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  switch (filter) {
    case ARCHIVE_FILTER_GZIP: archive_write_add_filter_gzip(a); break;
    case ARCHIVE_FILTER_XZ: archive_write_add_filter_xz(a); break;
    case ARCHIVE_FILTER_ZSTD: archive_write_add_filter_zstd(a); break;
    case ARCHIVE_FILTER_BZIP2: archive_write_add_filter_bzip2(a); break;
    default: break;
  }
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append_cb, nullptr), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_perm(ae, e.perm);
    archive_entry_set_mtime(ae, 1700000000, 0);
    switch (e.type) {
      case RawEntry::kFile:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
        break;
      case RawEntry::kDir: archive_entry_set_filetype(ae, AE_IFDIR); break;
      case RawEntry::kSymlink:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e.data.c_str());
        break;
      case RawEntry::kHardlink:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e.data.c_str());
        archive_entry_set_size(ae, 0);
        break;
      case RawEntry::kCharDev:
        archive_entry_set_filetype(ae, AE_IFCHR);
        archive_entry_set_rdevmajor(ae, 1);
        archive_entry_set_rdevminor(ae, 3);
        break;
      case RawEntry::kBlockDev:
        archive_entry_set_filetype(ae, AE_IFBLK);
        archive_entry_set_rdevmajor(ae, 8);
        archive_entry_set_rdevminor(ae, 0);
        break;
      case RawEntry::kFifo: archive_entry_set_filetype(ae, AE_IFIFO); break;
    }
    EXPECT_EQ(archive_write_header(a, ae), ARCHIVE_OK) << e.path << ": " << archive_error_string(a);
    if (e.type == RawEntry::kFile && !e.data.empty()) {
      EXPECT_EQ(archive_write_data(a, e.data.data(), e.data.size()), static_cast<la_ssize_t>(e.data.size()));
    }
    archive_entry_free(ae);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

std::vector<std::string> sorted_names(const std::string& dir) {
  auto names = list_dir(dir);
  EXPECT_TRUE(names) << dir;
  if (!names) return {};
  std::sort(names->begin(), names->end());
  return *names;
}

std::string read_link(const std::string& path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return ec ? "<" + ec.message() + ">" : target.string();
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

uint32_t perms(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string contents(const std::string& path) {
  auto data = read_file(path);
  return data ? *data : "<missing " + path + ">";
}

// ---- hostile archives ----

struct HostileCase {
  const char* name;
  std::vector<RawEntry> entries;
  std::string named_entry;     // the error must name this entry
  std::string outside_path;    // an absolute path that must not exist afterwards, if any
};

// gtest prints parameters in test listings (ctest names): the case name, not raw bytes.
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

// A valid prefix: the hostile entry comes after things that would be written by a streaming
// extractor, so an empty destination proves the whole archive was validated first.
std::vector<RawEntry> with_good_prefix(std::vector<RawEntry> hostile) {
  std::vector<RawEntry> all{dir("d"), file("d/ok.txt", "fine"), file("ok.txt", "fine"), symlink("ok-link", "ok.txt")};
  all.insert(all.end(), hostile.begin(), hostile.end());
  return all;
}

std::vector<HostileCase> hostile_cases() {
  const std::string abs_target = "/etc/sccache-archive-test-absolute-entry";
  return {
      {"AbsolutePath", {file(abs_target, "owned")}, abs_target, abs_target},
      {"DotDot", {file("../x", "owned")}, "../x", ""},
      {"InnerDotDotEscaping", {file("a/../../x", "owned")}, "a/../../x", ""},
      {"InnerDotDotStayingInside", {file("a/../b", "x")}, "a/../b", ""},
      {"CharDevice", {{RawEntry::kCharDev, "dev/null", "", 0666}}, "dev/null", ""},
      {"BlockDevice", {{RawEntry::kBlockDev, "dev/sda", "", 0660}}, "dev/sda", ""},
      {"Fifo", {{RawEntry::kFifo, "p", "", 0644}}, "p", ""},
      {"SymlinkEscapes", {symlink("a/b", "../../../etc")}, "a/b", ""},
      {"SymlinkEscapesByOneLevel", {symlink("a/b", "../../etc/passwd")}, "a/b", ""},
      {"SymlinkToDotDotAtRoot", {symlink("up", "..")}, "up", ""},
      {"WriteThroughAbsoluteSymlink", {symlink("lib", "/etc"), file("lib/passwd", "owned")}, "lib/passwd", ""},
      {"WriteThroughInternalSymlink", {symlink("lnk", "d"), file("lnk/x", "x")}, "lnk/x", ""},
      {"SymlinkOverEarlierDirectory", {file("lib/passwd", "x"), symlink("lib", "/etc")}, "lib", ""},
      {"SymlinkChainEscapes", {symlink("s", "."), symlink("t", "s/..")}, "t", ""},
      {"SymlinkLoop", {symlink("l1", "l2"), symlink("l2", "l1")}, "l1", ""},
      {"HardlinkAbsolute", {hardlink("h", "/etc/passwd")}, "h", ""},
      {"HardlinkDotDot", {hardlink("h", "../x")}, "h", ""},
      {"HardlinkToLaterEntry", {hardlink("h", "later.txt"), file("later.txt")}, "h", ""},
      {"HardlinkToDirectory", {hardlink("h", "d")}, "h", ""},
      {"HardlinkToSymlink", {hardlink("h", "ok-link")}, "h", ""},
      {"DuplicateFile", {file("ok.txt", "again")}, "ok.txt", ""},
      {"FileAsParent", {file("f"), file("f/x")}, "f/x", ""},
  };
}

class HostileArchive : public ::testing::TestWithParam<HostileCase> {};

void expect_refused_and_untouched(const Status& st, const HostileCase& c, const ArchiveTempDir& root,
                                  const std::string& dest) {
  ASSERT_FALSE(st) << c.name << " was extracted";
  EXPECT_EQ(st.error().code, kArchiveRejected) << st.error().message;
  EXPECT_NE(st.error().message.find("'" + c.named_entry + "'"), std::string::npos)
      << "error does not name '" << c.named_entry << "': " << st.error().message;
  EXPECT_TRUE(sorted_names(dest).empty()) << "something was written into dest";
  EXPECT_EQ(sorted_names(root.path()), std::vector<std::string>{"dest"}) << "something was written outside dest";
  if (!c.outside_path.empty()) {
    EXPECT_FALSE(std::filesystem::exists(c.outside_path));
  }
}

TEST_P(HostileArchive, RefusedFromMemoryWithNothingWritten) {
  const HostileCase& c = GetParam();
  ArchiveTempDir root;
  std::string dest = join_path(root.path(), "dest");
  ASSERT_TRUE(make_dirs(dest));
  std::string bytes = raw_tar(with_good_prefix(c.entries));
  expect_refused_and_untouched(extract_archive_memory(bytes, dest), c, root, dest);
}

TEST_P(HostileArchive, RefusedFromFileWithNothingWritten) {
  const HostileCase& c = GetParam();
  ArchiveTempDir root;
  ArchiveTempDir elsewhere;
  std::string dest = join_path(root.path(), "dest");
  ASSERT_TRUE(make_dirs(dest));
  std::string archive_path = join_path(elsewhere.path(), "t.tar");
  ASSERT_TRUE(write_file_atomic(archive_path, raw_tar(with_good_prefix(c.entries), ARCHIVE_FILTER_NONE), 0644));
  expect_refused_and_untouched(extract_archive_file(archive_path, dest), c, root, dest);
}

TEST_P(HostileArchive, RefusedByReadArchiveFiles) {
  const HostileCase& c = GetParam();
  std::vector<RawEntry> entries{dir("d"), file("d/ok.txt", "fine"), file("ok.txt", "fine")};
  entries.insert(entries.end(), c.entries.begin(), c.entries.end());
  auto files = read_archive_files(raw_tar(entries));
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, kArchiveRejected);
}

INSTANTIATE_TEST_SUITE_P(Archive, HostileArchive, ::testing::ValuesIn(hostile_cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& param) { return std::string(param.param.name); });

TEST(Archive, SpecificRefusalMessages) {
  ArchiveTempDir root;
  auto message = [&](const std::vector<RawEntry>& entries) {
    auto st = extract_archive_memory(raw_tar(entries), root.path());
    return st ? std::string("<extracted>") : st.error().message;
  };
  EXPECT_EQ(message({file("/etc/x")}), "refusing archive entry '/etc/x': absolute path");
  EXPECT_EQ(message({file("a/../../x")}), "refusing archive entry 'a/../../x': path contains '..'");
  EXPECT_EQ(message({{RawEntry::kCharDev, "c", "", 0644}}),
            "refusing archive entry 'c': character device entries are not allowed");
  EXPECT_EQ(message({{RawEntry::kFifo, "p", "", 0644}}), "refusing archive entry 'p': fifo entries are not allowed");
  EXPECT_EQ(message({symlink("a/b", "../../../etc")}),
            "refusing archive entry 'a/b': symlink target '../../../etc' leaves the archive root");
  EXPECT_EQ(message({symlink("lib", "/etc"), file("lib/passwd")}),
            "refusing archive entry 'lib/passwd': parent 'lib' is a symlink");
  EXPECT_EQ(message({hardlink("h", "/etc/passwd")}),
            "refusing archive entry 'h': hard link target '/etc/passwd': absolute path");
  EXPECT_TRUE(sorted_names(root.path()).empty());
}

// ---- good archives ----

constexpr uint32_t kDir = S_IFDIR | 0755;
constexpr uint32_t kLink = S_IFLNK | 0777;

TEST(Archive, MergedUsrToolchainExtractsWithLinksIntact) {
  std::vector<ArchiveFile> files = {
      {"usr", "", kDir},
      {"usr/bin/gcc-12", "gcc binary", 0755},
      {"usr/bin/gcc", "gcc-12", kLink},
      {"usr/bin/cc", "gcc", kLink},
      {"usr/bin/x", "/usr/bin/gcc", kLink},
      {"usr/lib/x86_64-linux-gnu/libc.so.6", "libc", 0644},
      {"usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/libc.so.6", kLink},
      {"usr/lib/gcc/x86_64-linux-gnu/12/cc1", "cc1 binary", 0700},
      {"etc/ld.so.conf", "secret?", 0600},
      {"bin", "usr/bin", kLink},
      {"lib", "usr/lib", kLink},
      {"lib64", "usr/lib64", kLink},
      {"sbin", "usr/sbin", kLink},
  };
  auto bytes = make_tar_gz(files);
  ASSERT_TRUE(bytes) << bytes.error().message;
  ArchiveTempDir dest;
  auto st = extract_archive_memory(*bytes, dest.path());
  ASSERT_TRUE(st) << st.error().message;
  const std::string& d = dest.path();

  EXPECT_EQ(sorted_names(d), (std::vector<std::string>{"bin", "etc", "lib", "lib64", "sbin", "usr"}));
  for (const char* link : {"bin", "lib", "lib64", "sbin", "usr/bin/gcc", "usr/bin/cc", "usr/bin/x",
                           "usr/lib64/ld-linux-x86-64.so.2"}) {
    EXPECT_TRUE(is_symlink(join_path(d, link))) << link;
  }
  EXPECT_EQ(read_link(d + "/bin"), "usr/bin");
  EXPECT_EQ(read_link(d + "/lib64"), "usr/lib64");
  EXPECT_EQ(read_link(d + "/usr/bin/cc"), "gcc");
  EXPECT_EQ(read_link(d + "/usr/bin/x"), "/usr/bin/gcc");  // absolute: meant for inside the sandbox
  EXPECT_EQ(read_link(d + "/usr/lib64/ld-linux-x86-64.so.2"), "../lib/x86_64-linux-gnu/libc.so.6");
  // Relative chains resolve inside the tree, like /lib64/ld-linux-x86-64.so.2 in the sandbox.
  EXPECT_EQ(contents(d + "/bin/cc"), "gcc binary");
  EXPECT_EQ(contents(d + "/lib64/ld-linux-x86-64.so.2"), "libc");
  // Modes: 0755 for directories and anything executable, 0644 otherwise.
  EXPECT_EQ(perms(d + "/usr/bin/gcc-12"), 0755u);
  EXPECT_EQ(perms(d + "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"), 0755u);
  EXPECT_EQ(perms(d + "/usr/lib/x86_64-linux-gnu/libc.so.6"), 0644u);
  EXPECT_EQ(perms(d + "/etc/ld.so.conf"), 0644u);
  EXPECT_EQ(perms(d + "/usr"), 0755u);
  EXPECT_EQ(perms(d + "/usr/lib/gcc/x86_64-linux-gnu"), 0755u);  // implied directory
}

TEST(Archive, IceccLayoutWithDotSlashNamesAndHardLinks) {
  std::string bytes = raw_tar({
      dir("./"),
      dir("./lib/"),
      file("./lib/x86_64-linux-gnu/libc.so.6", "libc"),
      dir("./lib64"),
      symlink("./lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
      file(".//usr/bin/gcc", "gcc", 0755),
      hardlink("usr/bin/g++", "./usr/bin/gcc"),
      file("usr/bin/cc1", "cc1", 0755),
      dir("usr/bin/"),  // a repeated directory is fine
      file("bin/true", "", 0755),
      file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n"),
  });
  ArchiveTempDir dest;
  auto st = extract_archive_memory(bytes, dest.path());
  ASSERT_TRUE(st) << st.error().message;
  const std::string& d = dest.path();
  EXPECT_EQ(sorted_names(d), (std::vector<std::string>{"bin", "etc", "lib", "lib64", "usr"}));
  EXPECT_EQ(contents(d + "/usr/bin/g++"), "gcc");
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::lstat((d + "/usr/bin/gcc").c_str(), &a), 0);
  ASSERT_EQ(::lstat((d + "/usr/bin/g++").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  EXPECT_EQ(read_link(d + "/lib64/ld-linux-x86-64.so.2"), "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  EXPECT_EQ(contents(d + "/bin/true"), "");
  EXPECT_EQ(perms(d + "/bin/true"), 0755u);
}

TEST(Archive, EveryCompressionIsDetected) {
  const std::vector<RawEntry> entries = {file("usr/bin/gcc", std::string(100000, 'g'), 0755),
                                         symlink("bin", "usr/bin")};
  for (int filter : {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD,
                     ARCHIVE_FILTER_BZIP2}) {
    SCOPED_TRACE("filter " + std::to_string(filter));
    std::string bytes = raw_tar(entries, filter);
    ArchiveTempDir mem_dest;
    auto st = extract_archive_memory(bytes, mem_dest.path());
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(contents(mem_dest.path() + "/bin/gcc"), std::string(100000, 'g'));

    ArchiveTempDir file_dir;
    ArchiveTempDir file_dest;
    std::string path = join_path(file_dir.path(), "toolchain");
    ASSERT_TRUE(write_file_atomic(path, bytes, 0644));
    st = extract_archive_file(path, file_dest.path());
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(contents(file_dest.path() + "/usr/bin/gcc"), std::string(100000, 'g'));
    EXPECT_EQ(read_link(file_dest.path() + "/bin"), "usr/bin");
  }
}

TEST(Archive, EmptyTarExtractsNothing) {
  ArchiveTempDir dest;
  auto st = extract_archive_memory(raw_tar({}), dest.path());
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_TRUE(sorted_names(dest.path()).empty());
}

// ---- limits, corruption, destination ----

TEST(Archive, LimitsAreEnforcedBeforeWriting) {
  std::string bytes = raw_tar({file("a", "12345"), file("b", "67890"), file("c", "x")});
  ArchiveTempDir dest;
  auto st = extract_archive_memory(bytes, dest.path(), ExtractLimits{1000, 2});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("'c'"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("more than 2 entries"), std::string::npos) << st.error().message;
  EXPECT_TRUE(sorted_names(dest.path()).empty());

  st = extract_archive_memory(bytes, dest.path(), ExtractLimits{10, 100});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("'c'"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("exceed 10 bytes"), std::string::npos) << st.error().message;
  EXPECT_TRUE(sorted_names(dest.path()).empty());

  EXPECT_TRUE(extract_archive_memory(bytes, dest.path(), ExtractLimits{11, 3}));
  EXPECT_FALSE(read_archive_files(bytes, ExtractLimits{10, 100}));
  EXPECT_FALSE(read_archive_files(bytes, ExtractLimits{1000, 2}));
  EXPECT_TRUE(read_archive_files(bytes, ExtractLimits{11, 3}));
}

TEST(Archive, CorruptOrTruncatedArchivesAreRefusedWithNothingWritten) {
  std::string payload;
  for (int i = 0; i < 20000; ++i) payload += std::to_string(i * 7919 % 10007);
  auto good = make_tar_gz({{"usr/bin/gcc", payload, 0755}, {"usr/bin/cc1", payload, 0755}});
  ASSERT_TRUE(good);
  // (A byte flipped inside the deflate stream is not reliably detected: libarchive does not check the
  // gzip CRC. Toolchain integrity comes from the SHA-256 id checked on put.)
  std::string bad_header = *good;
  bad_header[3] = '\xff';  // reserved gzip flag bits set
  for (const std::string& bad : {good->substr(0, good->size() / 2), good->substr(0, 30), bad_header,
                                 std::string("not an archive at all"), std::string()}) {
    ArchiveTempDir dest;
    auto st = extract_archive_memory(bad, dest.path());
    ASSERT_FALSE(st) << "extracted " << bad.size() << " bad bytes";
    EXPECT_EQ(st.error().code, kArchiveRejected) << st.error().message;
    EXPECT_TRUE(sorted_names(dest.path()).empty());
    EXPECT_FALSE(read_archive_files(bad));
  }
}

TEST(Archive, DestinationMustExistAndBeEmpty) {
  std::string bytes = raw_tar({file("a")});
  ArchiveTempDir dest;
  ASSERT_TRUE(write_file_atomic(join_path(dest.path(), "keep"), "mine", 0644));
  auto st = extract_archive_memory(bytes, dest.path());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, kArchiveIoError);
  EXPECT_EQ(sorted_names(dest.path()), std::vector<std::string>{"keep"});
  EXPECT_FALSE(extract_archive_memory(bytes, join_path(dest.path(), "missing")));
  EXPECT_FALSE(extract_archive_file(join_path(dest.path(), "no-such-archive"), dest.path()));
}

TEST(Archive, ConcurrentExtractionsDoNotInterfere) {
  std::vector<ArchiveFile> files;
  files.reserve(31);
  for (int i = 0; i < 30; ++i) files.push_back({"usr/lib/d" + std::to_string(i % 5) + "/f" + std::to_string(i),
                                               std::string(1000 + i, 'a' + i % 26), 0644});
  files.push_back({"lib", "usr/lib", kLink});
  auto bytes = make_tar_gz(files);
  ASSERT_TRUE(bytes);
  ArchiveTempDir src;
  std::string path = join_path(src.path(), "t.tar.gz");
  ASSERT_TRUE(write_file_atomic(path, *bytes, 0644));
  const std::string cwd = current_dir();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        ArchiveTempDir dest;
        if (!extract_archive_file(path, dest.path())) ++failures;
        if (contents(dest.path() + "/lib/d4/f29") != std::string(1029, 'a' + 29 % 26)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(current_dir(), cwd);
}

// ---- read_archive_files / make_tar_gz ----

TEST(Archive, ReadArchiveFilesRoundTrip) {
  std::vector<ArchiveFile> files = {
      {"src/main.ii", "int main() { return 0; }\n", 0644},
      {"src/run.sh", "#!/bin/sh\n", 0755},
      {"empty", "", 0600},
      {"big", std::string(300000, '\x01') + std::string("\0\xff", 2), 0644},
  };
  auto bytes = make_tar_gz(files);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto back = read_archive_files(*bytes);
  ASSERT_TRUE(back) << back.error().message;
  files[2].mode = 0644;  // modes come back normalized
  EXPECT_EQ(*back, files);
}

TEST(Archive, ReadArchiveFilesNormalizesPathsAndSkipsDirectories) {
  auto back = read_archive_files(raw_tar({dir("./"), dir("./work/"), file("./work//a.c", "a", 0640),
                                          file("b.c", "b", 0751)}, ARCHIVE_FILTER_NONE));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, (std::vector<ArchiveFile>{{"work/a.c", "a", 0644}, {"b.c", "b", 0755}}));
}

TEST(Archive, ReadArchiveFilesAllowsOnlyFilesAndDirectories) {
  auto st = read_archive_files(raw_tar({file("a"), symlink("l", "a")}));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "refusing archive entry 'l': only regular files and directories are allowed");
  st = read_archive_files(raw_tar({file("a"), hardlink("h", "a")}));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("'h'"), std::string::npos);
}

TEST(Archive, MakeTarGzIsDeterministicAndRefusesBadPaths) {
  std::vector<ArchiveFile> files = {{"a/b", "x", 0644}, {"c", "a/b", kLink}};
  auto one = make_tar_gz(files);
  auto two = make_tar_gz(files);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(*one, *two);
  EXPECT_FALSE(make_tar_gz({{"/etc/passwd", "x", 0644}}));
  EXPECT_FALSE(make_tar_gz({{"a/../../b", "x", 0644}}));
  EXPECT_FALSE(make_tar_gz({{"", "x", 0644}}));
  EXPECT_FALSE(make_tar_gz({{"fifo", "", S_IFIFO | 0644}}));
}

}  // namespace
}  // namespace sccache::dist
