// The server's one compile pipeline (CompileService) against the test seams: compilers scripted
// by a FakeProcessRunner (nothing runs) and entries kept in a MemoryStorage. What each case
// checks is the pipeline's own decision: hit, miss, corrupt entry, backend error, not cacheable,
// for a C-family job and for a rustc job.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "server/compile_service.hpp"
#include "support/fake_process_runner.hpp"
#include "support/memory_storage.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

using testing::exited;
using testing::FakeProcessRunner;
using testing::has_arg;
using testing::MemoryStorage;

bool is_preprocess(const ProcessSpec& s) { return has_arg(s, "-E"); }
bool is_compile(const ProcessSpec& s) { return has_arg(s, "-c") && !has_arg(s, "-E"); }

// A C compiler "gcc" in a temp dir: the probe says gcc, -E prints `text` (or fails), and a
// compile writes a.o (numbered, so a test can tell a restored object from a recompiled one).
class CompileServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exe_ = join_path(dir_, "gcc");
    ASSERT_TRUE(write_file_atomic(exe_, "not really gcc", 0755));
    ASSERT_TRUE(write_file_atomic(join_path(dir_, "a.c"), "int x;\n", 0644));
    runner_.on([](const ProcessSpec& s) { return is_preprocess(s) && s.argv.back().ends_with("probe.c"); },
               [](const ProcessSpec&) { return exited(0, "# 1 \"probe.c\"\nsccache_kind " + std::string("gcc") + "\n"); });
    runner_.on(is_preprocess, [this](const ProcessSpec&) {
      return preprocess_fails_ ? exited(1, "", "a.c:1:10: fatal error: missing.h: No such file\n")
                               : exited(0, "# 1 \"a.c\"\n" + text_);
    });
    runner_.on(is_compile, [this](const ProcessSpec& s) {
      if (compile_fails_) return exited(1, "", "a.c:1:1: error: nope\n");
      ++compiles_;
      EXPECT_TRUE(write_file_atomic(join_path(s.cwd, "a.o"), "OBJ" + std::to_string(compiles_), 0644));
      return exited(0, "", "a.c:1:5: warning: unused\n");
    });
  }
  void TearDown() override { remove_tree(dir_); }

  CompileOutcome compile(std::vector<std::string> args = {"-c", "a.c", "-o", "a.o"}) {
    CompileRequest req{exe_, dir_, std::move(args), {"PATH=/usr/bin:/bin"}, 022, false};
    CompileOutcome out = service_.handle(req);
    if (out.after_reply) out.after_reply();  // the cache write, as the server runs it after the reply
    return out;
  }
  std::string object() {
    auto data = read_file(join_path(dir_, "a.o"));
    return data ? *data : "<none>";
  }
  ServerStats stats() { return stats_.snapshot(); }

  std::string dir_ = make_temp_dir("sccache-service-test-").value();
  std::string exe_;
  std::string text_ = "int x;\n";
  bool preprocess_fails_ = false;
  bool compile_fails_ = false;
  int compiles_ = 0;
  FakeProcessRunner runner_;
  MemoryStorage storage_;
  StatsCollector stats_;
  CompilerCache compilers_{join_path(dir_, "scratch"), runner_};
  CompileService service_{storage_, compilers_, runner_, stats_, 2, false, nullptr};
};

const CompileFinished& finished(const CompileOutcome& out) {
  static const CompileFinished none{-1, 0, "", "<not a CompileFinished>", WireColor::off};
  const auto* f = std::get_if<CompileFinished>(&out.response);
  return f != nullptr ? *f : none;
}

TEST_F(CompileServiceTest, AMissIsStoredAndTheHitReplaysItWithoutCompiling) {
  auto first = compile();
  EXPECT_EQ(finished(first).exit_code, 0);
  EXPECT_EQ(finished(first).stderr_data, "a.c:1:5: warning: unused\n");
  EXPECT_EQ(object(), "OBJ1");
  EXPECT_EQ(storage_.items.size(), 1U);
  EXPECT_EQ(stats().cache_misses["C/C++"], 1U);

  ASSERT_TRUE(write_file_atomic(join_path(dir_, "a.o"), "stale", 0644));
  auto second = compile();
  EXPECT_EQ(finished(second).exit_code, 0);
  EXPECT_EQ(finished(second).stderr_data, "a.c:1:5: warning: unused\n");  // replayed
  EXPECT_EQ(object(), "OBJ1");                                           // restored, not recompiled
  EXPECT_EQ(compiles_, 1);
  EXPECT_EQ(stats().cache_hits["C/C++"], 1U);
  EXPECT_EQ(runner_.count(is_preprocess), 3U);  // the probe once, then -E per request
}

