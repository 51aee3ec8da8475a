// What the server learns from an include file's text for direct mode: the headers it tests with
// __has_include, and whether some test's name is hidden behind a macro.
#include "server/file_hash_cache.hpp"

#include <gtest/gtest.h>

#include "support/test_files.hpp"

namespace sccache {
namespace {

FileDigest digest_of(std::string_view text) {
  TempDir dir;
  FileHashCache cache;
  auto d = cache.digest(dir.file("h.h", text));
  EXPECT_TRUE(d.has_value());
  return d.value_or(FileDigest{});
}

TEST(FileHashCache, LiteralHasIncludeNamesAreCollectedOnce) {
  auto d = digest_of(
      "#if __has_include(\"opt.h\")\n#include \"opt.h\"\n#endif\n"
      "#if __has_include( <sys/x.h> ) || __has_include_next(<next.h>)\n#endif\n"
      "#if __has_include(\"opt.h\")\n#endif\n");
  EXPECT_EQ(d.tested_headers, (std::vector<std::string>{"opt.h", "sys/x.h", "next.h"}));
  EXPECT_FALSE(d.opaque_include_test);
}

TEST(FileHashCache, FeatureChecksAreNotHeaderTests) {
  auto d = digest_of("#ifdef __has_include\n#endif\n#if defined(__has_include) && defined __has_include_next\n#endif\n");
  EXPECT_TRUE(d.tested_headers.empty());
  EXPECT_FALSE(d.opaque_include_test);
}

TEST(FileHashCache, AFallbackDefinitionIsNoTest) {
  // abseil's span.h: a definition for compilers without the feature, then a literal test.
  auto d = digest_of("#if !defined(__has_include)\n#define __has_include(header) 0\n#endif\n"
                     "#if __has_include(<version>)\n#endif\n#  define   __has_include_next(h) 0\n");
  EXPECT_EQ(d.tested_headers, (std::vector<std::string>{"version"}));
  EXPECT_FALSE(d.opaque_include_test);
}

TEST(FileHashCache, MacroNamesAreOpaque) {
  EXPECT_TRUE(digest_of("#define HAS(x) __has_include(x)\n").opaque_include_test);
  EXPECT_TRUE(digest_of("#if __has_include(HEADER)\n#endif\n").opaque_include_test);
  EXPECT_TRUE(digest_of("#if __has_include(\"unterminated\n#endif\n").opaque_include_test);
  EXPECT_TRUE(digest_of("#if __has_include(<>)\n#endif\n").opaque_include_test);
}

TEST(FileHashCache, TimeMacrosAreSeen) {
  EXPECT_TRUE(digest_of("const char* d = __DATE__;\n").has_time_macros);
  EXPECT_FALSE(digest_of("int x;\n").has_time_macros);
}

}  // namespace
}  // namespace sccache
