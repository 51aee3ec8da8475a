// The overlay builder (src/distributed/build_server/overlay/overlay_builder.hpp) against the real
// thing: bubblewrap, overlayfs and a gcc toolchain packaged from this host with
// tests/system/data/pkg-toolchain.sh. Skipped (with the reason) when not root, without bwrap,
// overlayfs or gcc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "distributed/build_server/overlay/overlay_builder.hpp"
#include "distributed/build_server/overlay/overlay_host.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/process.hpp"

namespace sccache::dist {
namespace {

namespace stdfs = std::filesystem;

const std::vector<std::string> kHostEnv{"PATH=/usr/bin:/bin", "LANG=C"};

ProcessResult host_run(const std::vector<std::string>& argv, const std::string& cwd = "") {
  SystemProcessRunner runner;
  auto r = runner.run(ProcessSpec{argv, kHostEnv, cwd, std::nullopt});
  if (!r) {
    ProcessResult failed;
    failed.exit_code = 127;
    failed.stderr_data = r.error().message;
    return failed;
  }
  return *r;
}

std::string packager_path() {
  std::string here = __FILE__;
  return dirname_of(here) + "/../system/data/pkg-toolchain.sh";
}

bool bwrap_in_path() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t i = 0;
  while (i <= dirs.size()) {
    size_t j = dirs.find(':', i);
    if (j == std::string::npos) j = dirs.size();
    if (::access(join_path(dirs.substr(i, j - i), "bwrap").c_str(), X_OK) == 0) return true;
    i = j + 1;
  }
  return false;
}

bool overlay_in_proc() {
  auto fs = read_file("/proc/filesystems");
  return fs && fs->find("\toverlay\n") != std::string::npos;
}

// Every entry below `dir` (not following symlinks): type, mode, size, mtime, link target, content hash.
std::string tree_snapshot(const std::string& dir) {
  std::map<std::string, std::string> rows;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(dir, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string path = it->path().string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    std::string row = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                      std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISLNK(st.st_mode)) row += " -> " + stdfs::read_symlink(path, ec).string();
    if (S_ISREG(st.st_mode)) {
      auto hash = sha256_file_hex(path);
      row += " " + (hash ? *hash : std::string("unreadable"));
    }
    rows[path.substr(dir.size())] = row;
  }
  std::string out;
  for (const auto& [p, r] : rows) out.append(p).append(" ").append(r).append("\n");
  return out;
}

std::vector<std::string> dir_entries(const std::string& dir) {
  auto names = list_dir(dir);
  if (!names) return {"<" + names.error().message + ">"};
  std::sort(names->begin(), names->end());
  return *names;
}

class SandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "the overlay builder needs root (overlayfs mounts)";
      return;
    }
    if (!bwrap_in_path()) {
      skip_ = "bubblewrap (bwrap) is not installed";
      return;
    }
    if (!overlay_in_proc()) {
      skip_ = "the kernel has no overlayfs";
      return;
    }
    auto cc1 = host_run({"/usr/bin/gcc", "-print-prog-name=cc1"});
    if (!cc1.success()) {
      skip_ = "gcc is not installed";
      return;
    }
    std::string cc1_path = cc1.stdout_data.substr(0, cc1.stdout_data.find('\n'));

    auto tmp = make_temp_dir("sandbox-test-");
    if (!tmp) {
      error_ = tmp.error().message;
      return;
    }
    root_ = *tmp;
    toolchain_ = root_ + "/toolchain";
    auto pkg = host_run({"/bin/bash", packager_path(), toolchain_, "/usr/bin/gcc", cc1_path, "/usr/bin/as",
                         "/usr/bin/cat", "/usr/bin/bash", "/usr/bin/sleep", "/usr/bin/ln", "/usr/bin/rmdir"});
    if (!pkg.success()) {
      error_ = "pkg-toolchain.sh failed: " + pkg.stderr_data;
      return;
    }

    // The host reference: t.i preprocessed on the host, t.o compiled on the host.
    host_dir_ = root_ + "/host";
    (void)make_dirs(host_dir_);
    (void)write_file_atomic(host_dir_ + "/t.c",
                            "#include <stdio.h>\n#include <string.h>\n"
                            "static int twice(int x) { return 2 * x; }\n"
                            "int main(int argc, char** argv) {\n"
                            "  printf(\"%d %zu\\n\", twice(argc), strlen(argv[0]));\n  return 0;\n}\n",
                            0644);
    auto pre = host_run({"/usr/bin/gcc", "-E", "t.c", "-o", "t.i"}, host_dir_);
    auto cc = host_run({"/usr/bin/gcc", "-O2", "-c", "t.i", "-o", "t.o"}, host_dir_);
    if (!pre.success() || !cc.success()) {
      error_ = "host compile failed: " + pre.stderr_data + cc.stderr_data;
      return;
    }
    auto i_file = read_file(host_dir_ + "/t.i");
    auto o_file = read_file(host_dir_ + "/t.o");
    if (!i_file || !o_file) {
      error_ = "cannot read the host's t.i/t.o";
      return;
    }
    host_i_ = *i_file;
    host_o_ = *o_file;

    auto builder = OverlayBuilder::create(root_ + "/build");
    if (!builder) {
      error_ = "OverlayBuilder::create: " + builder.error().message;
      return;
    }
    builder_ = std::move(*builder).release();
  }

  static void TearDownTestSuite() {
    delete builder_;
    builder_ = nullptr;
    if (!root_.empty()) remove_tree(root_);
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(error_.empty()) << error_;
  }

  static SandboxJob job(const std::string& executable, std::vector<std::string> args) {
    SandboxJob j;
    j.toolchain_dir = toolchain_;
    j.executable = executable;
    j.args = std::move(args);
    j.env = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}};
    j.cwd = "/work/src";
    return j;
  }
  static SandboxJob compile_job() {
    SandboxJob j = job("/usr/bin/gcc", {"-O2", "-c", "t.i", "-o", "t.o"});
    j.inputs.push_back({"/work/src/t.i", host_i_, 0644});
    j.outputs = {"t.o"};
    return j;
  }
  static SandboxJob bash_job(const std::string& script) { return job("/usr/bin/bash", {"-c", script}); }

  static inline std::string skip_;
  static inline std::string error_;
  static inline std::string root_;
  static inline std::string toolchain_;
  static inline std::string host_dir_;
  static inline std::string host_i_;
  static inline std::string host_o_;
  static inline OverlayBuilder* builder_ = nullptr;
};

TEST_F(SandboxTest, CompilesPreprocessedCByteIdenticalToTheHost) {
  ASSERT_FALSE(host_o_.empty());
  auto r = builder_->run(compile_job());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
  EXPECT_EQ(r->signal, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->stderr_data, "");
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].first, "t.o");
  EXPECT_TRUE(r->outputs[0].second == host_o_) << "sandbox object differs from the host's";
  // The job directory (upper, work, target) is gone afterwards.
  EXPECT_EQ(dir_entries(builder_->build_dir() + "/builds"), std::vector<std::string>{});
}

TEST_F(SandboxTest, FailingCompileReturnsItsExitCodeAndStderr) {
  SandboxJob j = job("/usr/bin/gcc", {"-c", "bad.i", "-o", "bad.o"});
  j.inputs.push_back({"/work/src/bad.i", "int broken( {\n", 0644});
  j.outputs = {"bad.o"};
  auto r = builder_->run(j);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->signal, 0);
  EXPECT_NE(r->stderr_data.find("bad.i:1"), std::string::npos) << r->stderr_data;
  EXPECT_NE(r->stderr_data.find("error"), std::string::npos) << r->stderr_data;
  EXPECT_TRUE(r->outputs.empty());
}

