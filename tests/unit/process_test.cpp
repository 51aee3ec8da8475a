// SystemProcessRunner: a compile is cancelled, with everything it started, when the client's
// connection (cancel_fd) hangs up (issue 14, item 4); and what the build servers' builders use
// (issue 13): stdin, the time limit, the output cap, signals and descriptors, the exit watch and
// the fork/exec hooks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>

#include "util/fs.hpp"
#include "util/process.hpp"

namespace sccache {
namespace {

TEST(Process, HangupOfTheCancelSocketKillsTheWholeProcessGroup) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  // A background grandchild holds the output pipes: only a group kill lets run() return soon.
  ProcessSpec spec{{"/bin/sh", "-c", "sleep 60 & sleep 60; echo finished"}, {"PATH=/usr/bin:/bin"}, "", std::nullopt};
  spec.cancel_fd = pair[0];
  std::thread hangup([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::close(pair[1]);
  });
  auto start = std::chrono::steady_clock::now();
  SystemProcessRunner runner;
  auto result = runner.run(spec);
  auto took = std::chrono::steady_clock::now() - start;
  hangup.join();
  ::close(pair[0]);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(result->success());
  EXPECT_EQ(result->stdout_data.find("finished"), std::string::npos);
  // Well under the 5 s the runner waits for pipes held outside the group, and the 60 s sleeps.
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST(Process, DataFromTheClientIsNotAHangup) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  ASSERT_EQ(::write(pair[1], "x", 1), 1);
  EXPECT_FALSE(peer_hung_up(pair[0]));
  ProcessSpec spec{{"/bin/sh", "-c", "echo done"}, {}, "", std::nullopt};
  spec.cancel_fd = pair[0];
  SystemProcessRunner runner;
  auto result = runner.run(spec);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->cancelled);
  EXPECT_EQ(result->stdout_data, "done\n");
  ::close(pair[1]);
  EXPECT_TRUE(peer_hung_up(pair[0]));
  ::close(pair[0]);
  EXPECT_FALSE(peer_hung_up(-1));
}

using Clock = std::chrono::steady_clock;

ProcessSpec sh(const std::string& script) {
  return ProcessSpec{{"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"}, "", std::nullopt};
}

// A memory file holding `data`, at offset 0.
int memory_file(const std::string& data) {
  int fd = ::memfd_create("process-test", MFD_CLOEXEC);
  EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

TEST(Process, StdinComesFromTheGivenDescriptor) {
  int fd = memory_file("line one\nline two\n");
  auto spec = sh("cat; echo end");
  spec.stdin_fd = fd;
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ::close(fd);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->stdout_data, "line one\nline two\nend\n");
  // Without one, stdin is /dev/null.
  auto empty = runner.run(sh("wc -c"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->stdout_data.find_first_not_of(' '), empty->stdout_data.find('0'));
}

TEST(Process, StdoutCanBeStreamedAndStillCounts) {
  auto spec = sh("head -c 300000 /dev/zero | tr '\\0' a; echo err >&2");
  std::string got;
  size_t calls = 0;
  spec.on_stdout = [&](std::string_view chunk) {
    got.append(chunk);
    ++calls;
  };
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->success());
  EXPECT_EQ(got, std::string(300000, 'a'));
  EXPECT_GE(calls, 2U) << "handed over as it was read, not at the end";
  EXPECT_TRUE(r->stdout_data.empty()) << "not kept as well";
  EXPECT_EQ(r->stderr_data, "err\n");
  spec.max_output = 1000;  // streamed bytes count toward the cap
  auto capped = runner.run(spec);
  ASSERT_TRUE(capped.has_value());
  EXPECT_TRUE(capped->output_exceeded);
}

TEST(Process, TimeoutKillsTheChildAndSaysSo) {
  auto spec = sh("echo started; exec sleep 60");
  spec.timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_FALSE(r->success());
  EXPECT_EQ(r->stdout_data, "started\n");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  // A child that finishes in time is not marked.
  auto quick = sh("echo quick");
  quick.timeout = std::chrono::seconds(30);
  auto q = runner.run(quick);
  ASSERT_TRUE(q.has_value());
  EXPECT_FALSE(q->timed_out);
  EXPECT_TRUE(q->success());
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  // A background grandchild holds the pipes: only a group kill lets run() return soon.
  auto spec = sh("sleep 60 & sleep 60; echo finished");
  spec.own_process_group = true;
  spec.timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->stdout_data.find("finished"), std::string::npos);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));  // well under the 5 s after a kill
}

