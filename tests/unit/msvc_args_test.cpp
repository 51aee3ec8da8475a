// MSVC family tests (cl.exe and clang-cl): every row of the option table, the outputs a command
// line names and the key prefix (msvc_text_test.cpp: response files and /showIncludes notes).
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/msvc/msvc_args.hpp"
#include "compiler/msvc/msvc_compile_job.hpp"
#include "compiler/msvc/msvc_dialect.hpp"
#include "compiler/msvc/msvc_response_files.hpp"
#include "compiler/msvc/show_includes.hpp"
#include "support/test_files.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

using Args = std::vector<std::string>;

Invocation msvc_inv(Args args, std::string cwd = "/tmp/proj", std::vector<std::string> env = {}) {
  Invocation i;
  i.exe = "/opt/msvc/bin/cl.exe";
  i.args = std::move(args);
  i.cwd = std::move(cwd);
  i.env = std::move(env);
  return i;
}

MsvcParseResult parse(const Args& args, const MsvcDialect& d = cl_dialect(), const std::string& cwd = "/tmp/proj") {
  return parse_msvc_arguments(d, msvc_inv(args, cwd));
}

MsvcArguments job_of(const Args& args, const MsvcDialect& d = cl_dialect(), const std::string& cwd = "/tmp/proj") {
  auto r = parse(args, d, cwd);
  if (const auto* nc = std::get_if<NotCacheable>(&r)) {
    ADD_FAILURE() << "expected a cacheable job, got NotCacheable{" << nc->reason << "}";
  } else if (std::holds_alternative<NotCompilation>(r)) {
    ADD_FAILURE() << "expected a cacheable job, got NotCompilation";
  }
  return std::holds_alternative<MsvcArguments>(r) ? std::get<MsvcArguments>(r) : MsvcArguments{};
}

std::string reason_of(const Args& args, const MsvcDialect& d = cl_dialect(), const std::string& cwd = "/tmp/proj") {
  auto r = parse(args, d, cwd);
  if (const auto* nc = std::get_if<NotCacheable>(&r)) return nc->reason;
  if (std::holds_alternative<NotCompilation>(r)) return "<not compilation>";
  return "<cacheable>";
}

MsvcCompilerInfo info_for(const MsvcDialect& d, std::string identity = "identity") {
  return MsvcCompilerInfo{"/opt/msvc/bin/cl.exe", &d, std::move(identity), "Note: including file: "};
}

std::string key_of(const Args& args, const std::string& cwd = "/tmp/proj", const std::vector<std::string>& env = {},
                   const MsvcDialect& d = cl_dialect(), const std::string& identity = "identity") {
  Invocation i = msvc_inv(args, cwd, env);
  auto r = parse_msvc_arguments(d, i);
  if (!std::holds_alternative<MsvcArguments>(r)) {
    ADD_FAILURE() << "key_of: not a cacheable job";
    return "";
  }
  return msvc_key_prefix(info_for(d, identity), std::get<MsvcArguments>(r), i);
}

