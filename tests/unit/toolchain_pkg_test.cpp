// Toolchain packaging (SPEC 7.7) and the dlopen'ed tar writer: archives are reproducible, start with
// tmp/, are sorted, keep symlink chains as links, pass the server's extraction checks, and really run
// gcc inside an otherwise empty root. gcc is packaged once for the suite (a few seconds); clang
// tests only collect the file list (no gzip) and skip when clang is missing.
#include "distributed/client/toolchain_pkg.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>

#include "distributed/build_server/archive.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace sccache::dist {
namespace {

struct TarEntry {
  std::string path;
  unsigned type = 0;  // AE_IFREG, AE_IFDIR, AE_IFLNK
  unsigned perm = 0;
  std::string target;  // symlinks
  int64_t size = 0;
};

std::vector<TarEntry> list_tar(const std::string& data) {
  std::vector<TarEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  EXPECT_EQ(archive_read_open_memory(a, data.data(), data.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.type = archive_entry_filetype(e);
    t.perm = archive_entry_perm(e);
    if (const char* s = archive_entry_symlink(e)) t.target = s;
    t.size = archive_entry_size(e);
    out.push_back(std::move(t));
    archive_read_data_skip(a);
  }
  archive_read_free(a);
  return out;
}

std::vector<std::string> env_vector() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

// stdout of a command, trimmed; nullopt when it fails.
std::optional<std::string> run_out(const std::vector<std::string>& argv) {
  SystemProcessRunner runner;
  auto r = runner.run(ProcessSpec{argv, env_vector(), "", std::nullopt});
  if (!r || !r->success()) return std::nullopt;
  return trim(r->stdout_data);
}

std::string find_exe(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string p = join_path(dir, name);
    if (!dir.empty() && ::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// The archive path of a host file: its real path minus "/".
std::string stored_path(const std::string& host) { return real_path(host).value_or(host).substr(1); }

class TempDir {
 public:
  TempDir() : path_(*make_temp_dir("sccache-tcpkg-test-")) {}
  ~TempDir() { remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ToolchainGcc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kGcc, X_OK) != 0) {
      skip_ = new std::string(std::string(kGcc) + " is not installed");
      return;
    }
    auto bytes = package_toolchain(kGcc, ToolchainFlavor::gcc);
    archive_ = new Expected<std::string>(std::move(bytes));
  }
  static void TearDownTestSuite() {
    delete archive_;
    archive_ = nullptr;
    delete skip_;
    skip_ = nullptr;
  }
  void SetUp() override {
    if (skip_ != nullptr) GTEST_SKIP() << *skip_;
    ASSERT_TRUE(*archive_) << archive_->error().message;
  }
  static const std::string& bytes() { return archive_->value(); }

  static constexpr const char* kGcc = "/usr/bin/gcc";
  static Expected<std::string>* archive_;
  static std::string* skip_;
};
Expected<std::string>* ToolchainGcc::archive_ = nullptr;
std::string* ToolchainGcc::skip_ = nullptr;

TEST_F(ToolchainGcc, IsReproducible) {
  auto again = package_toolchain(kGcc, ToolchainFlavor::gcc);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(*again == bytes()) << "two packagings of the same gcc differ";
}

TEST_F(ToolchainGcc, StartsWithTmpThenSortedFiles) {
  auto entries = list_tar(bytes());
  ASSERT_GT(entries.size(), 10U);
  EXPECT_EQ(entries[0].path, "tmp/");
  EXPECT_EQ(entries[0].type, static_cast<unsigned>(AE_IFDIR));
  EXPECT_EQ(entries[0].perm, 01777U);
  std::vector<std::string> paths;
  for (size_t i = 1; i < entries.size(); ++i) {
    paths.push_back(entries[i].path);
    EXPECT_NE(entries[i].type, static_cast<unsigned>(AE_IFDIR)) << entries[i].path;
    EXPECT_NE(entries[i].path.front(), '/');
    if (entries[i].type == AE_IFREG) {
      EXPECT_TRUE(entries[i].perm == 0755 || entries[i].perm == 0644) << entries[i].path;
    }
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  EXPECT_EQ(std::adjacent_find(paths.begin(), paths.end()), paths.end()) << "a path is stored twice";
}

TEST_F(ToolchainGcc, ContainsCompilerPassesAndLoader) {
  std::map<std::string, TarEntry> by_path;
  for (auto& e : list_tar(bytes())) by_path[e.path] = e;
  for (const char* prog : {"cc1", "cc1plus"}) {
    auto p = run_out({kGcc, std::string("-print-prog-name=") + prog});
    ASSERT_TRUE(p && !p->empty() && p->front() == '/') << prog;
    auto it = by_path.find(stored_path(*p));
    ASSERT_NE(it, by_path.end()) << *p;
    EXPECT_EQ(it->second.type, static_cast<unsigned>(AE_IFREG));
    EXPECT_EQ(it->second.perm, 0755U);
  }
  std::string as = find_exe("as");
  if (!as.empty()) {
    EXPECT_TRUE(by_path.count(stored_path(as))) << "assembler " << as;
  }
  EXPECT_TRUE(by_path.count(stored_path("/lib64/ld-linux-x86-64.so.2"))) << "ELF interpreter";
  // Merged /usr: the top-level links are symlink entries, and nothing is stored below them.
  for (const char* top : {"lib", "lib64", "bin", "sbin"}) {
    struct stat st {};
    if (::lstat((std::string("/") + top).c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
    auto it = by_path.find(top);
    ASSERT_NE(it, by_path.end()) << top;
    EXPECT_EQ(it->second.type, static_cast<unsigned>(AE_IFLNK));
    for (const auto& [path, e] : by_path) EXPECT_NE(path.rfind(std::string(top) + "/", 0), 0U) << path;
  }
}

TEST_F(ToolchainGcc, SymlinkChainsAreSymlinkEntries) {
  std::map<std::string, TarEntry> by_path;
  for (auto& e : list_tar(bytes())) by_path[e.path] = e;
  // Walk /usr/bin/gcc's chain on the host: every link must be a symlink entry with the same target.
  std::string p = "/usr/bin/gcc";
  int links = 0;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    ASSERT_EQ(::lstat(p.c_str(), &st), 0) << p;
    auto it = by_path.find(stored_path(dirname_of(p)) + "/" + basename_of(p));
    ASSERT_NE(it, by_path.end()) << p;
    if (!S_ISLNK(st.st_mode)) {
      EXPECT_EQ(it->second.type, static_cast<unsigned>(AE_IFREG)) << p;
      break;
    }
    char buf[4096];
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    std::string target(buf, static_cast<size_t>(n));
    EXPECT_EQ(it->second.type, static_cast<unsigned>(AE_IFLNK)) << p;
    EXPECT_EQ(it->second.target, target) << p;
    p = target.front() == '/' ? target : real_path(dirname_of(p)).value() + "/" + target;
    ++links;
  }
  EXPECT_GE(links, 1) << "/usr/bin/gcc is expected to be a symlink (gcc -> gcc-NN)";
}

TEST_F(ToolchainGcc, PassesExtractionChecks) {
  TempDir dir;
  auto st = extract_archive_memory(bytes(), dir.path());
  ASSERT_TRUE(st) << st.error().message;
  struct stat sb {};
  EXPECT_EQ(::stat((dir.path() + "/usr/bin/gcc").c_str(), &sb), 0);  // the chain resolves inside
  EXPECT_TRUE(S_ISREG(sb.st_mode));
  EXPECT_EQ(::stat((dir.path() + "/lib64/ld-linux-x86-64.so.2").c_str(), &sb), 0);
}

// The real thing: gcc from the archive compiles preprocessed C inside an otherwise empty root.
TEST_F(ToolchainGcc, CompilesInsideAnEmptyRoot) {
  std::string bwrap = find_exe("bwrap");
  if (bwrap.empty()) GTEST_SKIP() << "bubblewrap (bwrap) is not installed";
  TempDir dir;
  ASSERT_TRUE(extract_archive_memory(bytes(), dir.path()));
  const std::string source = "# 1 \"x.c\"\nint square(int v) { return v * v; }\n";
  ASSERT_TRUE(write_file_atomic(dir.path() + "/tmp/x.i", source, 0644));
  SystemProcessRunner runner;
  auto r = runner.run(ProcessSpec{{bwrap, "--bind", dir.path(), "/", "--proc", "/proc", "--dev", "/dev", "--chdir",
                                   "/tmp", "--", kGcc, "-x", "cpp-output", "-c", "/tmp/x.i", "-o", "/tmp/x.o"},
                                  {"PATH=/usr/bin:/bin"},
                                  "",
                                  std::nullopt});
  ASSERT_TRUE(r) << r.error().message;
  if (!r->success() && r->stderr_data.find("bwrap:") == 0) GTEST_SKIP() << "bwrap cannot run here: " << r->stderr_data;
  ASSERT_TRUE(r->success()) << r->stderr_data;
  auto obj = read_file(dir.path() + "/tmp/x.o");
  ASSERT_TRUE(obj);
  EXPECT_EQ(obj->substr(0, 4),
            "\x7f"
            "ELF");
}

TEST(Toolchain, ClangIncludesResourceHeaders) {
  const std::string clang = find_exe("clang");
  if (clang.empty()) GTEST_SKIP() << "clang is not installed";
  auto flavor = detect_toolchain_flavor(clang);
  ASSERT_TRUE(flavor) << flavor.error().message;
  EXPECT_EQ(*flavor, ToolchainFlavor::clang);
  auto limits = run_out({clang, "-print-file-name=include/limits.h"});
  if (!limits || limits->empty() || limits->front() != '/') GTEST_SKIP() << "clang has no resource directory";
  auto files = collect_toolchain_files(clang, ToolchainFlavor::clang);
  ASSERT_TRUE(files) << files.error().message;
  std::map<std::string, const ArchiveFile*> by_path;
  for (const auto& f : *files) by_path[f.path] = &f;
  std::string headers = stored_path(dirname_of(*limits));
  for (const char* h : {"limits.h", "stddef.h", "stdarg.h"}) {
    EXPECT_TRUE(by_path.count(headers + "/" + h)) << headers << "/" << h;
  }
  EXPECT_TRUE(by_path.count(stored_path(real_path(clang).value()))) << "the clang binary";
  std::vector<std::string> paths;
  for (const auto& f : *files) paths.push_back(f.path);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

TEST(Toolchain, DetectsGcc) {
  if (::access("/usr/bin/gcc", X_OK) != 0) GTEST_SKIP() << "/usr/bin/gcc is not installed";
  auto flavor = detect_toolchain_flavor("/usr/bin/gcc");
  ASSERT_TRUE(flavor) << flavor.error().message;
  EXPECT_EQ(*flavor, ToolchainFlavor::gcc);
}

TEST(Toolchain, MissingCompilerIsAnErrorNamingIt) {
  auto files = collect_toolchain_files("/no/such/compiler-xyz", ToolchainFlavor::gcc);
  ASSERT_FALSE(files);
  EXPECT_NE(files.error().message.find("/no/such/compiler-xyz"), std::string::npos) << files.error().message;
  auto bytes = package_toolchain("/no/such/compiler-xyz", ToolchainFlavor::clang);
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message.find("/no/such/compiler-xyz"), std::string::npos);
  auto flavor = detect_toolchain_flavor("/no/such/compiler-xyz");
  ASSERT_FALSE(flavor);
  EXPECT_NE(flavor.error().message.find("/no/such/compiler-xyz"), std::string::npos);
}

// A fake compiler (a shell script) reached through a symlinked directory and a symlink chain:
// every link is stored as a link, the file at its real path, and nothing below a symlink.
TEST(Toolchain, SymlinkedDirectoriesAreResolved) {
  TempDir tmp;
  const std::string root = real_path(tmp.path()).value();
  ASSERT_TRUE(make_dirs(root + "/real/bin"));
  ASSERT_TRUE(write_file_atomic(root + "/real/bin/cc",
                                "#!/bin/sh\n"
                                "case \"$1\" in\n"
                                "  -print-prog-name=*) echo \"${1#*=}\";;\n"
                                "  -print-file-name=*) echo \"${1#*=}\";;\n"
                                "  *) echo 'fake cc 1.0';;\n"
                                "esac\n",
                                0755));
  ASSERT_TRUE(write_file_atomic(root + "/real/bin/data", "x", 0640));
  ASSERT_EQ(::symlink("cc", (root + "/real/bin/cc-1").c_str()), 0);
  ASSERT_EQ(::symlink("real", (root + "/link").c_str()), 0);
  auto files = collect_toolchain_files(root + "/link/bin/cc-1", ToolchainFlavor::gcc);
  ASSERT_TRUE(files) << files.error().message;
  std::map<std::string, ArchiveFile> by_path;
  for (const auto& f : *files) by_path[f.path] = f;
  const std::string rel = root.substr(1);
  ASSERT_TRUE(by_path.count(rel + "/link"));
  EXPECT_EQ(by_path[rel + "/link"].mode, static_cast<uint32_t>(S_IFLNK | 0777));
  EXPECT_EQ(by_path[rel + "/link"].data, "real");
  ASSERT_TRUE(by_path.count(rel + "/real/bin/cc-1"));
  EXPECT_EQ(by_path[rel + "/real/bin/cc-1"].data, "cc");
  EXPECT_EQ(by_path[rel + "/real/bin/cc-1"].mode, static_cast<uint32_t>(S_IFLNK | 0777));
  ASSERT_TRUE(by_path.count(rel + "/real/bin/cc"));
  EXPECT_EQ(by_path[rel + "/real/bin/cc"].mode, 0755U);
  EXPECT_FALSE(by_path.count(rel + "/real/bin/data"));
  for (const auto& [path, f] : by_path) EXPECT_NE(path.rfind(rel + "/link/", 0), 0U) << path;

  // The archive is accepted by the server's extractor, and the chain resolves there.
  auto bytes = package_toolchain(root + "/link/bin/cc-1", ToolchainFlavor::gcc);
  ASSERT_TRUE(bytes) << bytes.error().message;
  TempDir out;
  auto st = extract_archive_memory(*bytes, out.path());
  ASSERT_TRUE(st) << st.error().message;
  auto script = read_file(out.path() + root + "/link/bin/cc-1");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->rfind("#!/bin/sh", 0), 0U);

  // ".." after a symlinked directory does not mean what it says lexically: refused, named.
  auto dotdot = collect_toolchain_files(root + "/link/../real/bin/cc", ToolchainFlavor::gcc);
  ASSERT_FALSE(dotdot);
  EXPECT_NE(dotdot.error().message.find(root + "/link"), std::string::npos) << dotdot.error().message;
}

// ---- tar_writer ----

TEST(TarWriter, PlainAndGzipAgree) {
  std::vector<ArchiveFile> files = {{"a/b.i", "int x;\n", 0644}, {"run", "#!/bin/sh\n", 0755}};
  auto plain = make_tar(files, false);
  auto gz = make_tar(files, true);
  auto gz2 = make_tar_gz(files);
  ASSERT_TRUE(plain && gz && gz2);
  EXPECT_EQ(*gz, *gz2);
  EXPECT_NE(*plain, *gz);
  EXPECT_EQ(plain->size() % 512, 0U);
  EXPECT_EQ(plain->substr(0, 5), "a/b.i");  // a bare ustar header, not compressed
  auto back_plain = read_archive_files(*plain);
  auto back_gz = read_archive_files(*gz);
  ASSERT_TRUE(back_plain && back_gz);
  EXPECT_EQ(*back_plain, files);
  EXPECT_EQ(*back_gz, files);
  auto bad = make_tar({{"x/../../y", "", 0644}}, false);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("x/../../y"), std::string::npos);
}

}  // namespace
}  // namespace sccache::dist
