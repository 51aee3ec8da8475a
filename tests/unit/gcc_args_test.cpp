// Argument table tests: each flag that changes the key, the outputs or cacheability is pinned here.
#include <gtest/gtest.h>

#include "compiler/c/c_key.hpp"
#include "compiler/c/c_dist.hpp"
#include "compiler/c/gcc_args.hpp"

namespace sccache {
namespace {

Invocation inv(std::vector<std::string> args, std::string cwd = "/tmp/proj") {
  Invocation i;
  i.exe = "/usr/bin/gcc";
  i.args = std::move(args);
  i.cwd = std::move(cwd);
  return i;
}

CArguments job_of(const std::vector<std::string>& args) {
  auto r = parse_c_arguments(gcc_dialect(), inv(args));
  EXPECT_TRUE(std::holds_alternative<CArguments>(r)) << "expected a cacheable job";
  return std::holds_alternative<CArguments>(r) ? std::get<CArguments>(r) : CArguments{};
}

std::string reason_of(const std::vector<std::string>& args) {
  auto r = parse_c_arguments(gcc_dialect(), inv(args));
  if (const auto* nc = std::get_if<NotCacheable>(&r)) return nc->reason;
  if (std::holds_alternative<NotCompilation>(r)) return "<not compilation>";
  return "<cacheable>";
}

std::string key_of(const std::vector<std::string>& args, std::string cwd = "/tmp/proj") {
  Invocation i = inv(args, cwd);
  auto r = parse_c_arguments(gcc_dialect(), i);
  EXPECT_TRUE(std::holds_alternative<CArguments>(r));
  if (!std::holds_alternative<CArguments>(r)) return "";
  CCompilerInfo info{"/usr/bin/gcc", &gcc_dialect(), "identity"};
  return c_key_prefix(info, std::get<CArguments>(r), i);
}

TEST(GccArgs, PlainCompileIsCacheable) {
  auto job = job_of({"-c", "a.c", "-o", "a.o"});
  EXPECT_EQ(job.input, "a.c");
  EXPECT_EQ(job.output, "a.o");
  EXPECT_EQ(job.language, "c");
  ASSERT_EQ(job.outputs.size(), 1U);
  EXPECT_EQ(job.outputs[0].name, "obj");
}

TEST(GccArgs, DefaultOutputIsBasenameInCwd) {
  EXPECT_EQ(job_of({"-c", "src/dir/a.cpp"}).output, "a.o");
  EXPECT_EQ(job_of({"-S", "src/a.c"}).output, "a.s");
  EXPECT_EQ(job_of({"-c", "src/a.c", "-oout/x.o"}).output, "out/x.o");
}

TEST(GccArgs, LanguageFromExtensionAndX) {
  EXPECT_EQ(job_of({"-c", "a.cc"}).language, "c++");
  EXPECT_EQ(job_of({"-c", "a.cxx"}).language, "c++");
  EXPECT_EQ(job_of({"-c", "a.C"}).language, "c++");
  EXPECT_EQ(job_of({"-c", "a.m"}).language, "objective-c");
  EXPECT_EQ(job_of({"-c", "a.mm"}).language, "objective-c++");
  EXPECT_EQ(job_of({"-c", "a.S"}).language, "assembler-with-cpp");
  EXPECT_EQ(job_of({"-c", "a.s"}).language, "assembler");
  EXPECT_TRUE(job_of({"-c", "a.i"}).input_is_preprocessed);
  EXPECT_TRUE(job_of({"-c", "a.ii"}).input_is_preprocessed);
  EXPECT_EQ(job_of({"-x", "c++", "-c", "a.c"}).language, "c++");
  EXPECT_EQ(job_of({"-xc++", "-c", "a.c"}).language, "c++");
  // -x after the input does not apply to it.
  EXPECT_EQ(job_of({"-c", "a.c", "-x", "c++"}).language, "c");
  EXPECT_EQ(reason_of({"-c", "a.unknown"}), "unknown source language");
  EXPECT_EQ(reason_of({"-x", "c-header", "-c", "a.h"}), "-x");
}

TEST(GccArgs, NotCacheableReasons) {
  EXPECT_EQ(reason_of({"-E", "a.c"}), "-E");
  EXPECT_EQ(reason_of({"-c", "-M", "a.c"}), "-M");
  EXPECT_EQ(reason_of({"-c", "-MM", "a.c"}), "-MM");
  EXPECT_EQ(reason_of({"-c", "-save-temps", "a.c"}), "-save-temps");
  EXPECT_EQ(reason_of({"-c", "-save-temps=obj", "a.c"}), "-save-temps=");
  EXPECT_EQ(reason_of({"-c", "-fsyntax-only", "a.c"}), "-fsyntax-only");
  EXPECT_EQ(reason_of({"-c", "-"}), "-");
  EXPECT_EQ(reason_of({"-c", "a.c", "b.c"}), "multiple input files");
  EXPECT_EQ(reason_of({"-c"}), "no input file");
  EXPECT_EQ(reason_of({"-c", "a.c", "-fprofile-use"}), "-fprofile-use");
  EXPECT_EQ(reason_of({"-c", "a.c", "-fprofile-use=x.profdata"}), "-fprofile-use=");
  EXPECT_EQ(reason_of({"-c", "a.c", "-fplugin=x.so"}), "-fplugin=");
  EXPECT_EQ(reason_of({"-c", "a.c", "-march=native"}), "-march=native");
  EXPECT_EQ(reason_of({"-c", "a.c", "-Wp,-MD,a.d"}), "-Wp,-M");
  EXPECT_EQ(reason_of({"-c", "a.c", "-Xclang", "-load"}), "-Xclang -load");
  EXPECT_EQ(reason_of({"-c", "a.c", "-o", "-"}), "-o -");
  EXPECT_EQ(reason_of({"-c", "a.c", "-B", "/opt/bin"}), "-B");
  EXPECT_EQ(reason_of({"-c", "a.c", "-fdump-tree-all"}), "-fdump-");
  EXPECT_EQ(reason_of({"-c", "a.c", "-fstack-usage"}), "-fstack-usage");
  EXPECT_EQ(reason_of({"-c", "a.c", "-dumpdir", "x/"}), "-dumpdir");
}

TEST(GccArgs, LinkingIsNotACompilation) {
  EXPECT_EQ(reason_of({"a.o", "b.o", "-o", "prog"}), "<not compilation>");
  EXPECT_EQ(reason_of({"a.c", "-o", "prog"}), "<not compilation>");
}

TEST(GccArgs, SeparateValuesAreNotInputs) {
  auto job = job_of({"-c", "-I", "inc", "-D", "X=1", "-include", "pre.h", "-isystem", "sys", "a.c", "-MF", "a.d", "-MT", "t"});
  EXPECT_EQ(job.input, "a.c");
}

TEST(GccArgs, DependencyOutputs) {
  auto job = job_of({"-c", "a.c", "-o", "out/x.o", "-MD"});
  ASSERT_EQ(job.outputs.size(), 2U);
  EXPECT_EQ(job.outputs[1].name, "d");
  EXPECT_EQ(job.outputs[1].path, "out/x.d");
  EXPECT_TRUE(job.hash_output_path);  // the default target names the object
  auto job2 = job_of({"-c", "a.c", "-o", "x.o", "-MMD", "-MF", "deps/a.dep", "-MT", "tgt"});
  EXPECT_EQ(job2.outputs[1].path, "deps/a.dep");
  EXPECT_FALSE(job2.hash_output_path);
  // -MF alone writes nothing.
  EXPECT_EQ(job_of({"-c", "a.c", "-MF", "a.d"}).outputs.size(), 1U);
  // The preprocessor run gets none of the dependency options, and -E.
  auto pp = job2.preprocess_args;
  EXPECT_EQ(std::count(pp.begin(), pp.end(), "-MMD"), 0);
  EXPECT_EQ(std::count(pp.begin(), pp.end(), "-MF"), 0);
  EXPECT_EQ(std::count(pp.begin(), pp.end(), "tgt"), 0);
  EXPECT_EQ(std::count(pp.begin(), pp.end(), "-c"), 0);
  EXPECT_EQ(std::count(pp.begin(), pp.end(), "x.o"), 0);
  EXPECT_EQ(pp.back(), "-E");
}

TEST(GccArgs, SplitDwarfAndCoverageOutputs) {
  auto job = job_of({"-c", "a.c", "-o", "o/a.o", "-g", "-gsplit-dwarf", "--coverage"});
  ASSERT_EQ(job.outputs.size(), 3U);
  EXPECT_EQ(job.outputs[1].path, "o/a.dwo");
  EXPECT_FALSE(job.outputs[1].required);
  EXPECT_EQ(job.outputs[2].path, "o/a.gcno");
  EXPECT_TRUE(job.hash_cwd);
  EXPECT_TRUE(job.hash_output_path);
}

TEST(GccArgs, ResponseFileQuoting) {
  auto v = split_response_file("-DA=1 'two words' \"dq \\\" x\" back\\ slash\n-c\t\"\"");
  ASSERT_EQ(v.size(), 6U);
  EXPECT_EQ(v[0], "-DA=1");
  EXPECT_EQ(v[1], "two words");
  EXPECT_EQ(v[2], "dq \" x");
  EXPECT_EQ(v[3], "back slash");
  EXPECT_EQ(v[4], "-c");
  EXPECT_EQ(v[5], "");
}

TEST(GccArgs, UnreadableResponseFileIsNotCacheable) {
  EXPECT_EQ(reason_of({"@/nonexistent/rsp", "-c", "a.c"}), "@");
}

// Every argument that can change the output must change the key.
TEST(GccKey, FlagsThatChangeTheKey) {
  const std::vector<std::string> base = {"-c", "a.c", "-o", "a.o"};
  const std::string k = key_of(base);
  const std::vector<std::vector<std::string>> variants = {
      {"-O2"}, {"-O3"}, {"-g"}, {"-DX=1"}, {"-D", "X"}, {"-UX"}, {"-Iinc"}, {"-I", "inc2"}, {"-std=c11"},
      {"-fPIC"}, {"-m32"}, {"-Wall"}, {"-Werror"}, {"-w"}, {"-include", "x.h"}, {"-isystem", "s"},
      {"-ffast-math"}, {"-fno-inline"}, {"-MD"}, {"-MMD"}, {"-MD", "-MP"}, {"-MD", "-MT", "t"}, {"-MD", "-MQ", "t"},
      {"--coverage"}, {"-ftest-coverage"}, {"-fprofile-arcs"}, {"-gsplit-dwarf"}, {"-Xclang", "-fno-pch-timestamp"},
      {"-fdiagnostics-color=always"}, {"-frecord-gcc-switches"}, {"-Wa,--noexecstack"}, {"--sysroot", "/x"},
      {"-target", "x86_64-linux-gnu"}, {"-x", "c++"}};
  for (const auto& extra : variants) {
    auto args = base;
    args.insert(args.begin(), extra.begin(), extra.end());
    EXPECT_NE(key_of(args), k) << "flag did not change the key: " << extra[0];
  }
}

TEST(GccKey, OutputLocationsDoNotChangeTheKeyUnlessEmbedded) {
  EXPECT_EQ(key_of({"-c", "a.c", "-o", "a.o"}), key_of({"-c", "a.c", "-o", "b.o"}));
  EXPECT_EQ(key_of({"-c", "a.c", "-o", "a.o", "-MD", "-MT", "t", "-MF", "a.d"}),
            key_of({"-c", "a.c", "-o", "b.o", "-MD", "-MT", "t", "-MF", "other.d"}));
  // The default dependency target is the object path: it must change the key.
  EXPECT_NE(key_of({"-c", "a.c", "-o", "a.o", "-MD"}), key_of({"-c", "a.c", "-o", "b.o", "-MD"}));
  EXPECT_NE(key_of({"-c", "a.c", "-o", "a.o", "-gsplit-dwarf"}), key_of({"-c", "a.c", "-o", "b.o", "-gsplit-dwarf"}));
  EXPECT_NE(key_of({"-c", "a.c", "-o", "a.o", "--coverage"}), key_of({"-c", "a.c", "-o", "b.o", "--coverage"}));
}

TEST(GccKey, CwdMattersOnlyWhenEmbedded) {
  EXPECT_EQ(key_of({"-c", "a.c"}, "/one"), key_of({"-c", "a.c"}, "/two"));
  EXPECT_NE(key_of({"-c", "a.c", "-g"}, "/one"), key_of({"-c", "a.c", "-g"}, "/two"));
  EXPECT_NE(key_of({"-c", "a.c", "-ggdb3"}, "/one"), key_of({"-c", "a.c", "-ggdb3"}, "/two"));
  EXPECT_EQ(key_of({"-c", "a.c", "-g0"}, "/one"), key_of({"-c", "a.c", "-g0"}, "/two"));
  EXPECT_NE(key_of({"-c", "a.c", "-fprofile-arcs"}, "/one"), key_of({"-c", "a.c", "-fprofile-arcs"}, "/two"));
}

TEST(GccKey, EnvironmentThatChangesOutput) {
  Invocation a = inv({"-c", "a.c"});
  Invocation b = a;
  b.env.push_back("LANG=de_DE.UTF-8");
  Invocation c = a;
  c.env.push_back("UNRELATED=1");
  auto job = std::get<CArguments>(parse_c_arguments(gcc_dialect(), a));
  CCompilerInfo info{"/usr/bin/gcc", &gcc_dialect(), "identity"};
  EXPECT_NE(c_key_prefix(info, job, a), c_key_prefix(info, job, b));
  EXPECT_EQ(c_key_prefix(info, job, a), c_key_prefix(info, job, c));
  CCompilerInfo other{"/usr/bin/gcc", &gcc_dialect(), "other-identity"};
  EXPECT_NE(c_key_prefix(info, job, a), c_key_prefix(other, job, a));
}

TEST(GccArgs, DependenciesOutputEnvIsNotCacheable) {
  Invocation i = inv({"-c", "a.c"});
  i.env.push_back("DEPENDENCIES_OUTPUT=a.d");
  auto r = parse_c_arguments(gcc_dialect(), i);
  ASSERT_TRUE(std::holds_alternative<NotCacheable>(r));
}

}  // namespace
}  // namespace sccache