Args cat(Args a, const Args& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool contains(const Args& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Whether `needle` occurs in `hay` as consecutive elements.
bool contains_run(const Args& hay, const Args& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

const OutputSpec* output_named(const MsvcArguments& j, const std::string& name) {
  for (const auto& o : j.outputs) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::string output_path(const MsvcArguments& j, const std::string& name) {
  const OutputSpec* o = output_named(j, name);
  return o == nullptr ? "<none>" : o->path;
}

// A location is hashed as its flag alone: the value appears nowhere in hashed_args.
void expect_location_hidden(const MsvcArguments& j, const std::string& canon, const std::string& value) {
  EXPECT_TRUE(contains(j.hashed_args, canon)) << "hashed_args lacks " << canon;
  for (const auto& h : j.hashed_args) EXPECT_EQ(h.find(value), std::string::npos) << "location hashed: " << h;
}

// A table row spelled with `lead` in its table form (joined_or_separate: separate unless told).
Args spelled(const MsvcArgSpec& spec, char lead, const std::string& value, bool separate = true) {
  std::string flag = std::string(1, lead) + std::string(spec.name);
  switch (spec.form) {
    case MsvcForm::flag: return {flag};
    case MsvcForm::joined: return {flag + value};
    case MsvcForm::joined_or_separate: return separate ? Args{flag, value} : Args{flag + value};
    case MsvcForm::separate: return {flag, value};
  }
  return {};
}



// ---------------------------------------------------------------------------------------------
// The option table, row by row.

TEST(MsvcArgTable, EveryRowIsClassifiedAsItsRoleSays) {
  const std::string base_key = key_of({"/c", "a.c"});
  size_t rows = 0;
  for (const MsvcArgSpec& spec : msvc_arg_table()) {
    ++rows;
    const std::string name(spec.name);
    const std::string canon = "/" + name;
    for (char lead : {'/', '-'}) {
      if (spec.role == MsvcRole::end_of_options && lead == '/') continue;  // `--` only
      const std::string flag = std::string(1, lead) + name;
      SCOPED_TRACE("table row " + flag);
      auto with = [&](const std::string& value, const Args& extra = {}, bool separate = true) {
        return cat(cat({"/c", "a.c"}, spelled(spec, lead, value, separate)), extra);
      };
      switch (spec.role) {
        case MsvcRole::too_hard:
          EXPECT_EQ(reason_of(with("v1")), canon + (spec.form == MsvcForm::joined ? "v1" : ""));
          if (spec.name == "FR" || spec.name == "Fr" || spec.name == "Fx" || spec.name == "doc") {
            // clang-cl only warns "argument unused" for these: hashed, the warning replayed.
            EXPECT_EQ(reason_of(with("v1"), clang_cl_dialect()), "<cacheable>");
          } else {
            EXPECT_EQ(reason_of(with("v1"), clang_cl_dialect()), canon + (spec.form == MsvcForm::joined ? "v1" : ""));
          }
          if (spec.form == MsvcForm::joined) {
            EXPECT_EQ(reason_of(with("d/x.y")), canon) << "a path stays out";
          }
          if (spec.form == MsvcForm::joined_or_separate) {
            EXPECT_EQ(reason_of(with("v1", {}, false)), canon);
          }
          break;
        case MsvcRole::not_compilation:
          EXPECT_EQ(reason_of(with("")), "<not compilation>");
          EXPECT_EQ(reason_of(with(""), clang_cl_dialect()), "<not compilation>");
          break;
        case MsvcRole::compile:
          EXPECT_EQ(reason_of({"a.c"}), "<not compilation>");
          EXPECT_EQ(reason_of({flag, "a.c"}), "<cacheable>");
          EXPECT_FALSE(contains(job_of({flag, "a.c"}).preprocess_args, flag));
          break;
        case MsvcRole::output: {
          auto j = job_of(with("x.obj"));
          EXPECT_EQ(j.input, "a.c");
          EXPECT_EQ(j.output, "x.obj");
          EXPECT_EQ(output_path(j, "obj"), "x.obj");
          expect_location_hidden(j, canon, "x.obj");
          EXPECT_FALSE(contains(j.preprocess_args, "x.obj"));
          EXPECT_EQ(key_of(with("x.obj")), key_of(with("out/y.obj")));
          if (spec.form == MsvcForm::joined_or_separate) {
            EXPECT_EQ(job_of(with("x.obj", {}, false)).output, "x.obj");
          }
          break;
        }
        case MsvcRole::pdb: {
          auto j = job_of(with("x.pdb", {"/Zi"}));
          EXPECT_EQ(output_path(j, "pdb"), "x.pdb");
          expect_location_hidden(j, canon, "x.pdb");
          // Without /Zi the option names nothing that is written.
          auto plain = job_of(with("x.pdb"));
          EXPECT_EQ(output_named(plain, "pdb"), nullptr);
          EXPECT_EQ(key_of(with("x.pdb")), key_of(with("y.pdb")));
          break;
        }
        case MsvcRole::listing: {
          auto j = job_of(with(""));
          EXPECT_EQ(output_path(j, "asm"), "a.asm");
          break;
        }
        case MsvcRole::listing_file: {
          auto j = job_of(with("l.asm", {"/FA"}));
          EXPECT_EQ(output_path(j, "asm"), "l.asm");
          expect_location_hidden(j, canon, "l.asm");
          // A listing may name its paths: with one the whole command line is hashed.
          EXPECT_NE(key_of(with("l.asm", {"/FA"})), key_of(with("m.asm", {"/FA"})));
          break;
        }
        case MsvcRole::pch_file: {
          auto j = job_of(with("p.pch", {"/Ycpch.h"}));
          EXPECT_EQ(j.pch_path, "p.pch");
          EXPECT_EQ(output_path(j, "pch"), "p.pch");
          expect_location_hidden(j, canon, "p.pch");
          EXPECT_EQ(output_named(job_of(with("p.pch")), "pch"), nullptr);
          break;
        }
        case MsvcRole::pch_create: {
          auto j = job_of(with("pch.h", {"/Fpp.pch"}));
          EXPECT_EQ(j.pch, MsvcArguments::Pch::create);
          EXPECT_EQ(j.pch_header, "pch.h");
          EXPECT_EQ(output_path(j, "pch"), "p.pch");
          EXPECT_FALSE(contains(j.preprocess_args, flag + "pch.h"));
          break;
        }
        case MsvcRole::pch_use: {
          auto j = job_of(with("pch.h", {"/Fpp.pch"}));
          EXPECT_EQ(j.pch, MsvcArguments::Pch::use);
          EXPECT_EQ(j.pch_header, "pch.h");
          EXPECT_EQ(j.pch_path, "p.pch");
          EXPECT_EQ(output_named(j, "pch"), nullptr) << "/Yu reads the .pch";
          break;
        }
        case MsvcRole::pch_off: {
          auto j = job_of(cat({"/c", "a.cpp", "/Ycpch.h", "/Fpp.pch"}, spelled(spec, lead, "")));
          EXPECT_EQ(j.pch, MsvcArguments::Pch::none) << "/Y- cancels /Yc";
          EXPECT_EQ(output_named(j, "pch"), nullptr);
          EXPECT_TRUE(contains(j.hashed_args, "/Fp=p.pch")) << "the unused /Fp is hashed";
          break;
        }
        case MsvcRole::debug_object: {
          auto j = job_of(with(""));
          EXPECT_TRUE(j.debug_info);
          EXPECT_EQ(j.outputs.size(), 1U);
          EXPECT_TRUE(contains(j.dist_args, flag));
          break;
        }
        case MsvcRole::debug_pdb: {
          EXPECT_EQ(reason_of(with("")), "shared pdb");
          auto j = job_of(with("", {"/Fdx.pdb"}));
          EXPECT_TRUE(j.debug_info);
          EXPECT_EQ(output_path(j, "pdb"), "x.pdb");
          auto c = job_of(with(""), clang_cl_dialect());
          EXPECT_TRUE(c.debug_info);
          EXPECT_EQ(output_named(c, "pdb"), nullptr);
          break;
        }
        case MsvcRole::show_includes: {
          auto j = job_of(with(""));
          EXPECT_TRUE(j.show_includes);
          EXPECT_FALSE(contains(j.preprocess_args, flag));
          EXPECT_TRUE(contains(j.hashed_args, flag));
          break;
        }
        case MsvcRole::source_deps: {
          auto j = job_of(with("x.json"));
          EXPECT_EQ(j.input, "a.c");
          EXPECT_EQ(output_path(j, "srcdeps"), "x.json");
          expect_location_hidden(j, canon, "x.json");
          auto c = job_of(with("x.json"), clang_cl_dialect());
          EXPECT_EQ(output_named(c, "srcdeps"), nullptr) << "clang-cl does not write it";
          EXPECT_EQ(c.input, "a.c");
          break;
        }
        case MsvcRole::deps_file: {
          EXPECT_EQ(reason_of(with("x.d")), "-deps (use /sourceDependencies with cl.exe)");
          auto c = job_of(with("x.d"), clang_cl_dialect());
          ASSERT_TRUE(c.deps_file.has_value());
          EXPECT_EQ(*c.deps_file, "x.d");
          EXPECT_EQ(output_path(c, "deps"), "x.d");
          expect_location_hidden(c, canon, "x.d");
          break;
        }
        case MsvcRole::lang_c_file:
        case MsvcRole::lang_cpp_file: {
          const std::string lang = spec.role == MsvcRole::lang_c_file ? "c" : "c++";
          for (bool separate : {true, false}) {
            auto j = job_of(cat({"/c"}, spelled(spec, lead, "src.txt", separate)));
            EXPECT_EQ(j.input, "src.txt");
            EXPECT_EQ(j.language, lang);
            EXPECT_EQ(j.output, "src.obj");
            EXPECT_FALSE(contains(j.dist_args, "src.txt"));
          }
          break;
        }
        case MsvcRole::lang_all_c:
          EXPECT_EQ(job_of({"/c", "a.cpp", flag}).language, "c");
          EXPECT_EQ(job_of({flag, "/c", "a.txt"}).language, "c");
          break;
        case MsvcRole::lang_all_cpp:
          EXPECT_EQ(job_of(with("")).language, "c++");
          EXPECT_EQ(job_of({flag, "/c", "a.txt"}).language, "c++");
          break;
        case MsvcRole::preprocessor: {
          Args written = spelled(spec, lead, "v1");
          auto j = job_of(with("v1"));
          EXPECT_EQ(j.input, "a.c") << "the value is not an input";
          EXPECT_TRUE(contains_run(j.preprocess_args, written));
          for (const auto& w : written) EXPECT_FALSE(contains(j.dist_args, w)) << w;
          EXPECT_NE(key_of(with("v1")), base_key);
          if (spec.form != MsvcForm::flag) {
            EXPECT_NE(key_of(with("v1")), key_of(with("v2")));
            EXPECT_TRUE(contains(job_of(with("v1", {}, false)).preprocess_args, flag + "v1"));
          }
          break;
        }
        case MsvcRole::external_env: {
          auto j = job_of(with("MYINC"));
          ASSERT_EQ(j.env_key_vars.size(), 1U);
          EXPECT_EQ(j.env_key_vars[0], "MYINC");
          break;
        }
        case MsvcRole::full_paths:
          EXPECT_TRUE(job_of(with("")).full_paths);
          break;
        case MsvcRole::xclang: {
          auto j = job_of(with("-fno-pch-timestamp"));
          EXPECT_EQ(j.input, "a.c");
          EXPECT_TRUE(contains_run(j.dist_args, {flag, "-fno-pch-timestamp"}));
          EXPECT_NE(key_of(with("-fno-pch-timestamp")), key_of(with("-fno-validate-pch")));
          EXPECT_EQ(reason_of(with("-load")), "-Xclang -load");
          break;
        }
        case MsvcRole::clang_option:
          EXPECT_TRUE(job_of(with("-MD"), clang_cl_dialect()).clang_deps);
          EXPECT_EQ(reason_of(with("-o"), clang_cl_dialect()), "/clang:-o");
          break;
        case MsvcRole::end_of_options:
          EXPECT_EQ(job_of({"/c", flag, "/opt/src/a.c"}).input, "/opt/src/a.c");
          break;
        case MsvcRole::link: {
          auto j = job_of({"/c", "a.c", flag, "b.c", "/OUT:x.exe", "/Zi"});
          EXPECT_EQ(j.input, "a.c");
          EXPECT_FALSE(j.debug_info) << "a linker /Zi-like argument is the linker's";
          EXPECT_FALSE(contains(j.preprocess_args, "b.c"));
          break;
        }
        case MsvcRole::other: {
          auto j = job_of(with(""));
          Args written = spelled(spec, lead, "");
          EXPECT_TRUE(contains_run(j.preprocess_args, written));
          EXPECT_TRUE(contains_run(j.dist_args, written));
          EXPECT_TRUE(contains_run(j.hashed_args, written));
          EXPECT_NE(key_of(with("")), base_key);
          break;
        }
      }
    }
  }
  EXPECT_EQ(rows, msvc_arg_table().size());
  EXPECT_GT(rows, 50U);
}

TEST(MsvcArgTable, LongestEntryWins) {
  ASSERT_NE(find_msvc_arg_spec("/DATA"), nullptr);
  EXPECT_EQ(find_msvc_arg_spec("/DATA")->role, MsvcRole::preprocessor);
  EXPECT_EQ(find_msvc_arg_spec("/EP")->role, MsvcRole::not_compilation);
  EXPECT_EQ(find_msvc_arg_spec("/FA")->role, MsvcRole::listing);
  EXPECT_EQ(find_msvc_arg_spec("/FAcs")->role, MsvcRole::too_hard);
  EXPECT_EQ(find_msvc_arg_spec("/analyze-")->role, MsvcRole::other);
  EXPECT_EQ(find_msvc_arg_spec("/analyze:plugin")->role, MsvcRole::too_hard);
  EXPECT_EQ(find_msvc_arg_spec("/showIncludes:user")->role, MsvcRole::too_hard);
  EXPECT_EQ(find_msvc_arg_spec("/sourceDependencies:directives")->role, MsvcRole::too_hard);
  EXPECT_EQ(find_msvc_arg_spec("/openmp:llvm")->role, MsvcRole::other);
  EXPECT_EQ(find_msvc_arg_spec("-external:env:X")->role, MsvcRole::external_env);
  EXPECT_EQ(find_msvc_arg_spec("/external:Ix")->role, MsvcRole::preprocessor);
  // Flags match whole arguments only.
  EXPECT_EQ(find_msvc_arg_spec("/EHsc"), nullptr);
  EXPECT_EQ(find_msvc_arg_spec("/Gm-"), nullptr);
  EXPECT_EQ(find_msvc_arg_spec("/cx"), nullptr);
  EXPECT_EQ(find_msvc_arg_spec("c"), nullptr);
  EXPECT_EQ(find_msvc_arg_spec("/"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Classification of whole command lines.

TEST(MsvcArgs, PlainCompile) {
  auto j = job_of({"/nologo", "/c", "a.c", "/O2"});
  EXPECT_EQ(j.input, "a.c");
  EXPECT_EQ(j.language, "c");
  EXPECT_EQ(j.output, "a.obj");
  ASSERT_EQ(j.outputs.size(), 1U);
  EXPECT_EQ(j.outputs[0].name, "obj");
  EXPECT_EQ(j.outputs[0].path, "a.obj");
  EXPECT_EQ(j.args, (Args{"/nologo", "/c", "a.c", "/O2"}));
  ASSERT_FALSE(j.preprocess_args.empty());
  EXPECT_EQ(j.preprocess_args.front(), "/E");
  EXPECT_EQ(j.preprocess_args, (Args{"/E", "/nologo", "a.c", "/O2"}));
  EXPECT_EQ(j.dist_args, (Args{"/nologo", "/O2"}));
  EXPECT_FALSE(j.debug_info);
  EXPECT_FALSE(j.full_paths);
  EXPECT_FALSE(j.show_includes);
  EXPECT_EQ(j.pch, MsvcArguments::Pch::none);
  EXPECT_EQ(job_of({"/c", "a.cpp"}).language, "c++");
  EXPECT_EQ(job_of({"/c", "a.cxx"}).language, "c++");
  EXPECT_EQ(job_of({"/c", "a.cc"}).language, "c++");
  EXPECT_EQ(reason_of({"/c", "a.txt"}), "unknown source language");
}

TEST(MsvcArgs, SlashAndDashSpellingsAreAlike) {
  auto slash = job_of({"/c", "a.c", "/Fox.obj", "/Z7", "/DX", "/showIncludes", "/FC"});
  auto dash = job_of({"-c", "a.c", "-Fox.obj", "-Z7", "-DX", "-showIncludes", "-FC"});
  EXPECT_EQ(slash.output, dash.output);
  EXPECT_EQ(dash.output, "x.obj");
  EXPECT_EQ(slash.debug_info, dash.debug_info);
  EXPECT_TRUE(dash.debug_info);
  EXPECT_TRUE(dash.show_includes);
  EXPECT_TRUE(dash.full_paths);
  EXPECT_EQ(reason_of({"-c", "a.c", "-Gm"}), "/Gm");
  EXPECT_EQ(reason_of({"-E", "a.c"}), "<not compilation>");
  EXPECT_EQ(reason_of({"-?"}), "<not compilation>");
}

TEST(MsvcArgs, CaseMatters) {
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi"}), "shared pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/ZI"}), "shared pdb");
  auto lower = job_of({"/c", "a.c", "/zi"});  // no such option: an ordinary flag
  EXPECT_FALSE(lower.debug_info);
  EXPECT_TRUE(contains(lower.dist_args, "/zi"));
  EXPECT_TRUE(contains(lower.preprocess_args, "/zi"));
  EXPECT_TRUE(job_of({"/c", "a.c", "/Zi"}, clang_cl_dialect()).debug_info);
  EXPECT_FALSE(job_of({"/c", "a.c", "/z7"}).debug_info);
  EXPECT_EQ(reason_of({"/C", "a.c"}), "<not compilation>") << "/C is not /c";
  EXPECT_EQ(job_of({"/c", "a.c", "/FOx.obj"}).output, "a.obj") << "/FO is not /Fo";
  EXPECT_EQ(reason_of({"/c", "a.c", "/e"}), "<cacheable>") << "/e is not /E";
  // Ordinary flags that look like table rows.
  EXPECT_EQ(reason_of({"/c", "a.c", "/EHsc"}), "<cacheable>");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Gm-"}), "<cacheable>");
  EXPECT_EQ(reason_of({"/c", "a.c", "/analyze-"}), "<cacheable>");
  EXPECT_EQ(reason_of({"/c", "a.c", "/analyze"}), "/analyze");
}

TEST(MsvcArgs, ObjectNames) {
  EXPECT_EQ(msvc_object_name("a.c", "", ".obj"), "a.obj");
  EXPECT_EQ(msvc_object_name("src/dir/a.cpp", "", ".obj"), "a.obj");
  EXPECT_EQ(msvc_object_name("src\\dir\\a.cpp", "", ".obj"), "a.obj");
  EXPECT_EQ(msvc_object_name("src/a.b.c", "", ".obj"), "a.b.obj");
  EXPECT_EQ(msvc_object_name("src.d/noext", "", ".obj"), "noext.obj");
  EXPECT_EQ(msvc_object_name("a.c", "x.obj", ".obj"), "x.obj");
  EXPECT_EQ(msvc_object_name("a.c", "x.o", ".obj"), "x.o");
  EXPECT_EQ(msvc_object_name("a.c", "x", ".obj"), "x.obj");
  EXPECT_EQ(msvc_object_name("a.c", "out.d/x", ".obj"), "out.d/x.obj");
  EXPECT_EQ(msvc_object_name("src/a.c", "out/", ".obj"), "out/a.obj");
  EXPECT_EQ(msvc_object_name("src\\a.c", "out\\", ".obj"), "out\\a.obj");
  EXPECT_EQ(msvc_object_name("a.c", "", ".asm"), "a.asm");
}

TEST(MsvcArgs, FoForms) {
  EXPECT_EQ(job_of({"/c", "a.c", "/Foout/x.obj"}).output, "out/x.obj");
  EXPECT_EQ(job_of({"/c", "src/a.c", "/Foout/"}).output, "out/a.obj");
  EXPECT_EQ(job_of({"/c", "src\\a.c", "/Foout\\"}).output, "out\\a.obj");
  EXPECT_EQ(job_of({"/c", "a.c", "/Fox"}).output, "x.obj");
  EXPECT_EQ(job_of({"/c", "src/dir/a.c"}).output, "a.obj") << "default: <stem>.obj in the cwd";
  EXPECT_EQ(job_of({"/c", "a.c", "/Fofirst.obj", "/Folast.obj"}).output, "last.obj");
  EXPECT_EQ(job_of({"/c", "a.c", "-o", "x.obj"}).output, "x.obj");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Fonul"}), "output to nul");
  EXPECT_EQ(reason_of({"/c", "a.c", "/FoNUL"}), "output to nul");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Fonul.obj"}), "output to nul");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Fo/dev/null"}), "output to nul");
  EXPECT_EQ(reason_of({"/c", "a.c", "-o"}), "argument parse");
}

TEST(MsvcArgs, ColonOutputFormsOnClOnly) {
  // cl.exe: `/Fo:path` and `/Fo: path`.
  auto joined = job_of({"/c", "a.c", "/Fo:x.obj"});
  EXPECT_EQ(joined.output, "x.obj");
  expect_location_hidden(joined, "/Fo", "x.obj");
  auto separate = job_of({"/c", "a.c", "/Fo:", "x.obj"});
  EXPECT_EQ(separate.output, "x.obj");
  EXPECT_EQ(separate.input, "a.c");
  expect_location_hidden(separate, "/Fo", "x.obj");
  EXPECT_EQ(job_of({"/c", "a.c", "/Fo:", "out/"}).output, "out/a.obj");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Fo:"}), "argument parse");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/Zi", "/Fd:", "x.pdb"}), "pdb"), "x.pdb");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/Zi", "/Fd:y.pdb"}), "pdb"), "y.pdb");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/FA", "/Fa:", "l.asm"}), "asm"), "l.asm");
  EXPECT_EQ(job_of({"/c", "a.c", "/Ycpch.h", "/Fp:", "p.pch"}).pch_path, "p.pch");
  // clang-cl 14: the colon is part of the name, and `/Fo:` then a file is an output named ":"
  // and a second input.
  EXPECT_EQ(job_of({"/c", "a.c", "/Fo:x.obj"}, clang_cl_dialect()).output, ":x.obj");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Fo:", "x.c"}, clang_cl_dialect()), "multiple input files");
}