TEST_F(CompileServiceTest, AnotherPreprocessedTextIsAnotherKey) {
  compile();
  text_ = "int y;\n";
  compile();
  EXPECT_EQ(compiles_, 2);
  EXPECT_EQ(object(), "OBJ2");
  EXPECT_EQ(storage_.items.size(), 2U);
  EXPECT_EQ(stats().cache_misses["C/C++"], 2U);
}

TEST_F(CompileServiceTest, ACorruptEntryIsAMissAndIsReplaced) {
  compile();
  ASSERT_EQ(storage_.items.size(), 1U);
  const std::string key = storage_.items.begin()->first;
  storage_.items[key] = "garbage that is no entry";
  auto out = compile();
  EXPECT_EQ(finished(out).exit_code, 0);
  EXPECT_EQ(object(), "OBJ2");
  EXPECT_EQ(stats().cache_read_errors, 1U);
  EXPECT_EQ(storage_.removes, 1);
  EXPECT_NE(storage_.items[key], "garbage that is no entry");  // the recompile stored a good one
  compile();
  EXPECT_EQ(stats().cache_hits["C/C++"], 1U);
}

TEST_F(CompileServiceTest, ABackendErrorIsAMissAndCounted) {
  storage_.fail_gets = make_error("connection refused");
  auto out = compile();
  EXPECT_EQ(finished(out).exit_code, 0);
  EXPECT_EQ(object(), "OBJ1");
  EXPECT_EQ(stats().cache_errors["C/C++"], 1U);
  EXPECT_EQ(stats().cache_timeouts, 0U);
  storage_.fail_gets = storage_error(StorageFailure::timeout, "no answer in 1 s");
  compile();
  EXPECT_EQ(stats().cache_timeouts, 1U);
  EXPECT_EQ(stats().cache_errors["C/C++"], 1U);
  storage_.fail_gets.reset();
  storage_.fail_puts = make_error("disk full");
  storage_.items.clear();
  compile();
  EXPECT_EQ(stats().cache_write_errors, 1U);
  EXPECT_EQ(compiles_, 3);
}

TEST_F(CompileServiceTest, NotCacheableAndNotACompilationRunNothing) {
  auto e = compile({"-E", "a.c"});
  ASSERT_TRUE(std::holds_alternative<CompileUnhandled>(e.response));
  EXPECT_EQ(std::get<CompileUnhandled>(e.response).reason, "-E");
  auto two = compile({"-c", "a.c", "b.c"});
  EXPECT_EQ(std::get<CompileUnhandled>(two.response).reason, "multiple input files");
  auto link = compile({"a.o", "-o", "prog"});
  EXPECT_EQ(std::get<CompileUnhandled>(link.response).reason, "not a compilation");
  EXPECT_EQ(stats().not_cached["-E"], 1U);
  EXPECT_EQ(stats().not_cached["multiple input files"], 1U);
  EXPECT_EQ(stats().requests_not_cacheable, 2U);
  EXPECT_EQ(stats().requests_not_compile, 1U);
  EXPECT_EQ(runner_.count(is_compile), 0U);
  EXPECT_EQ(storage_.gets, 0);
}

TEST_F(CompileServiceTest, AFailingPreprocessorCompilesUncached) {
  preprocess_fails_ = true;
  auto out = compile();
  EXPECT_EQ(finished(out).exit_code, 0);  // the compile itself decides
  EXPECT_EQ(stats().cache_errors["C/C++"], 1U);
  EXPECT_EQ(stats().non_cacheable_compilations, 1U);
  EXPECT_TRUE(storage_.items.empty());
}

TEST_F(CompileServiceTest, AFailedCompileIsReportedAndNotStored) {
  compile_fails_ = true;
  auto out = compile();
  EXPECT_EQ(finished(out).exit_code, 1);
  EXPECT_EQ(finished(out).stderr_data, "a.c:1:1: error: nope\n");
  EXPECT_EQ(stats().compile_fails, 1U);
  EXPECT_EQ(stats().cache_misses["C/C++"], 0U) << "a failed compile is a failure, not also a miss";
  EXPECT_TRUE(storage_.items.empty());
}

