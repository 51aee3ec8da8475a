// MSVC family tests of the text it reads: Windows response files (quoting, UTF-16) and the
// /showIncludes notes (the prefix in several languages, the paths, the -deps file sccache writes).
#include <gtest/gtest.h>

#include "compiler/msvc/msvc_response_files.hpp"
#include "compiler/msvc/show_includes.hpp"
#include "support/test_files.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

using Args = std::vector<std::string>;


// ---------------------------------------------------------------------------------------------
// Response files.

TEST(MsvcResponseFiles, SplitWindowsCommandLine) {
  EXPECT_EQ(split_windows_command_line("a \"b c\" d"), (Args{"a", "b c", "d"}));
  EXPECT_EQ(split_windows_command_line("\"a\"\"b\""), (Args{"a\"b"}));
  EXPECT_EQ(split_windows_command_line("\"a\"\"b c\""), (Args{"a\"b c"})) << "`\"\"` keeps the quoting on";
  EXPECT_EQ(split_windows_command_line("x\"a b\"y"), (Args{"xa by"}));
  // Backslashes: 2n before a quote are n (the quote toggles), 2n+1 are n and a literal quote,
  // any others are literal.
  EXPECT_EQ(split_windows_command_line("a\\\\\"b c\""), (Args{"a\\b c"}));
  EXPECT_EQ(split_windows_command_line("d\\e"), (Args{"d\\e"}));
  EXPECT_EQ(split_windows_command_line("f\\\\\\\"g"), (Args{"f\\\"g"}));
  EXPECT_EQ(split_windows_command_line("a\\\\\"b c\" d\\e f\\\\\\\"g"), (Args{"a\\b c", "d\\e", "f\\\"g"}));
  EXPECT_EQ(split_windows_command_line("\\\\server\\share\\x.c"), (Args{"\\\\server\\share\\x.c"}));
  EXPECT_EQ(split_windows_command_line("\"C:\\Program Files\\\\\""), (Args{"C:\\Program Files\\"}));
  EXPECT_EQ(split_windows_command_line("tail\\"), (Args{"tail\\"}));
  // Whitespace: space, tab, CR, LF.
  EXPECT_EQ(split_windows_command_line("/c\ta.c\r\n/DX\n\r\n  /O2  "), (Args{"/c", "a.c", "/DX", "/O2"}));
  EXPECT_EQ(split_windows_command_line("\"a\tb\r\nc\""), (Args{"a\tb\r\nc"}));
  // Empty arguments.
  EXPECT_EQ(split_windows_command_line("\"\""), (Args{""}));
  EXPECT_EQ(split_windows_command_line("\"\" x \"\""), (Args{"", "x", ""}));
  EXPECT_TRUE(split_windows_command_line("").empty());
  EXPECT_TRUE(split_windows_command_line(" \t\r\n").empty());
}

TEST(MsvcResponseFiles, DecodeUtf16WithBom) {
  // "/DX=é a.c 😀" (U+00E9, and U+1F600 as the surrogate pair D83D DE00).
  auto text = decode_response_file(utf16le(u"/DX=\u00e9 a.c \U0001F600"));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "/DX=\xC3\xA9 a.c \xF0\x9F\x98\x80");
  auto cjk = decode_response_file(utf16le(u"\u6CE8 \u0800 \u07FF \uFFFD"));
  ASSERT_TRUE(cjk);
  EXPECT_EQ(*cjk, "\xE6\xB3\xA8 \xE0\xA0\x80 \xDF\xBF \xEF\xBF\xBD");
  auto empty = decode_response_file("\xFF\xFE");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

TEST(MsvcResponseFiles, DecodeUtf8AndPlain) {
  auto bom = decode_response_file("\xEF\xBB\xBF/c a.c \xC3\xA9");
  ASSERT_TRUE(bom);
  EXPECT_EQ(*bom, "/c a.c \xC3\xA9");
  auto plain = decode_response_file("/c a.c");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "/c a.c");
  auto none = decode_response_file("");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");
}