TEST(MsvcArgs, LanguageOptions) {
  auto tc = job_of({"/c", "/Tc", "weird.txt"});
  EXPECT_EQ(tc.input, "weird.txt");
  EXPECT_EQ(tc.language, "c");
  EXPECT_EQ(tc.output, "weird.obj");
  EXPECT_TRUE(contains_run(tc.preprocess_args, {"/Tc", "weird.txt"}));
  auto tp = job_of({"/c", "/Tp", "a.c"});
  EXPECT_EQ(tp.input, "a.c");
  EXPECT_EQ(tp.language, "c++");
  EXPECT_EQ(job_of({"/c", "/Tpa.c"}).language, "c++");
  EXPECT_EQ(job_of({"/c", "/Tca.cpp"}).language, "c");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/TC"}).language, "c");
  EXPECT_EQ(job_of({"/TP", "/c", "a.c"}).language, "c++");
  EXPECT_EQ(job_of({"/TC", "/c", "/Tp", "a.c"}).language, "c++") << "/Tp names this file's language";
  EXPECT_EQ(reason_of({"/c", "/Tc"}), "argument parse");
}

TEST(MsvcArgs, InputCounts) {
  EXPECT_EQ(reason_of({"/c", "a.c", "b.c"}), "multiple input files");
  EXPECT_EQ(reason_of({"/c", "/Tc", "a.c", "b.cpp"}), "multiple input files");
  EXPECT_EQ(reason_of({"/c", "/Tca.c", "/Tpb.cpp"}), "multiple input files");
  EXPECT_EQ(reason_of({"/c"}), "no input file");
  EXPECT_EQ(reason_of({"/c", "-"}), "-");
  EXPECT_EQ(reason_of({"a.c"}), "<not compilation>");
  EXPECT_EQ(reason_of({"a.c", "/link", "/OUT:a.exe"}), "<not compilation>");
}