// A compile whose exit status was lost (SIGCHLD ignored) is neither reported nor stored: the
// server answers with an error and the client compiles itself.
TEST_F(CompileServiceTest, ALostExitStatusIsAnErrorAndNothingIsStored) {
  FakeProcessRunner lost;
  lost.on([](const ProcessSpec& s) { return is_preprocess(s) && s.argv.back().ends_with("probe.c"); },
          [](const ProcessSpec&) { return exited(0, "sccache_kind gcc\n"); });
  lost.on(is_preprocess, [](const ProcessSpec&) { return exited(0, "int x;\n"); });
  lost.on(is_compile, [](const ProcessSpec&) {
    ProcessResult r = exited(0);
    r.status_lost = true;
    return r;
  });
  CompilerCache compilers(join_path(dir_, "scratch3"), lost);
  CompileService service(storage_, compilers, lost, stats_, 1, false, nullptr);
  auto out = service.handle(CompileRequest{exe_, dir_, {"-c", "a.c", "-o", "a.o"}, {}, 022, false});
  ASSERT_TRUE(std::holds_alternative<ErrorResponse>(out.response));
  EXPECT_NE(std::get<ErrorResponse>(out.response).message.find("exit status"), std::string::npos);
  EXPECT_FALSE(out.after_reply);
  EXPECT_TRUE(storage_.items.empty());
}

TEST_F(CompileServiceTest, ACompilerTheRegistryRefusesIsUnsupported) {
  FakeProcessRunner other;
  other.on([](const ProcessSpec&) { return true; }, [](const ProcessSpec&) { return exited(0, "sccache_kind nvcc\n"); });
  CompilerCache compilers(join_path(dir_, "scratch2"), other);
  CompileService service(storage_, compilers, other, stats_, 1, false, nullptr);
  auto out = service.handle(CompileRequest{exe_, dir_, {"-c", "a.c"}, {}, 022, false});
  ASSERT_TRUE(std::holds_alternative<CompileUnhandled>(out.response));
  EXPECT_EQ(std::get<CompileUnhandled>(out.response).reason, "compiler kind `nvcc` is not a gcc/clang driver");
  EXPECT_EQ(stats().requests_unsupported_compiler, 1U);
}

// rustc through the same pipeline: detected by `-vV`, keyed after a dep-info pre-pass, its
// outputs restored into --out-dir.
class CompileServiceRust : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_file_atomic(exe_, "not really rustc", 0755));
    ASSERT_TRUE(make_dirs(join_path(dir_, "sysroot/lib")));
    ASSERT_TRUE(write_file_atomic(join_path(dir_, "sysroot/lib/librustc_driver.so"), "driver", 0644));
    ASSERT_TRUE(make_dirs(join_path(dir_, "src")));
    ASSERT_TRUE(write_file_atomic(join_path(dir_, "src/lib.rs"), "pub fn f() {}\n", 0644));
    ASSERT_TRUE(make_dirs(out_dir_));
    runner_.on([](const ProcessSpec& s) { return has_arg(s, "-vV"); },
               [](const ProcessSpec&) { return exited(0, "rustc 1.99.0\nhost: x86_64-unknown-linux-gnu\n"); });
    runner_.on([](const ProcessSpec& s) { return has_arg(s, "--print=sysroot"); },
               [this](const ProcessSpec&) { return exited(0, join_path(dir_, "sysroot") + "\n"); });
    runner_.on([](const ProcessSpec& s) { return has_arg(s, "--emit=dep-info"); }, [](const ProcessSpec& s) {
      EXPECT_TRUE(write_file_atomic(s.argv.back(), "x.d: src/lib.rs\n\nsrc/lib.rs:\n", 0644));
      return exited(0);
    });
    runner_.on([](const ProcessSpec& s) { return has_arg(s, "--crate-name"); }, [this](const ProcessSpec&) {
      ++compiles_;
      EXPECT_TRUE(write_file_atomic(join_path(out_dir_, "libleaf-1.rlib"), "RLIB" + std::to_string(compiles_), 0644));
      EXPECT_TRUE(write_file_atomic(join_path(out_dir_, "leaf-1.d"), out_dir_ + "/leaf-1.d: src/lib.rs\n", 0644));
      return exited(0);
    });
  }
  void TearDown() override { remove_tree(dir_); }

  CompileOutcome compile(const std::string& exe) {
    CompileRequest req{exe, dir_,
                       {"--crate-name", "leaf", "--edition=2021", "src/lib.rs", "--crate-type", "lib",
                        "--emit=dep-info,link", "-C", "extra-filename=-1", "--out-dir", out_dir_},
                       {"PATH=/usr/bin:/bin"}, 022, false};
    CompileOutcome out = service_.handle(req);
    if (out.after_reply) out.after_reply();
    return out;
  }

  std::string dir_ = make_temp_dir("sccache-service-rust-").value();
  std::string exe_ = join_path(dir_, "rustc");
  std::string out_dir_ = join_path(dir_, "out");
  int compiles_ = 0;
  FakeProcessRunner runner_;
  MemoryStorage storage_;
  StatsCollector stats_;
  CompilerCache compilers_{join_path(dir_, "scratch"), runner_};
  CompileService service_{storage_, compilers_, runner_, stats_, 2, false, nullptr};
};