TEST(MsvcResponseFiles, MalformedUtf16IsAnError) {
  std::string odd = utf16le(u"/c a.c");
  odd.push_back('x');
  EXPECT_FALSE(decode_response_file(odd));
  EXPECT_FALSE(decode_response_file("\xFF\xFE" "a"));
  // A high surrogate at the end, a lone low surrogate, a high one followed by no low one.
  EXPECT_FALSE(decode_response_file(utf16le(std::u16string(u"a") + char16_t{0xD83D})));
  EXPECT_FALSE(decode_response_file(utf16le(std::u16string(u"a") + char16_t{0xDE00} + u"b")));
  EXPECT_FALSE(decode_response_file(utf16le(std::u16string(u"a") + char16_t{0xD83D} + u"b")));
}

TEST(MsvcResponseFiles, ExpandNestedFiles) {
  TempDir dir;
  dir.file("outer.rsp", "/c @inner.rsp \"sp ace.c\"\r\n");
  dir.file("inner.rsp", utf16le(u"/DX=1\r\n/I \"inc dir\""));
  auto out = expand_msvc_response_files({"/nologo", "@outer.rsp", "/W4"}, dir.path());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, (Args{"/nologo", "/c", "/DX=1", "/I", "inc dir", "sp ace.c", "/W4"}));
  // An absolute name.
  auto abs = expand_msvc_response_files({"@" + join_path(dir.path(), "inner.rsp")}, "/nonexistent");
  ASSERT_TRUE(abs);
  EXPECT_EQ(*abs, (Args{"/DX=1", "/I", "inc dir"}));
  // `@` alone is no response file.
  auto at = expand_msvc_response_files({"@"}, dir.path());
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, (Args{"@"}));
}

TEST(MsvcResponseFiles, ErrorsNameTheFile) {
  TempDir dir;
  auto missing = expand_msvc_response_files({"/c", "@missing.rsp"}, dir.path());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.rsp"), std::string::npos) << missing.error().message;
  dir.file("bad.rsp", "\xFF\xFE" "abc");
  auto bad = expand_msvc_response_files({"@bad.rsp"}, dir.path());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.rsp"), std::string::npos) << bad.error().message;
  dir.file("outer.rsp", "/c @gone.rsp");
  auto nested = expand_msvc_response_files({"@outer.rsp"}, dir.path());
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("gone.rsp"), std::string::npos) << nested.error().message;
  // A response file that names itself ends, with an error.
  dir.file("loop.rsp", "/DX @loop.rsp");
  EXPECT_FALSE(expand_msvc_response_files({"@loop.rsp"}, dir.path()));
}

// ---------------------------------------------------------------------------------------------
// /showIncludes.

auto exists_only(std::string path) {
  return [p = std::move(path)](const std::string& candidate) { return candidate == p; };
}