TEST(MsvcArgs, EndOfOptions) {
  for (const MsvcDialect* d : {&cl_dialect(), &clang_cl_dialect()}) {
    SCOPED_TRACE(std::string(d->name));
    auto j = job_of({"/c", "/DX", "--", "/opt/src/a.c"}, *d);
    EXPECT_EQ(j.input, "/opt/src/a.c");
    EXPECT_EQ(j.output, "a.obj");
    EXPECT_EQ(job_of({"/c", "--", "-dash.c"}, *d).input, "-dash.c");
    EXPECT_EQ(reason_of({"/c", "--", "a.c", "/Fox.obj"}, *d), "multiple input files") << "no options after --";
    // The /E run must read the input after `--` as well: `clang-cl /E /opt/src/a.c` reads
    // `/o pt/src/a.c` (an output) and has no input at all.
    const auto& pp = j.preprocess_args;
    auto dd = std::find(pp.begin(), pp.end(), "--");
    auto in = std::find(pp.begin(), pp.end(), "/opt/src/a.c");
    EXPECT_NE(in, pp.end());
    EXPECT_TRUE(dd != pp.end() && dd < in) << "preprocess_args lose the `--` before an input starting with '/'";
  }
  // Without `--` /opt/src/a.c is `/o pt/src/a.c`.
  EXPECT_EQ(reason_of({"/c", "/opt/src/a.c"}), "no input file");
}