TEST_F(SandboxTest, CannotReadHostFilesOutsideTheToolchain) {
  ASSERT_TRUE(stdfs::exists("/etc/shadow"));
  ASSERT_TRUE(stdfs::exists("/etc/hostname"));
  for (const std::string path : {"/etc/shadow", "/etc/hostname", "../../../../etc/shadow"}) {
    auto r = builder_->run(job("/usr/bin/cat", {path}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NE(r->exit_code, 0) << path;
    EXPECT_EQ(r->stdout_data, "") << path;
    EXPECT_NE(r->stderr_data.find("No such file"), std::string::npos) << path << ": " << r->stderr_data;
  }
}

TEST_F(SandboxTest, HasNoNetwork) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string script = "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(ntohs(addr.sin_port));

  auto inside = builder_->run(bash_job(script));
  ASSERT_TRUE(inside) << inside.error().message;
  EXPECT_NE(inside->exit_code, 0) << inside->stderr_data;
  EXPECT_NE(inside->stderr_data.find("/dev/tcp/127.0.0.1"), std::string::npos) << inside->stderr_data;
  EXPECT_LT(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC), 0) << "the sandbox reached the host listener";

  auto outside = host_run({"/usr/bin/bash", "-c", script});
  EXPECT_EQ(outside.exit_code, 0) << outside.stderr_data;  // the listener does work from the host
  int conn = -1;
  for (int i = 0; i < 100 && conn < 0; ++i) {
    conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(conn, 0);
  if (conn >= 0) ::close(conn);
  ::close(listener);
}

TEST_F(SandboxTest, WritesOutsideTheCwdStayInTheJobsOverlay) {
  std::string before = tree_snapshot(toolchain_);
  auto r = builder_->run([] {
    SandboxJob j = bash_job("echo x > /usr/bin/sandbox-probe && echo y > /sandbox-probe && cat /usr/bin/sandbox-probe");
    j.outputs = {"/usr/bin/sandbox-probe", "/sandbox-probe"};
    return j;
  }());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
  EXPECT_EQ(r->stdout_data, "x\n");
  // The writes happened (in the job's upper layer) ...
  using Outputs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r->outputs, (Outputs{{"/usr/bin/sandbox-probe", "x\n"}, {"/sandbox-probe", "y\n"}}));
  // ... but neither the host nor the shared toolchain saw them,
  for (const std::string& p :
       std::vector<std::string>{"/usr/bin/sandbox-probe", "/sandbox-probe", toolchain_ + "/usr/bin/sandbox-probe",
                                toolchain_ + "/sandbox-probe"}) {
    EXPECT_FALSE(stdfs::exists(p)) << p;
  }
  EXPECT_EQ(tree_snapshot(toolchain_), before);
  // ... and the next job starts from the clean toolchain again.
  auto next = builder_->run(job("/usr/bin/cat", {"/usr/bin/sandbox-probe"}));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_NE(next->exit_code, 0);
  EXPECT_NE(next->stderr_data.find("No such file"), std::string::npos) << next->stderr_data;
}

TEST_F(SandboxTest, SymlinkOutputsAreNotFollowed) {
  SandboxJob j = bash_job(
      "ln -s /etc/shadow shadow.o && rmdir linkdir && ln -s /etc linkdir && echo ok > real.o && "
      "ln -s real.o inner-link.o");
  j.outputs = {"shadow.o", "linkdir/shadow", "real.o", "inner-link.o", "missing.o"};
  auto r = builder_->run(j);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code, 0) << r->stderr_data;
  // Names only in the failure message: a regression must not print the host's /etc/shadow.
  std::vector<std::string> names;
  for (const auto& o : r->outputs) names.push_back(o.first);
  EXPECT_EQ(names, std::vector<std::string>{"real.o"});
  if (names.size() == 1) {
    EXPECT_EQ(r->outputs[0].second, "ok\n");
  }
}

TEST_F(SandboxTest, InputsAndOutputsResolveInsideTheSandboxRoot) {
  // A toolchain whose symlinks point at a host directory: `escape` absolutely, `up` through "..".
  std::string host = root_ + "/host-secrets";
  std::string tc = root_ + "/evil-toolchain";
  ASSERT_TRUE(make_dirs(host));
  ASSERT_TRUE(write_file_atomic(host + "/secret", "host secret\n", 0644));
  ASSERT_TRUE(make_dirs(tc + host));  // the same path inside the toolchain, empty
  stdfs::create_directory_symlink(host, tc + "/escape");
  stdfs::create_directory_symlink("../../../../../../../../.." + host, tc + "/up");
  std::string before = tree_snapshot(tc);

  SandboxJob j;
  j.toolchain_dir = tc;
  j.executable = "/does-not-exist";
  j.cwd = "/";
  j.inputs = {{"/escape/pwned", "x", 0644}, {"/up/pwned2", "y", 0644}};
  j.outputs = {"/escape/secret", "/up/secret", "escape/pwned", "up/pwned2"};
  auto r = builder_->run(j);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->exit_code, 0);  // bwrap: execvp fails
  // The inputs landed in the sandbox's own view of that path; the host file was never read.
  using Outputs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r->outputs, (Outputs{{"escape/pwned", "x"}, {"up/pwned2", "y"}}));
  EXPECT_EQ(dir_entries(host), std::vector<std::string>{"secret"});
  EXPECT_EQ(tree_snapshot(tc), before);
}

