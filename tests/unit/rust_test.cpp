// rustc argument parsing, dep-info parsing and output names, on the command lines cargo writes.
#include <gtest/gtest.h>

#include "compiler/rust/rust_args.hpp"
#include "compiler/rust/rust_family.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

std::vector<std::string> cargo_lib_args() {
  return {"--crate-name", "leaf", "--edition=2021", "leaf/src/lib.rs", "--error-format=json",
          "--json=diagnostic-rendered-ansi,artifacts,future-incompat", "--crate-type", "lib",
          "--emit=dep-info,metadata,link", "-C", "embed-bitcode=no", "-C", "debuginfo=2", "-C",
          "metadata=0a1b2c", "-C", "extra-filename=-0a1b2c", "--out-dir", "/t/debug/deps", "-L",
          "dependency=/t/debug/deps", "--extern", "mid=/t/debug/deps/libmid-77.rmeta", "--cap-lints", "warn"};
}

TEST(RustArgs, ParsesACargoLibraryCompile) {
  auto parsed = parse_rust_arguments(cargo_lib_args(), "/ws");
  ASSERT_TRUE(std::holds_alternative<RustArguments>(parsed));
  const auto& job = std::get<RustArguments>(parsed);
  EXPECT_EQ(job.crate_name, "leaf");
  EXPECT_EQ(job.crate_types, std::vector<std::string>{"rlib"});
  EXPECT_EQ(job.emit, (std::vector<std::string>{"dep-info", "metadata", "link"}));
  EXPECT_EQ(job.out_dir, "/t/debug/deps");
  EXPECT_EQ(job.input, "leaf/src/lib.rs");
  EXPECT_EQ(job.extra_filename, "-0a1b2c");
  ASSERT_EQ(job.externs.size(), 1U);
  EXPECT_EQ(job.externs[0].name, "mid");
  EXPECT_EQ(job.externs[0].path, "/t/debug/deps/libmid-77.rmeta");
  EXPECT_FALSE(job.links());
  EXPECT_EQ(rust_output_names(job),
            (std::vector<std::string>{"leaf-0a1b2c.d", "libleaf-0a1b2c.rlib", "libleaf-0a1b2c.rmeta"}));
  // Paths hashed by content or naming outputs stay out of the key; everything else is in it.
  for (const auto& a : job.key_args) {
    EXPECT_EQ(a.find("/t/debug"), std::string::npos) << a;
  }
  EXPECT_NE(std::find(job.key_args.begin(), job.key_args.end(), "metadata=0a1b2c"), job.key_args.end());
  // The pre-pass has no --emit or --out-dir of its own.
  for (const auto& a : job.depinfo_args) {
    EXPECT_NE(a, "--emit");
    EXPECT_NE(a, "--out-dir");
  }
}

TEST(RustArgs, SpellingsOfOneOptionGiveTheSameKey) {
  // -C x and -Cx; --out-dir v and --out-dir=v.
  std::vector<std::string> c = {"--crate-name", "leaf", "--crate-type=lib", "-Copt-level=3", "--out-dir=/o", "x.rs"};
  std::vector<std::string> d = {"--crate-name=leaf", "--crate-type", "lib", "-C", "opt-level=3", "--out-dir", "/p", "x.rs"};
  auto jc = std::get<RustArguments>(parse_rust_arguments(c, "/ws"));
  auto jd = std::get<RustArguments>(parse_rust_arguments(d, "/ws"));
  EXPECT_EQ(jc.key_args, jd.key_args);  // the --out-dir value is not part of the key
  EXPECT_EQ(jc.crate_types, jd.crate_types);
}

TEST(RustArgs, ProcMacroLinks) {
  std::vector<std::string> args = {"--crate-name", "hello_derive", "--edition=2021", "src/lib.rs", "--crate-type",
                                   "proc-macro", "--emit=dep-info,link", "-C", "prefer-dynamic", "-C",
                                   "extra-filename=-99", "--out-dir", "/t/deps", "--extern", "proc_macro"};
  auto job = std::get<RustArguments>(parse_rust_arguments(args, "/ws"));
  EXPECT_TRUE(job.links());
  ASSERT_EQ(job.externs.size(), 1U);
  EXPECT_TRUE(job.externs[0].path.empty());
  EXPECT_EQ(rust_output_names(job), (std::vector<std::string>{"hello_derive-99.d", "libhello_derive-99.so"}));
}