TEST(MsvcArgs, ClangClTakesAnExistingSlashPathAsInput) {
  TempDir dir;
  std::string src = dir.file("src.c", "int x;\n");
  if (find_msvc_arg_spec(src) != nullptr) GTEST_SKIP() << "temp path " << src << " reads as an option";
  EXPECT_EQ(job_of({"/c", src}, clang_cl_dialect()).input, src);
  EXPECT_EQ(reason_of({"/c", src + ".missing"}, clang_cl_dialect()), "no input file");
}

TEST(MsvcArgs, LinkArgumentsAreIgnored) {
  auto j = job_of({"/c", "a.c", "/link", "b.c", "/OUT:x.exe", "/Fonul", "/E", "/DEBUG"});
  EXPECT_EQ(j.input, "a.c");
  EXPECT_EQ(j.output, "a.obj");
  EXPECT_EQ(j.preprocess_args, (Args{"/E", "a.c"}));
  EXPECT_TRUE(j.dist_args.empty());
  EXPECT_TRUE(contains(j.hashed_args, "/OUT:x.exe"));
}

TEST(MsvcArgs, ZiWritesAPdbOnCl) {
  auto j = job_of({"/c", "a.c", "/Zi", "/Fdout/x.pdb"});
  EXPECT_TRUE(j.debug_info);
  EXPECT_EQ(output_path(j, "pdb"), "out/x.pdb");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/ZI", "/Fdx"}), "pdb"), "x.pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi"}), "shared pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi", "/Fd"}), "shared pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi", "/Fdout/"}), "shared pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi", "/Fdout\\"}), "shared pdb");
  // cl.exe adds to an existing PDB.
  TempDir dir;
  dir.file("old.pdb", "pdb");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi", "/Fdold.pdb"}, cl_dialect(), dir.path()), "pdb file exists");
  EXPECT_EQ(reason_of({"/c", "a.c", "/Zi", "/Fdold"}, cl_dialect(), dir.path()), "pdb file exists");
  // /Z7 keeps debug info in the object.
  auto z7 = job_of({"/c", "a.c", "/Z7", "/Fdx.pdb"});
  EXPECT_TRUE(z7.debug_info);
  EXPECT_EQ(output_named(z7, "pdb"), nullptr);
}

TEST(MsvcArgs, ZiOnClangClHasNoPdb) {
  for (const char* flag : {"/Zi", "/ZI", "/Z7"}) {
    SCOPED_TRACE(flag);
    auto j = job_of({"/c", "a.c", flag}, clang_cl_dialect());
    EXPECT_TRUE(j.debug_info);
    EXPECT_EQ(j.outputs.size(), 1U);
    auto fd = job_of({"/c", "a.c", flag, "/Fdx.pdb"}, clang_cl_dialect());
    EXPECT_EQ(output_named(fd, "pdb"), nullptr);
  }
}

TEST(MsvcArgs, PrecompiledHeadersOnCl) {
  auto yc = job_of({"/c", "pch.cpp", "/Ycpch.h", "/Fppch.pch", "/Fopch.obj"});
  EXPECT_EQ(yc.pch, MsvcArguments::Pch::create);
  EXPECT_EQ(yc.pch_header, "pch.h");
  EXPECT_EQ(yc.pch_path, "pch.pch");
  EXPECT_EQ(output_path(yc, "obj"), "pch.obj");
  EXPECT_EQ(output_path(yc, "pch"), "pch.pch");
  EXPECT_FALSE(contains(yc.preprocess_args, "/Ycpch.h"));
  EXPECT_FALSE(contains(yc.preprocess_args, "/Fppch.pch"));
  expect_location_hidden(yc, "/Fp", "pch.pch");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Ycpch.h", "/Fpout/x"}).pch_path, "out/x.pch");
  auto yu = job_of({"/c", "a.cpp", "/Yupch.h", "/Fppch.pch"});
  EXPECT_EQ(yu.pch, MsvcArguments::Pch::use);
  EXPECT_EQ(yu.pch_path, "pch.pch");
  EXPECT_EQ(output_named(yu, "pch"), nullptr);
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Ycpch.h"}), "/Yc without /Fp");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Yupch.h"}), "/Yu without /Fp");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Ycpch.h", "/Yupch.h", "/Fpp.pch"}), "/Yc with /Yu");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Yc", "/Fpp.pch"}), "/Yc without a header name");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Yu", "/Fpp.pch"}), "/Yu without a header name");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Ycpch.h", "/Fpout/"}), "/Fp directory");
}