TEST_F(SandboxTest, TimeoutKillsTheWholeSandbox) {
  SandboxJob j = bash_job("sleep 37; echo late");
  j.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  auto r = builder_->run(j);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_EQ(r->stdout_data, "");
  EXPECT_LT(took, std::chrono::seconds(6));
  EXPECT_GE(took, std::chrono::milliseconds(900));
  // No `sleep 37` survives the sandbox.
  bool survivor = true;
  for (int i = 0; i < 50 && survivor; ++i) {
    survivor = false;
    for (const auto& e : stdfs::directory_iterator("/proc")) {
      auto cmdline = read_file(e.path().string() + "/cmdline");
      if (cmdline && *cmdline == std::string("sleep\0"
                                             "37\0",
                                             9))
        survivor = true;
    }
    if (survivor) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(survivor);
  EXPECT_EQ(dir_entries(builder_->build_dir() + "/builds"), std::vector<std::string>{});
}

TEST_F(SandboxTest, ParallelJobsProduceIdenticalObjectsAndLeaveTheToolchainAlone) {
  std::string before = tree_snapshot(toolchain_);
  std::vector<std::future<Expected<SandboxResult>>> jobs;
  jobs.reserve(4);
  for (int i = 0; i < 4; ++i)
    jobs.push_back(std::async(std::launch::async, [] { return builder_->run(compile_job()); }));
  for (auto& f : jobs) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_TRUE(r->outputs[0].second == host_o_);
  }
  EXPECT_EQ(tree_snapshot(toolchain_), before);
  EXPECT_EQ(dir_entries(builder_->build_dir() + "/builds"), std::vector<std::string>{});
}

TEST_F(SandboxTest, EnvironmentIsExactlyTheJobs) {
  ::setenv("SCCACHE_SANDBOX_TEST_LEAK", "leaked", 1);
  SandboxJob j = bash_job("echo \"[$FOO][${SCCACHE_SANDBOX_TEST_LEAK-unset}][${HOME-unset}]\"; compgen -e");
  j.env = {{"FOO", "bar baz"}, {"A=B", "skipped"}, {"", "skipped"}};
  auto r = builder_->run(j);
  ::unsetenv("SCCACHE_SANDBOX_TEST_LEAK");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
  // bash itself exports PWD and SHLVL; everything else must come from the job.
  EXPECT_EQ(r->stdout_data, "[bar baz][unset][unset]\nFOO\nPWD\nSHLVL\n");
}

TEST_F(SandboxTest, InputModesAndNewCwd) {
  SandboxJob j = job("/a/b/run.sh", {"arg1"});
  j.cwd = "/deep/new/cwd";
  j.inputs = {{"/a/b/run.sh", "#!/usr/bin/bash\necho \"$PWD $1\" > out.txt\n", 0755}};
  j.outputs = {"out.txt", "/a/b/run.sh"};
  auto r = builder_->run(j);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_EQ(r->outputs[0], (std::pair<std::string, std::string>{"out.txt", "/deep/new/cwd arg1\n"}));
}

TEST_F(SandboxTest, CwdUnderTmpIsNotHiddenByTheTmpfs) {
  SandboxJob j = compile_job();
  j.cwd = "/tmp/build";
  j.inputs[0].path = "/tmp/build/t.i";
  auto r = builder_->run(j);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0) << r->stderr_data;
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_TRUE(r->outputs[0].second == host_o_);
}

TEST_F(SandboxTest, RejectsBadJobs) {
  SandboxJob j = compile_job();
  j.cwd = "relative";
  EXPECT_FALSE(builder_->run(j));
  j = compile_job();
  j.inputs[0].path = "t.i";
  EXPECT_FALSE(builder_->run(j));
  j = compile_job();
  j.toolchain_dir = root_ + "/no-such-toolchain";
  auto r = builder_->run(j);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no-such-toolchain"), std::string::npos);
}