namespace sccache {
namespace {

// Regression: a separate value spelled like an output option must not hide the next argument.
TEST(GccKey, SeparateValuesAreHashedWithTheirFlag) {
  EXPECT_NE(key_of({"-c", "a.c", "-Xlinker", "-o", "-O2"}), key_of({"-c", "a.c", "-Xlinker", "-o", "-O0"}));
  EXPECT_NE(key_of({"-c", "a.c", "-include", "a.h"}), key_of({"-c", "a.c", "-include", "b.h"}));
}

TEST(GccArgs, GccToolchainIsNotDebugInfo) {
  EXPECT_FALSE(job_of({"-c", "a.c", "-gcc-toolchain", "/opt/gcc"}).hash_cwd);
  EXPECT_TRUE(job_of({"-c", "a.c", "-g3"}).hash_cwd);
}

}  // namespace
}  // namespace sccache

namespace sccache {
namespace {

TEST(DirectMode, FilesFromLineMarkers) {
  std::string text =
      "# 0 \"a.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n# 1 \"/usr/include/stdc-predef.h\" 1 3 4\n"
      "int x;\n# 1 \"inc/x.h\" 1\n#line 7 \"sp ace\\\\q\\\"d.h\"\n# 2 \"a.c\" 2\n#pragma once\n";
  auto files = files_from_line_markers(text, "/w");
  ASSERT_EQ(files.size(), 4U);
  EXPECT_EQ(files[0], "/w/a.c");
  EXPECT_EQ(files[1], "/usr/include/stdc-predef.h");
  EXPECT_EQ(files[2], "/w/inc/x.h");
  EXPECT_EQ(files[3], "/w/sp ace\\q\"d.h");
}

TEST(DirectMode, SearchDirsFromVerbose) {
  std::string err =
      "ignoring nonexistent directory \"/x\"\n#include \"...\" search starts here:\n quote\n"
      "#include <...> search starts here:\n inc\n /usr/include\n /Library/F (framework directory)\n"
      "End of search list.\n /not/this\n";
  auto dirs = search_dirs_from_verbose(err, "/w");
  ASSERT_EQ(dirs.size(), 4U);
  EXPECT_EQ(dirs[0], "/w/quote");
  EXPECT_EQ(dirs[1], "/w/inc");
  EXPECT_EQ(dirs[2], "/usr/include");
  EXPECT_EQ(dirs[3], "/Library/F");
}

TEST(DirectMode, DirectKeyDependsOnInputPathCwdAndContent) {
  Invocation a = inv({"-c", "a.c"});
  auto job = std::get<CArguments>(parse_c_arguments(gcc_dialect(), a));
  CCompilerInfo info{"/usr/bin/gcc", &gcc_dialect(), "identity"};
  std::string prefix = c_key_prefix(info, job, a);
  std::string k = c_direct_key(prefix, job, a, "digest1");
  EXPECT_NE(k, c_direct_key(prefix, job, a, "digest2"));
  Invocation b = inv({"-c", "a.c"}, "/elsewhere");
  EXPECT_NE(k, c_direct_key(c_key_prefix(info, job, b), job, b, "digest1"));
  // A direct key never equals a result key for the same compile.
  EXPECT_NE(k, c_key_prefix(info, job, a));
}

}  // namespace
}  // namespace sccache