TEST(MsvcArgs, PrecompiledHeadersOnClangCl) {
  const auto& d = clang_cl_dialect();
  auto yc = job_of({"/c", "pch.cpp", "/Ycpch.h"}, d);
  EXPECT_EQ(yc.pch, MsvcArguments::Pch::create);
  EXPECT_EQ(yc.pch_path, "pch.pch") << "named after the header";
  EXPECT_EQ(output_path(yc, "pch"), "pch.pch");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Ycstdafx"}, d).pch_path, "stdafx.pch");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Yupch.h"}, d).pch_path, "pch.pch");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Ycpch.h", "/Fpx.pch"}, d).pch_path, "x.pch");
  // clang-cl 14 keeps the header's directory: `clang-cl -### /c a.cpp /Ycinc/pch.h` passes
  // `-emit-pch -o inc/pch.pch`, and /Yuinc/pch.h `-include-pch inc/pch.pch` (Driver::GetClPchPath).
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Ycinc/pch.h"}, d).pch_path, "inc/pch.pch");
  EXPECT_EQ(job_of({"/c", "a.cpp", "/Yuinc/pch.h"}, d).pch_path, "inc/pch.pch");
  EXPECT_EQ(reason_of({"/c", "a.cpp", "/Ycpch.h", "/Yupch.h"}, d), "/Yc with /Yu");
}

TEST(MsvcArgs, AssemblyListing) {
  EXPECT_EQ(output_path(job_of({"/c", "src/a.c", "/FA"}), "asm"), "a.asm");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/FA", "/Falist.asm"}), "asm"), "list.asm");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/FA", "/Falist"}), "asm"), "list.asm");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/FA", "/Faout/"}), "asm"), "out/a.asm");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/Falist.asm", "/FA"}), "asm"), "list.asm") << "order does not matter";
  EXPECT_EQ(reason_of({"/c", "a.c", "/Falist.asm"}), "/Fa without /FA");
  EXPECT_EQ(reason_of({"/c", "a.c", "/FAcs"}), "/FAcs");
  EXPECT_EQ(reason_of({"/c", "a.c", "/FAu"}), "/FAu");
  auto j = job_of({"/c", "a.c", "/FA"});
  EXPECT_FALSE(contains(j.preprocess_args, "/FA"));
}

TEST(MsvcArgs, ClangDriverOptions) {
  const auto& d = clang_cl_dialect();
  auto md = job_of({"/c", "src/b.c", "/clang:-MD"}, d);
  EXPECT_TRUE(md.clang_deps);
  EXPECT_EQ(output_path(md, "d"), "b.d");
  EXPECT_FALSE(contains(md.preprocess_args, "/clang:-MD"));
  EXPECT_TRUE(job_of({"/c", "a.c", "/clang:-MMD"}, d).clang_deps);
  auto mf = job_of({"/c", "a.c", "/clang:-MD", "/clang:-MF", "/clang:x.d"}, d);
  EXPECT_EQ(output_path(mf, "d"), "x.d");
  EXPECT_EQ(mf.input, "a.c");
  expect_location_hidden(mf, "/clang:-MF", "x.d");
  expect_location_hidden(job_of({"/c", "a.c", "/clang:-MD", "/clang:-MFx.d"}, d), "/clang:-MF", "x.d");
  EXPECT_FALSE(contains(mf.preprocess_args, "/clang:x.d"));
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/clang:-MD", "/clang:-MFy.d"}, d), "d"), "y.d");
  EXPECT_EQ(job_of({"/c", "a.c", "/clang:-MF", "/clang:x.d"}, d).outputs.size(), 1U) << "-MF alone writes nothing";
  EXPECT_EQ(reason_of({"/c", "a.c", "/clang:-MD", "/clang:-MF"}, d), "argument parse");
  EXPECT_EQ(reason_of({"/c", "a.c", "/clang:-MF", "x.d"}, d), "argument parse") << "the value is the next /clang:";
  EXPECT_EQ(reason_of({"/c", "a.c", "/clang:-o", "/clang:x.obj"}, d), "/clang:-o");
  EXPECT_EQ(reason_of({"/c", "a.c", "/clang:-ox.obj"}, d), "/clang:-o");
  EXPECT_TRUE(job_of({"/c", "a.c", "/clang:-g"}, d).debug_info);
  EXPECT_FALSE(job_of({"/c", "a.c", "/clang:-g0"}, d).debug_info);
  EXPECT_EQ(job_of({"/c", "a.c", "/clang:-fcolor-diagnostics"}, d).color, ColorMode::on);
  EXPECT_EQ(job_of({"/c", "a.c", "/clang:-fno-color-diagnostics"}, d).color, ColorMode::off);
  auto other = job_of({"/c", "a.c", "/clang:-fno-inline"}, d);
  EXPECT_TRUE(contains(other.preprocess_args, "/clang:-fno-inline"));
  EXPECT_TRUE(contains(other.dist_args, "/clang:-fno-inline"));
}

TEST(MsvcArgs, Xclang) {
  EXPECT_EQ(reason_of({"/c", "a.c", "-Xclang", "-load", "-Xclang", "p.so"}), "-Xclang -load");
  EXPECT_EQ(reason_of({"/c", "a.c", "-Xclang", "-emit-pch"}), "-Xclang -emit-pch");
  EXPECT_EQ(reason_of({"/c", "a.c", "-Xclang", "-fmodules-cache-path=x"}), "-Xclang -fmodules-cache-path=x");
  EXPECT_EQ(reason_of({"/c", "a.c", "-Xclang", "-plugin-arg-foo"}), "-Xclang -plugin-arg-foo");
  EXPECT_EQ(reason_of({"/c", "a.c", "-Xclang"}), "argument parse");
  EXPECT_TRUE(xclang_too_hard("-dependency-file"));
  EXPECT_FALSE(xclang_too_hard("-fno-pch-timestamp"));
  // The value is the option's, never an input.
  EXPECT_EQ(job_of({"/c", "a.c", "-Xclang", "b.c"}).input, "a.c");
}

TEST(MsvcArgs, ExternalEnvironmentIncludes) {
  auto j = job_of({"/c", "a.c", "/external:env:MYINC", "-external:env:OTHER"});
  EXPECT_EQ(j.env_key_vars, (Args{"MYINC", "OTHER"}));
  EXPECT_TRUE(contains(j.preprocess_args, "/external:env:MYINC"));
  EXPECT_NE(key_of({"/c", "a.c", "/external:env:MYINC"}, "/tmp/proj", {"MYINC=/one"}),
            key_of({"/c", "a.c", "/external:env:MYINC"}, "/tmp/proj", {"MYINC=/two"}));
  EXPECT_EQ(key_of({"/c", "a.c"}, "/tmp/proj", {"MYINC=/one"}), key_of({"/c", "a.c"}, "/tmp/proj", {"MYINC=/two"}));
}