TEST_F(SandboxTest, CreateChecksBubblewrapAndResetsTheBuildDir) {
  std::string dir = root_ + "/create-test";
  // A non-empty directory the server did not make is refused and kept as it was.
  ASSERT_TRUE(make_dirs(dir + "/old/stuff"));
  auto foreign = OverlayBuilder::create(dir);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find(kBuildDirMarker), std::string::npos) << foreign.error().message;
  EXPECT_EQ(dir_entries(dir), std::vector<std::string>{"old"});
  remove_tree(dir + "/old");
  ASSERT_TRUE(make_dirs(dir + "/builds/1/upper"));  // left over from a killed run
  ASSERT_TRUE(write_file_atomic(dir + "/" + kBuildDirMarker, "", 0644));
  auto ok = OverlayBuilder::create(dir);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(dir_entries(dir), (std::vector<std::string>{std::string(kBuildDirMarker), "builds"}));
  EXPECT_EQ(dir_entries(dir + "/builds"), std::vector<std::string>{});
  EXPECT_FALSE((*ok)->bwrap_version().empty());

  auto missing = OverlayBuilder::create(dir, root_ + "/no/bwrap");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("bubblewrap"), std::string::npos) << missing.error().message;

  std::string fake = root_ + "/old-bwrap";
  ASSERT_TRUE(write_file_atomic(fake, "#!/bin/sh\necho bubblewrap 0.2.1\n", 0755));
  auto old = OverlayBuilder::create(dir, fake);
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("0.2.1"), std::string::npos) << old.error().message;
  EXPECT_NE(old.error().message.find(">= 0.3.0"), std::string::npos) << old.error().message;

  EXPECT_FALSE(OverlayBuilder::create("/"));
}

TEST(SandboxBuildDir, OnlyWhatTheServerMadeIsDeleted) {
  auto tmp = make_temp_dir("build-dir-test");
  ASSERT_TRUE(tmp) << tmp.error().message;
  const std::string root = *tmp;
  // A new directory: made, marked, builds/ inside.
  auto fresh = prepare_build_dir(root + "/new/build");
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_TRUE(stdfs::is_regular_file(*fresh + "/" + kBuildDirMarker));
  EXPECT_TRUE(stdfs::is_directory(*fresh + "/builds"));
  // Restart: builds/ is emptied, the rest of the marked directory is kept.
  ASSERT_TRUE(write_file_atomic(*fresh + "/builds/leftover", "x", 0644));
  ASSERT_TRUE(write_file_atomic(*fresh + "/notes.txt", "keep me", 0644));
  ASSERT_TRUE(prepare_build_dir(root + "/new/build/"));
  EXPECT_FALSE(stdfs::exists(*fresh + "/builds/leftover"));
  EXPECT_TRUE(stdfs::is_directory(*fresh + "/builds"));
  EXPECT_EQ(read_file(*fresh + "/notes.txt").value(), "keep me");
  // A mistyped path to a directory with data and no marker: refused, nothing deleted.
  ASSERT_TRUE(make_dirs(root + "/home/src"));
  ASSERT_TRUE(write_file_atomic(root + "/home/src/main.c", "int main;", 0644));
  auto refused = prepare_build_dir(root + "/home");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("`builder.build_dir`"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find(kBuildDirMarker), std::string::npos) << refused.error().message;
  EXPECT_EQ(read_file(root + "/home/src/main.c").value(), "int main;");
  EXPECT_FALSE(stdfs::exists(root + "/home/" + kBuildDirMarker));
  // An existing empty directory is taken; a file and / are refused.
  ASSERT_TRUE(make_dirs(root + "/empty"));
  EXPECT_TRUE(prepare_build_dir(root + "/empty"));
  EXPECT_TRUE(stdfs::exists(root + "/empty/" + std::string(kBuildDirMarker)));
  EXPECT_FALSE(prepare_build_dir(root + "/home/src/main.c"));
  EXPECT_FALSE(prepare_build_dir("/"));
  EXPECT_FALSE(prepare_build_dir(""));
  remove_tree(root);
}

TEST(BwrapVersion, Parses) {
  EXPECT_EQ(parse_bwrap_version("bubblewrap 0.8.0\n"), (std::array<int, 3>{0, 8, 0}));
  EXPECT_EQ(parse_bwrap_version("bubblewrap 0.11.1"), (std::array<int, 3>{0, 11, 1}));
  EXPECT_EQ(parse_bwrap_version("bubblewrap 1.2"), (std::array<int, 3>{1, 2, 0}));
  EXPECT_EQ(parse_bwrap_version("0.3.0"), (std::array<int, 3>{0, 3, 0}));
  EXPECT_FALSE(parse_bwrap_version("bubblewrap"));
  EXPECT_FALSE(parse_bwrap_version(""));
}

}  // namespace
}  // namespace sccache::dist
