#pragma once
// The drivers of the C family. gcc and clang share the option table (c/gcc_args.hpp) and the
// pipeline (c/c_compile_job.hpp); a dialect says only where they differ. A new driver of the
// same command-line language is one row of c_dialect.cpp.
#include <span>
#include <string_view>

namespace sccache {

struct CDialect {
  std::string_view name;              // as the detection probe prints it; part of the key
  std::string_view toolchain_flavor;  // how sccache-dist packages it ("gcc", "clang")
  // gcc rewrites an existing output in place (its mode stays); clang writes a new file.
  bool keeps_existing_output_mode;
  // The flag that forces coloured diagnostics when the client's stderr is a terminal but the
  // compiler's is a pipe (empty: the driver has none we add, gcc decides by GCC_COLORS itself).
  std::string_view force_color_flag;
  // gcc turns -Wmisleading-indentation off for preprocessed input, so a compile of the
  // preprocessed text on a build server would not warn as the local compile does.
  bool preprocessed_input_drops_misleading_indentation;
};

std::span<const CDialect> c_dialects();
// The dialect the probe named (nullptr: not a driver of the C family).
const CDialect* c_dialect_named(std::string_view name);
const CDialect& gcc_dialect();
const CDialect& clang_dialect();

}  // namespace sccache