TEST(MsvcArgs, DependencyOutputs) {
  auto sd = job_of({"/c", "a.c", "/sourceDependencies", "deps/a.json"});
  EXPECT_EQ(output_path(sd, "srcdeps"), "deps/a.json");
  EXPECT_EQ(output_path(job_of({"/c", "a.c", "/sourceDependenciesa.json"}), "srcdeps"), "a.json");
  EXPECT_EQ(reason_of({"/c", "a.c", "/sourceDependencies", "deps/"}), "/sourceDependencies");
  EXPECT_EQ(reason_of({"/c", "a.c", "/sourceDependencies", "-"}), "/sourceDependencies");
  EXPECT_EQ(reason_of({"/c", "a.c", "/sourceDependencies:directives", "x.json"}), "/sourceDependencies:directives");
  auto deps = job_of({"/c", "a.c", "-depsout/a.d", "/showIncludes"}, clang_cl_dialect());
  ASSERT_TRUE(deps.deps_file.has_value());
  EXPECT_EQ(*deps.deps_file, "out/a.d");
  EXPECT_EQ(output_path(deps, "deps"), "out/a.d");
  EXPECT_FALSE(contains(deps.preprocess_args, "-depsout/a.d"));
  EXPECT_EQ(reason_of({"/c", "a.c", "-deps"}, clang_cl_dialect()), "-deps");
}

TEST(MsvcArgs, ResponseFilesInACommandLine) {
  TempDir dir;
  dir.file("args.rsp", utf16le(u"/c \"sp ace.c\" /DNAME=\u00e9"));
  auto j = job_of({"/nologo", "@args.rsp"}, cl_dialect(), dir.path());
  EXPECT_EQ(j.input, "sp ace.c");
  EXPECT_EQ(j.output, "sp ace.obj");
  EXPECT_EQ(j.args, (Args{"/nologo", "/c", "sp ace.c", "/DNAME=\xC3\xA9"}));
  EXPECT_EQ(reason_of({"/c", "a.c", "@missing.rsp"}, cl_dialect(), dir.path()), "@");
}

// clang-cl takes clang's own -f and -g spellings: they are classified as /clang: options are.
TEST(MsvcArgs, DirectClangOptionsOnClangCl) {
  const auto& d = clang_cl_dialect();
  EXPECT_EQ(reason_of({"/c", "a.c", "-fprofile-instr-use=p.profdata"}, d), "-fprofile-instr-use=");
  EXPECT_EQ(reason_of({"/c", "a.c", "-fmodules"}, d), "-fmodules");
  EXPECT_EQ(reason_of({"/c", "a.c", "-ftime-trace"}, d), "-ftime-trace");
  EXPECT_EQ(reason_of({"/c", "a.c", "-fsanitize-ignorelist=i.txt"}, d), "-fsanitize-ignorelist=");
  EXPECT_EQ(reason_of({"/c", "a.c", "-fprofile-list=l.txt"}, d), "-fprofile-list=");
  EXPECT_TRUE(job_of({"/c", "a.c", "-gline-tables-only"}, d).debug_info);
  EXPECT_TRUE(job_of({"/c", "a.c", "-fprofile-instr-generate", "-fcoverage-mapping"}, d).debug_info);
  EXPECT_FALSE(job_of({"/c", "a.c", "/guard:cf", "-fno-strict-aliasing"}, d).debug_info);
  EXPECT_EQ(reason_of({"/c", "a.c", "/MD", "/MT"}, d), "<cacheable>") << "cl's runtime options are not clang's -MD";
}

TEST(MsvcArgs, LinkInsideAResponseFileIsRefused) {
  TempDir dir;
  dir.file("r.rsp", "/c a.c /link x.lib\n/DFOO\n");
  EXPECT_EQ(reason_of({"@r.rsp"}, clang_cl_dialect(), dir.path()), "@");
}

TEST(MsvcKey, UnusedLocationsThatWarningsNameAreHashed) {
  const auto& d = clang_cl_dialect();
  EXPECT_NE(key_of({"/c", "a.c", "/sourceDependencies", "a.json"}, "/tmp/proj", {}, d),
            key_of({"/c", "a.c", "/sourceDependencies", "b.json"}, "/tmp/proj", {}, d));
  EXPECT_NE(key_of({"/c", "a.c", "/Fpp.pch"}, "/tmp/proj", {}, d), key_of({"/c", "a.c", "/Fpq.pch"}, "/tmp/proj", {}, d));
}

TEST(MsvcDialects, Rows) {
  EXPECT_EQ(msvc_dialect_named("msvc"), &cl_dialect());
  EXPECT_EQ(msvc_dialect_named("msvc-clang"), &clang_cl_dialect());
  EXPECT_EQ(msvc_dialect_named("gcc"), nullptr);
  EXPECT_TRUE(cl_dialect().zi_writes_pdb);
  EXPECT_TRUE(cl_dialect().colon_output_forms);
  EXPECT_FALSE(clang_cl_dialect().zi_writes_pdb);
  EXPECT_FALSE(clang_cl_dialect().colon_output_forms);
  EXPECT_TRUE(clang_cl_dialect().clang_driver);
  EXPECT_TRUE(clang_cl_dialect().pch_default_from_header);
}

// ---------------------------------------------------------------------------------------------
// The key prefix.

TEST(MsvcKey, WhatChangesTheKey) {
  const Args base = {"/c", "a.c", "/Foa.obj"};
  const std::string k = key_of(base);
  ASSERT_FALSE(k.empty());
  EXPECT_EQ(k, key_of(base)) << "deterministic";
  const std::vector<Args> variants = {
      {"/DX"}, {"/DX=1"}, {"/D", "Y"}, {"/UX"}, {"/Iinc"}, {"/I", "inc2"}, {"/FIforced.h"}, {"/O2"}, {"/Od"},
      {"/W4"}, {"/WX"}, {"/EHsc"}, {"/MD"}, {"/MT"}, {"/GS-"}, {"/std:c11"}, {"/utf-8"}, {"/TP"}, {"/X"},
      {"/showIncludes"}, {"/FC"}, {"/Z7"}, {"/external:env:FOO"}, {"/external:I", "ext"}, {"-Xclang", "-fno-pch-timestamp"},
      {"/sourceDependencies", "a.json"}};
  for (const auto& extra : variants) {
    EXPECT_NE(key_of(cat(extra, base)), k) << "did not change the key: " << extra[0];
  }
  EXPECT_NE(key_of(cat(base, {"/DX=1"})), key_of(cat(base, {"/DX=2"})));
  EXPECT_NE(key_of(cat(base, {"/D", "X"})), key_of(cat(base, {"/D", "Y"})));
  // The language.
  EXPECT_NE(key_of({"/c", "/Tc", "a.c"}), key_of({"/c", "/Tp", "a.c"}));
  // The compiler and the dialect.
  EXPECT_NE(key_of(base, "/tmp/proj", {}, cl_dialect(), "other-identity"), k);
  EXPECT_NE(key_of(base, "/tmp/proj", {}, clang_cl_dialect()), k);
}