TEST(RustArgs, RefusesWhatCannotBeCachedWithReasons) {
  auto reason = [](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--crate-name", "x", "--crate-type", "lib", "--out-dir", "/o", "x.rs"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = parse_rust_arguments(args, "/ws");
    return std::holds_alternative<NotCacheable>(r) ? std::get<NotCacheable>(r).reason : std::string("<cacheable>");
  };
  EXPECT_EQ(reason({"-C", "incremental=/t/incr"}), "incremental");
  EXPECT_EQ(reason({"-Cincremental=/t/incr"}), "incremental");
  EXPECT_EQ(reason({"--crate-type", "bin"}), "crate-type bin");
  EXPECT_EQ(reason({"--crate-type=cdylib"}), "crate-type cdylib");
  EXPECT_EQ(reason({"--emit=asm"}), "unsupported --emit");
  EXPECT_EQ(reason({"--emit=link=/x.rlib"}), "--emit with a path");
  EXPECT_EQ(reason({"-o", "y"}), "-o");
  EXPECT_EQ(reason({"--test"}), "--test");
  EXPECT_EQ(reason({"y.rs"}), "multiple input files");
  EXPECT_EQ(reason({"-Z", "unstable-options"}), "-Z");
  EXPECT_EQ(reason({"--target", "x86_64-pc-windows-msvc"}), "non-Linux target");
  EXPECT_EQ(reason({"--target", "/specs/t.json"}), "target spec file");
  EXPECT_EQ(reason({"-C", "split-debuginfo=unpacked"}), "-C split-debuginfo");
  EXPECT_EQ(reason({"-l", "static=nothere"}), "static library not found");
  EXPECT_EQ(reason({"--target", "x86_64-unknown-linux-gnu"}), "<cacheable>");

  auto bin = parse_rust_arguments({"--crate-name", "app", "--out-dir", "/o", "main.rs"}, "/ws");
  EXPECT_EQ(std::get<NotCacheable>(bin).reason, "crate-type bin");
}

TEST(RustArgs, CargoProbesAreNotCompilations) {
  EXPECT_TRUE(std::holds_alternative<NotCompilation>(parse_rust_arguments({"-vV"}, "/")));
  EXPECT_TRUE(std::holds_alternative<NotCompilation>(parse_rust_arguments(
      {"-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin", "--crate-type", "rlib"}, "/")));
  EXPECT_TRUE(std::holds_alternative<NotCompilation>(parse_rust_arguments({"--print", "sysroot"}, "/")));
}

TEST(RustArgs, ArgfilesAreExpanded) {
  auto dir = *make_temp_dir("sccache-rust-args-");
  ASSERT_TRUE(write_file_atomic(dir + "/args", "--crate-name\nleaf\n--crate-type\nlib\n--out-dir\n/o\n", 0644));
  auto job = std::get<RustArguments>(parse_rust_arguments({"@args", "src/lib.rs"}, dir));
  EXPECT_EQ(job.crate_name, "leaf");
  EXPECT_EQ(job.out_dir, "/o");
  EXPECT_EQ(std::get<NotCacheable>(parse_rust_arguments({"@missing", "x.rs"}, dir)).reason, "@argfile");
  remove_tree(dir);
}

TEST(DepInfo, ReadsSourcesAndEnvDeps) {
  std::string text =
      "/t/deps/leaf-1.d: src/lib.rs src/with\\ space.rs /abs/gen.rs\n"
      "\n"
      "/t/deps/libleaf-1.rlib: src/lib.rs src/with\\ space.rs /abs/gen.rs\n"
      "\n"
      "src/lib.rs:\n"
      "src/with\\ space.rs:\n"
      "/abs/gen.rs:\n"
      "\n"
      "# env-dep:SC_TEST_FLAVOR=a\n"
      "# env-dep:UNSET_ONE\n";
  auto info = parse_dep_info(text);
  EXPECT_EQ(info.files, (std::vector<std::string>{"src/lib.rs", "src/with space.rs", "/abs/gen.rs"}));
  ASSERT_EQ(info.env.size(), 2U);
  EXPECT_EQ(info.env[0].first, "SC_TEST_FLAVOR");
  EXPECT_EQ(info.env[0].second.value_or(""), "a");
  EXPECT_FALSE(info.env[1].second);
}

TEST(Rustc, RecognisedByName) {
  EXPECT_TRUE(looks_like_rustc("/root/.cargo/bin/rustc"));
  EXPECT_TRUE(looks_like_rustc("rustc-1.80"));
  EXPECT_FALSE(looks_like_rustc("/usr/bin/gcc"));
  EXPECT_FALSE(looks_like_rustc("/usr/bin/rustdoc"));
}

}  // namespace
}  // namespace sccache
