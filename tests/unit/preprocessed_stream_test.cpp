// The preprocessed text is consumed as the pipe delivers it (compute_c_key): the key, the line
// markers and the `.incbin` refusal must not depend on where the pipe cut the text.
#include <gtest/gtest.h>

#include "compiler/c/c_key.hpp"
#include "compiler/c/gcc_args.hpp"
#include "support/fake_process_runner.hpp"

namespace sccache {
namespace {

const std::string kText =
    "# 1 \"/src/a.c\"\n# 1 \"/inc/x.h\" 1\nint x;\n# 2 \"/src/a.c\" 2\nint f(void) { return x; }\n"
    "#pragma once\n";

Invocation inv_of() {
  Invocation i;
  i.exe = "/usr/bin/gcc";
  i.args = {"-c", "a.c", "-o", "a.o"};
  i.cwd = "/src";
  return i;
}

// The preprocessor's text, streamed in `chunk`-byte pieces when the spec asks for a stream
// (0: handed over whole in stdout_data, as a runner that does not stream does).
KeyOutcome key_with(const std::string& text, size_t chunk) {
  testing::FakeProcessRunner runner;
  runner.on([](const ProcessSpec&) { return true; },
            [&](const ProcessSpec& spec) {
              ProcessResult r;
              if (chunk == 0 || !spec.on_stdout) {
                r.stdout_data = text;
              } else {
                for (size_t i = 0; i < text.size(); i += chunk) spec.on_stdout(std::string_view(text).substr(i, chunk));
              }
              return r;
            });
  Invocation inv = inv_of();
  auto parsed = parse_c_arguments(gcc_dialect(), inv);
  EXPECT_TRUE(std::holds_alternative<CArguments>(parsed));
  return compute_c_key("prefix", std::get<CArguments>(parsed), inv, runner, true, false);
}

TEST(PreprocessedStream, KeyAndMarkersDoNotDependOnTheCuts) {
  KeyOutcome whole = key_with(kText, 0);
  ASSERT_TRUE(whole.key);
  EXPECT_EQ(whole.include_files, (std::vector<std::string>{"/src/a.c", "/inc/x.h"}));
  for (size_t chunk : {1, 2, 3, 7, 64}) {
    KeyOutcome streamed = key_with(kText, chunk);
    ASSERT_TRUE(streamed.key) << chunk;
    EXPECT_EQ(*streamed.key, *whole.key) << "chunks of " << chunk;
    EXPECT_EQ(streamed.include_files, whole.include_files) << "chunks of " << chunk;
  }
}

TEST(PreprocessedStream, TheTextDecidesTheKey) {
  KeyOutcome a = key_with(kText, 5);
  KeyOutcome b = key_with(kText + " ", 5);
  KeyOutcome c = key_with(kText.substr(0, kText.size() - 1), 5);
  ASSERT_TRUE(a.key && b.key && c.key);
  EXPECT_NE(*a.key, *b.key);
  EXPECT_NE(*a.key, *c.key);
}

TEST(PreprocessedStream, IncbinIsFoundAcrossACut) {
  const std::string text = kText + "asm(\".incbin \\\"blob.bin\\\"\");\n";
  for (size_t chunk : {0, 1, 3, 4, 5, 9}) {
    KeyOutcome out = key_with(text, chunk);
    EXPECT_FALSE(out.key) << "chunks of " << chunk;
    EXPECT_TRUE(out.not_cacheable) << "chunks of " << chunk;
    EXPECT_EQ(out.error, "source uses .incbin");
  }
}

}  // namespace
}  // namespace sccache