TEST(MsvcKey, EnvironmentVariables) {
  const Args base = {"/c", "a.c"};
  const std::string k = key_of(base);
  for (const char* env : {"CL=/O2", "_CL_=/DX", "INCLUDE=/inc", "EXTERNAL_INCLUDE=/ext", "VSLANG=1031",
                          "SOURCE_DATE_EPOCH=1", "CCC_OVERRIDE_OPTIONS=+-O2", "LANG=de_DE.UTF-8"}) {
    EXPECT_NE(key_of(base, "/tmp/proj", {env}), k) << env;
  }
  EXPECT_NE(key_of(base, "/tmp/proj", {"CL=/O2"}), key_of(base, "/tmp/proj", {"CL=/O1"}));
  EXPECT_NE(key_of(base, "/tmp/proj", {"VSLANG=1031"}), key_of(base, "/tmp/proj", {"VSLANG=1033"}));
  EXPECT_NE(key_of(base, "/tmp/proj", {"CL="}), k) << "set but empty is not unset";
  EXPECT_EQ(key_of(base, "/tmp/proj", {"UNRELATED=1"}), k);
  const auto& vars = msvc_key_env_vars();
  for (const char* v : {"CL", "_CL_", "INCLUDE", "EXTERNAL_INCLUDE", "VSLANG"}) {
    EXPECT_NE(std::find(vars.begin(), vars.end(), v), vars.end()) << v;
  }
}

TEST(MsvcKey, OutputLocationsDoNotChangeTheKeyWithoutDebugInfo) {
  EXPECT_EQ(key_of({"/c", "a.c", "/Foa.obj"}), key_of({"/c", "a.c", "/Foout/b.obj"}));
  EXPECT_EQ(key_of({"/c", "a.c", "/Foa.obj"}), key_of({"/c", "a.c", "/Foother/"}));
  EXPECT_EQ(key_of({"/c", "a.c", "/Fo:", "a.obj"}), key_of({"/c", "a.c", "/Fo:", "b.obj"}));
  EXPECT_EQ(key_of({"/c", "a.c", "-o", "a.obj"}), key_of({"/c", "a.c", "-o", "b.obj"}));
  // Outputs that may record paths (a listing, a PDB, a .pch, a -deps or /sourceDependencies file)
  // hash the whole command line and the cwd.
  EXPECT_NE(key_of({"/c", "a.c", "/FA", "/Faa.asm"}), key_of({"/c", "a.c", "/FA", "/Fab.asm"}));
  EXPECT_EQ(key_of({"/c", "a.c", "/Foa.obj"}, "/one"), key_of({"/c", "a.c", "/Foa.obj"}, "/two"));
  EXPECT_EQ(key_of({"/c", "a.c", "/clang:-MD", "/clang:-MF", "/clang:a.d"}, "/tmp/proj", {}, clang_cl_dialect()),
            key_of({"/c", "a.c", "/clang:-MD", "/clang:-MF", "/clang:b.d"}, "/tmp/proj", {}, clang_cl_dialect()));
}

TEST(MsvcKey, DebugInfoHashesPathsAndCwd) {
  EXPECT_NE(key_of({"/c", "a.c", "/Z7", "/Foa.obj"}), key_of({"/c", "a.c", "/Z7", "/Fob.obj"}));
  EXPECT_NE(key_of({"/c", "a.c", "/Z7", "/Foa.obj"}, "/one"), key_of({"/c", "a.c", "/Z7", "/Foa.obj"}, "/two"));
  EXPECT_NE(key_of({"/c", "a.c", "/Z7"}, "/one"), key_of({"/c", "a.c", "/Z7"}, "/two"));
  EXPECT_NE(key_of({"/c", "a.c", "/Zi", "/Fda.pdb"}, "/one"), key_of({"/c", "a.c", "/Zi", "/Fda.pdb"}, "/two"));
  EXPECT_NE(key_of({"/c", "a.c", "/Zi", "/Fda.pdb"}), key_of({"/c", "a.c", "/Zi", "/Fdb.pdb"}));
  const auto& d = clang_cl_dialect();
  EXPECT_NE(key_of({"/c", "a.c", "/Zi"}, "/one", {}, d), key_of({"/c", "a.c", "/Zi"}, "/two", {}, d));
  EXPECT_NE(key_of({"/c", "a.c", "/clang:-g"}, "/one", {}, d), key_of({"/c", "a.c", "/clang:-g"}, "/two", {}, d));
  EXPECT_NE(key_of({"/c", "a.c", "/FC"}, "/one"), key_of({"/c", "a.c", "/FC"}, "/two"));
  EXPECT_NE(key_of({"/c", "a.c", "-depsa.d"}, "/one", {}, d), key_of({"/c", "a.c", "-depsa.d"}, "/two", {}, d));
  EXPECT_NE(key_of({"/c", "a.c", "-depsa.d", "/Foa.obj"}, "/one", {}, d),
            key_of({"/c", "a.c", "-depsa.d", "/Fob.obj"}, "/one", {}, d))
      << "the -deps file names the object";
}

// The target clang writes into the .d file is what the file holds: it must be in the key.
TEST(MsvcKey, ClangDependencyTargetIsHashed) {
  const auto& d = clang_cl_dialect();
  EXPECT_NE(key_of({"/c", "a.c", "/clang:-MD", "/clang:-MT", "/clang:t1"}, "/tmp/proj", {}, d),
            key_of({"/c", "a.c", "/clang:-MD", "/clang:-MT", "/clang:t2"}, "/tmp/proj", {}, d));
  // The same after -MF: here the target was hashed as a location.
  EXPECT_NE(key_of({"/c", "a.c", "/clang:-MD", "/clang:-MF", "/clang:a.d", "/clang:-MT", "/clang:t1"}, "/tmp/proj", {}, d),
            key_of({"/c", "a.c", "/clang:-MD", "/clang:-MF", "/clang:a.d", "/clang:-MT", "/clang:t2"}, "/tmp/proj", {}, d))
      << "/clang:-MT after /clang:-MF is hashed as `/clang:`, so t1 and t2 share a key but not a .d file";
}

// cl.exe's /sourceDependencies JSON names the source by its absolute path ("Source":
// "C:\\...\\a.cpp" in Microsoft's documentation): a compile elsewhere writes another file.
TEST(MsvcKey, SourceDependenciesHashTheCwd) {
  EXPECT_NE(key_of({"/c", "a.c", "/sourceDependencies", "a.json"}, "/one"),
            key_of({"/c", "a.c", "/sourceDependencies", "a.json"}, "/two"));
}

TEST(MsvcKey, ClSearchDirs) {
  Invocation i = msvc_inv({"/c", "a.c", "/Iinc", "/I", "/abs/inc", "-external:Iext", "/external:I", "ext2", "/DI"}, "/w",
                          {"INCLUDE=/sys/a;;/sys/b", "EXTERNAL_INCLUDE=/ext"});
  auto r = parse_msvc_arguments(cl_dialect(), i);
  ASSERT_TRUE(std::holds_alternative<MsvcArguments>(r));
  auto dirs = cl_search_dirs(std::get<MsvcArguments>(r), i);
  EXPECT_EQ(dirs, (Args{"/w/inc", "/abs/inc", "/w/ext", "/w/ext2", "/sys/a", "/sys/b", "/ext"}));
}

}  // namespace
}  // namespace sccache