TEST(MsvcShowIncludes, EnglishPrefix) {
  std::string out = "sccache_includes_probe.c\nNote: including file: ./sccache_includes_probe.h\n";
  auto p = show_includes_prefix_from(out, exists_only("./sccache_includes_probe.h"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, "Note: including file: ");
}

TEST(MsvcShowIncludes, GermanPrefix) {
  std::string out = "sccache_includes_probe.c\r\nHinweis: Einlesen der Datei: C:\\tmp\\sccache_includes_probe.h\r\n";
  auto p = show_includes_prefix_from(out, exists_only("C:\\tmp\\sccache_includes_probe.h"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, "Hinweis: Einlesen der Datei: ");
}

TEST(MsvcShowIncludes, FrenchPrefixWithNoBreakSpaces) {
  std::string out = "Remarque\xC2\xA0: inclusion du fichier\xC2\xA0: C:\\tmp\\sccache_includes_probe.h\r\n";
  auto p = show_includes_prefix_from(out, exists_only("C:\\tmp\\sccache_includes_probe.h"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, "Remarque\xC2\xA0: inclusion du fichier\xC2\xA0: ");
}

TEST(MsvcShowIncludes, JapanesePrefix) {
  // "メモ: インクルード ファイル: "
  const std::string prefix =
      "\xE3\x83\xA1\xE3\x83\xA2: \xE3\x82\xA4\xE3\x83\xB3\xE3\x82\xAF\xE3\x83\xAB\xE3\x83\xBC\xE3\x83\x89 "
      "\xE3\x83\x95\xE3\x82\xA1\xE3\x82\xA4\xE3\x83\xAB: ";
  std::string out = prefix + "C:\\tmp\\sccache_includes_probe.h\r\n";
  auto p = show_includes_prefix_from(out, exists_only("C:\\tmp\\sccache_includes_probe.h"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, prefix);
}

TEST(MsvcShowIncludes, ChinesePrefixAndAPathWithSpaces) {
  const std::string prefix = "\xE6\xB3\xA8\xE6\x84\x8F: \xE5\x8C\x85\xE5\x90\xAB\xE6\x96\x87\xE4\xBB\xB6: ";  // "注意: 包含文件: "
  const std::string path = "C:\\Program Files\\probe dir\\sccache_includes_probe.h";
  std::string out = "sccache_includes_probe.c\r\n" + prefix + path + "\r\n";
  auto p = show_includes_prefix_from(out, exists_only(path));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, prefix);
  // The exists callback decides where the path starts.
  auto shorter = show_includes_prefix_from(out, exists_only("dir\\sccache_includes_probe.h"));
  ASSERT_TRUE(shorter.has_value());
  EXPECT_EQ(*shorter, prefix + "C:\\Program Files\\probe ");
}

TEST(MsvcShowIncludes, CaseInsensitiveHeaderNameAndCrlf) {
  std::string out = "Note: including file: C:\\TMP\\SCCACHE_INCLUDES_PROBE.H\r\n";
  auto p = show_includes_prefix_from(out, exists_only("C:\\TMP\\SCCACHE_INCLUDES_PROBE.H"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, "Note: including file: ");
}

TEST(MsvcShowIncludes, NoNote) {
  auto yes = [](const std::string&) { return true; };
  auto no = [](const std::string&) { return false; };
  EXPECT_FALSE(show_includes_prefix_from("", yes).has_value());
  EXPECT_FALSE(show_includes_prefix_from("sccache_includes_probe.c\r\n", yes).has_value());
  EXPECT_FALSE(show_includes_prefix_from("warning C4819: something\r\n", yes).has_value());
  EXPECT_FALSE(show_includes_prefix_from("Note: including file: ./sccache_includes_probe.h\n", no).has_value());
  EXPECT_FALSE(show_includes_prefix_from("sccache_includes_probe.h\n", yes).has_value()) << "no space: no prefix";
}

TEST(MsvcShowIncludes, NotePaths) {
  const std::string prefix = "Note: including file: ";
  std::string text =
      "a.c\r\n"
      "Note: including file: C:\\inc\\a.h\r\n"
      "Note: including file:  C:\\inc\\nested.h\r\n"
      "a.c(3): warning C4996: 'x': deprecated\r\n"
      "Note: including file:   C:\\x y\\deeper.h\r\n"
      "note: including file: lower.h\r\n"
      "Note: including file: ./rel.h\n"
      "Note: including file: \r\n";
  EXPECT_EQ(include_note_paths(text, prefix), (Args{"C:\\inc\\a.h", "C:\\inc\\nested.h", "C:\\x y\\deeper.h", "./rel.h"}));
  EXPECT_TRUE(include_note_paths(text, "").empty()) << "no prefix: no notes";
  EXPECT_TRUE(is_include_note("Note: including file: x.h", prefix));
  EXPECT_FALSE(is_include_note("a.c(3): warning", prefix));
  EXPECT_FALSE(is_include_note("x", ""));
  // A localized prefix with no-break spaces.
  const std::string fr = "Remarque\xC2\xA0: inclusion du fichier\xC2\xA0: ";
  EXPECT_EQ(include_note_paths(fr + "C:\\a.h\r\n" + fr + "  C:\\b.h\r\n", fr), (Args{"C:\\a.h", "C:\\b.h"}));
}

TEST(MsvcShowIncludes, MakeStyleDeps) {
  EXPECT_EQ(make_style_deps("a.obj", "a.c", {"z.h", "b.h", "z.h", "dir with space/x.h", "c.h", "b.h"}),
            "a.obj: a.c z.h b.h c.h \n"
            "a.c:\n"
            "b.h:\n"
            "c.h:\n"
            "z.h:\n");
  EXPECT_EQ(make_style_deps("out/a.obj", "src/a.c", {}), "out/a.obj: src/a.c \nsrc/a.c:\n");
}

}  // namespace
}  // namespace sccache