namespace sccache {
namespace {

// Walks every row of the option table: a wrong role for any flag fails here.
TEST(GccArgTable, EveryEntryIsClassifiedAsItsRoleSays) {
  const std::vector<std::string> base = {"-c", "a.c", "-o", "a.o"};
  const std::string base_key = key_of(base);
  for (const ArgSpec& spec : arg_table()) {
    std::string name(spec.name);
    // The flag in the form the table says, with two different values where it takes one.
    auto with = [&](const std::string& value) {
      std::vector<std::string> args = base;
      if (spec.form == ArgForm::flag) {
        args.push_back(name);
      } else if (spec.form == ArgForm::joined) {
        args.push_back(name + value);
      } else {
        args.push_back(name);
        args.push_back(value);
      }
      return args;
    };
    SCOPED_TRACE(name);
    switch (spec.role) {
      case ArgRole::too_hard:
      case ArgRole::dump:
        if (name == "-") continue;  // the stdin input, checked in NotCacheableReasons
        EXPECT_EQ(reason_of(with("v1")), name);
        break;
      case ArgRole::other:
      case ArgRole::split_dwarf:
      case ArgRole::coverage:
      case ArgRole::profile:
      case ArgRole::color:
        EXPECT_NE(key_of(with("v1")), base_key) << "must change the key";
        if (spec.form != ArgForm::flag) {
          EXPECT_NE(key_of(with("v1")), key_of(with("v2"))) << "value must be hashed";
        }
        break;
      case ArgRole::dep_flag:
      case ArgRole::dep_target:
        EXPECT_NE(key_of(with("v1")), base_key);
        if (spec.form != ArgForm::flag) {
          EXPECT_NE(key_of(with("v1")), key_of(with("v2")));
        }
        break;
      case ArgRole::dep_file:
        EXPECT_EQ(key_of(with("x.d")), key_of(with("y.d"))) << "a location, not content";
        break;
      case ArgRole::output:
        EXPECT_EQ(key_of(with("x.o")), key_of(with("y.o")));
        break;
      case ArgRole::language:
        EXPECT_NE(key_of(with("c++")), key_of(with("c")));
        break;
      case ArgRole::compile:
        EXPECT_EQ(reason_of({"a.c", "-o", "a.o"}), "<not compilation>");
        EXPECT_EQ(reason_of(with("")), "<cacheable>");
        break;
      case ArgRole::assemble:
        EXPECT_EQ(reason_of(with("")), "-S with -c");
        break;
      case ArgRole::xclang:
        EXPECT_NE(key_of(with("-fno-pch-timestamp")), key_of(with("-fno-validate-pch")));
        EXPECT_EQ(reason_of(with("-load")), "-Xclang -load");
        break;
      case ArgRole::wp:
        EXPECT_NE(key_of(with("-DX")), base_key);
        EXPECT_EQ(reason_of(with(name == "-Wp," ? "-MD,x.d" : "-MD")), "-Wp,-M");
        break;
      case ArgRole::wa:
        EXPECT_NE(key_of(with("--noexecstack")), key_of(with("--64")));
        EXPECT_EQ(reason_of(with("-adhln=x.lst")), "-Wa,-a");
        break;
    }
  }
}

}  // namespace
}  // namespace sccache

namespace sccache {
namespace {
// Regression: gcc -g marks the working directory as `# 1 "/cwd//"`; it is not an include file.
TEST(DirectMode, WorkingDirectoryMarkerIsNotAFile) {
  auto files = files_from_line_markers("# 0 \"a.c\"\n# 1 \"/w//\"\n# 1 \"x.h\" 1\n", "/w");
  ASSERT_EQ(files.size(), 2U);
  EXPECT_EQ(files[1], "/w/x.h");
}
}  // namespace
}  // namespace sccache