TEST(Process, OwnProcessGroup) {
  pid_t child = 0;
  auto spec = sh("ps -o pgid= -p $$; ps -o pid= -p $$");
  spec.own_process_group = true;
  spec.on_spawned = [&](pid_t pid) -> Status {
    child = pid;
    return Ok{};
  };
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  if (!r->success()) GTEST_SKIP() << "no ps: " << r->stderr_data;
  std::string want = std::to_string(child);
  auto first = r->stdout_data.substr(0, r->stdout_data.find('\n'));
  EXPECT_EQ(first.substr(first.find_first_not_of(' ')), want) << r->stdout_data;
  // Without it the child stays in ours.
  auto same = runner.run(sh("ps -o pgid= -p $$"));
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(std::stoi(same->stdout_data), ::getpgrp());
}

TEST(Process, OutputCapKillsTheChild) {
  auto spec = sh("echo small >&2; exec yes 0123456789");
  spec.max_output = 1 << 20;
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->output_exceeded);
  EXPECT_FALSE(r->success());
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_GT(r->stdout_data.size() + r->stderr_data.size(), size_t{1} << 20);
  EXPECT_LE(r->stdout_data.size() + r->stderr_data.size(), (size_t{1} << 20) + 65536);  // one read past it
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  // At the cap exactly is fine.
  auto exact = sh("printf 12345678");
  exact.max_output = 8;
  auto e = runner.run(exact);
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->output_exceeded);
  EXPECT_TRUE(e->success());
  EXPECT_EQ(e->stdout_data, "12345678");
}

// The child's SigIgn and SigBlk masks (/proc/self/status).
struct SignalMasks {
  uint64_t ignored = ~0ULL;
  uint64_t blocked = ~0ULL;
};

SignalMasks signal_masks(SystemProcessRunner& runner, bool default_signals) {
  // grep itself (a shell may change its mask at start).
  ProcessSpec spec{{"/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"}, {}, "", std::nullopt};
  spec.default_signals = default_signals;
  auto r = runner.run(spec);
  SignalMasks m;
  if (!r) return m;
  for (const char* key : {"SigIgn:\t", "SigBlk:\t"}) {
    auto at = r->stdout_data.find(key);
    if (at == std::string::npos) continue;
    uint64_t v = std::stoull(r->stdout_data.substr(at + 8, 16), nullptr, 16);
    (key[3] == 'I' ? m.ignored : m.blocked) = v;
  }
  return m;
}

uint64_t bit(int sig) { return 1ULL << (sig - 1); }

TEST(Process, DefaultSignals) {
  SystemProcessRunner runner;
  struct sigaction ign {};
  struct sigaction old_pipe {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old_pipe);
  sigset_t usr1;
  sigset_t old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
  SignalMasks inherited = signal_masks(runner, false);
  SignalMasks reset = signal_masks(runner, true);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  EXPECT_NE(inherited.ignored & bit(SIGPIPE), 0U);
  EXPECT_NE(inherited.blocked & bit(SIGUSR1), 0U);
  EXPECT_EQ(reset.ignored, 0U);
  EXPECT_EQ(reset.blocked, 0U);
}

TEST(Process, CloseOtherFds) {
  int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as another thread might open one
  ASSERT_GE(leaky, 3);
  std::string probe = "[ -e /proc/self/fd/" + std::to_string(leaky) + " ] && echo open || echo closed";
  SystemProcessRunner runner;
  auto inherited = runner.run(sh(probe));
  auto spec = sh(probe);
  spec.close_other_fds = true;
  auto closed = runner.run(spec);
  ::close(leaky);
  ASSERT_TRUE(inherited.has_value());
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(inherited->stdout_data, "open\n");
  EXPECT_EQ(closed->stdout_data, "closed\n");
}

TEST(Process, ExitGraceStopsReadingPipesHeldByOthers) {
  pid_t child = 0;
  auto spec = sh("sleep 60 & echo parent done; exit 3");
  spec.own_process_group = true;
  spec.exit_grace = std::chrono::milliseconds(200);
  spec.timeout = std::chrono::milliseconds(500);  // stops counting once the child has exited
  spec.on_spawned = [&](pid_t pid) -> Status {
    child = pid;
    return Ok{};
  };
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  auto took = Clock::now() - start;
  if (child > 0) ::kill(-child, SIGKILL);  // the stray sleep
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->stdout_data, "parent done\n");
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(Process, ExitGraceStillEnforcesTheTimeout) {
  auto spec = sh("exec sleep 60");
  spec.exit_grace = std::chrono::milliseconds(200);
  spec.timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(Process, ChildSetupRunsInTheChildBeforeExec) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  auto spec = sh("echo execd");
  spec.child_setup = [&] {
    const char msg[] = "setup";
    ssize_t ignored = ::write(pipe_fds[1], msg, sizeof msg - 1);
    (void)ignored;
  };
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ::close(pipe_fds[1]);
  char buf[16] = {};
  ssize_t got = ::read(pipe_fds[0], buf, sizeof buf);
  ::close(pipe_fds[0]);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->stdout_data, "execd\n");
  EXPECT_EQ(std::string(buf, got > 0 ? static_cast<size_t>(got) : 0), "setup");
  // A setup that gives up: its exit status is the result.
  auto failing = sh("echo never");
  failing.child_setup = [] { ::_exit(42); };
  auto f = runner.run(failing);
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_EQ(f->exit_code, 42);
  EXPECT_EQ(f->stdout_data, "");
}