TEST_F(CompileServiceRust, AMissIsStoredAndTheHitFillsTheOutDir) {
  auto first = compile(exe_);
  ASSERT_TRUE(std::holds_alternative<CompileFinished>(first.response));
  EXPECT_EQ(stats_.snapshot().cache_misses.at("Rust"), 1U);
  remove_tree(out_dir_);
  ASSERT_TRUE(make_dirs(out_dir_));
  auto second = compile(exe_);
  ASSERT_TRUE(std::holds_alternative<CompileFinished>(second.response));
  EXPECT_EQ(compiles_, 1);
  EXPECT_EQ(stats_.snapshot().cache_hits.at("Rust"), 1U);
  auto rlib = read_file(join_path(out_dir_, "libleaf-1.rlib"));
  auto depinfo = read_file(join_path(out_dir_, "leaf-1.d"));
  ASSERT_TRUE(rlib && depinfo);
  EXPECT_EQ(*rlib, "RLIB1");
  EXPECT_EQ(*depinfo, out_dir_ + "/leaf-1.d: src/lib.rs\n");
  // The C probe was never given to a rustc.
  EXPECT_EQ(runner_.count([](const ProcessSpec& s) { return has_arg(s, "-E"); }), 0U);
}

// Detection asks any executable, so a wrapper that answers `-vV` like rustc (but may add flags)
// is detected as rustc too: its own content is in the identity, so it never shares rustc's entries.
TEST_F(CompileServiceRust, AWrapperThatAnswersAsRustcHasItsOwnEntries) {
  const std::string wrapper = join_path(dir_, "my-wrapper");
  ASSERT_TRUE(write_file_atomic(wrapper, "#!/bin/sh\nexec rustc --cfg extra \"$@\"\n", 0755));
  compile(exe_);
  compile(wrapper);
  EXPECT_EQ(compiles_, 2);
  EXPECT_EQ(stats_.snapshot().cache_misses.at("Rust"), 2U);
  EXPECT_EQ(storage_.items.size(), 2U);
  // The wrapper was given the C probe first (its name is not rustc's), then asked as rustc.
  EXPECT_EQ(runner_.count([&](const ProcessSpec& s) { return s.argv[0] == wrapper && has_arg(s, "-E"); }), 1U);
}

// An output that exists and is not a regular file (here a FIFO at the rlib's name) is never
// replaced by a restore: the compile is not cached.
TEST_F(CompileServiceRust, AnOutputThatIsNotARegularFileIsNotCacheable) {
  ASSERT_EQ(::mkfifo(join_path(out_dir_, "libleaf-1.rlib").c_str(), 0644), 0);
  auto out = compile(exe_);
  ASSERT_TRUE(std::holds_alternative<CompileUnhandled>(out.response));
  EXPECT_EQ(std::get<CompileUnhandled>(out.response).reason, "output is not a regular file");
  EXPECT_EQ(stats_.snapshot().not_cached.at("output is not a regular file"), 1U);
  EXPECT_EQ(compiles_, 0);
}

}  // namespace
}  // namespace sccache