TEST(Process, AnErrorFromOnSpawnedKillsTheChild) {
  // The child waits in its setup for a byte that never comes: the error must still end it.
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  auto spec = sh("echo never");
  spec.own_process_group = true;
  spec.child_setup = [&] {
    char c;
    ssize_t ignored = ::read(go[0], &c, 1);
    (void)ignored;
  };
  pid_t child = 0;
  spec.on_spawned = [&](pid_t pid) -> Status {
    child = pid;
    return make_error("the caller gave up");
  };
  auto start = Clock::now();
  SystemProcessRunner runner;
  auto r = runner.run(spec);
  ::close(go[0]);
  ::close(go[1]);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "the caller gave up");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  ASSERT_GT(child, 0);
  EXPECT_NE(::kill(child, 0), 0);  // reaped
}

TEST(Process, ExecFailureIsAnErrorWithItsCode) {
  SystemProcessRunner runner;
  auto r = runner.run(ProcessSpec{{"/nonexistent/tool"}, {}, "", std::nullopt});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, kProcessExecFailed);
  EXPECT_EQ(r.error().message, "cannot execute /nonexistent/tool: No such file or directory");
  // The same from a forked child with a setup.
  ProcessSpec forked{{"/nonexistent/tool"}, {}, "", std::nullopt};
  forked.child_setup = [] {};
  forked.exit_grace = std::chrono::milliseconds(100);
  auto f = runner.run(forked);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, kProcessExecFailed);
}

TEST(Process, IgnoredSigchldLosesTheStatus) {
  struct sigaction ign {};
  struct sigaction old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ign, &old);
  SystemProcessRunner runner;
  auto plain = runner.run(sh("exit 5"));
  auto spec = sh("exit 5");
  spec.exit_grace = std::chrono::milliseconds(100);
  auto watched = runner.run(spec);
  ::sigaction(SIGCHLD, &old, nullptr);
  ASSERT_TRUE(plain.has_value());
  ASSERT_TRUE(watched.has_value());
  EXPECT_TRUE(plain->status_lost);
  EXPECT_EQ(plain->exit_code, 0);  // as before the flag existed
  EXPECT_FALSE(plain->success());  // but a lost status is never a success
  EXPECT_TRUE(watched->status_lost);
}

}  // namespace
}  // namespace sccache

namespace sccache {
namespace {

// The one PATH lookup (the build server's bwrap and docker, rustc's linker).
TEST(FindInPath, TheFirstExecutableRegularFileWins) {
  std::string dir = make_temp_dir("sccache-path-").value();
  for (const char* d : {"a", "b", "c"}) ASSERT_TRUE(make_dirs(join_path(dir, d)));
  ASSERT_TRUE(write_file_atomic(join_path(dir, "a/tool"), "data", 0644));  // not executable
  ASSERT_TRUE(make_dirs(join_path(dir, "b/tool")));                        // a directory
  ASSERT_TRUE(write_file_atomic(join_path(dir, "c/tool"), "#!/bin/sh\n", 0755));
  const std::string list = join_path(dir, "a") + ":" + join_path(dir, "b") + ":" + join_path(dir, "c");
  EXPECT_EQ(find_in_path("tool", list, "/").value_or(""), join_path(dir, "c/tool"));
  EXPECT_FALSE(find_in_path("tool", join_path(dir, "a"), "/"));
  EXPECT_EQ(find_in_path("tool", ":", join_path(dir, "c")).value_or(""), join_path(dir, "c/tool"));  // empty = cwd
  EXPECT_EQ(find_in_path("c/tool", "", dir).value_or(""), join_path(dir, "c/tool"));  // a path: only checked
  EXPECT_FALSE(find_in_path("a/tool", list, dir));
  EXPECT_FALSE(find_in_path("", list, dir));
  remove_tree(dir);
}

}  // namespace
}  // namespace sccache
