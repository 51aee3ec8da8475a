#pragma once
// The drivers of the MSVC command-line language: Microsoft's cl.exe and LLVM's clang-cl. They
// share the option table (msvc/msvc_args.hpp) and the pipeline (msvc/msvc_compile_job.hpp); a
// dialect says only where they differ, each difference checked on the real driver (clang-cl 14
// here) or, for cl.exe, taken from Microsoft's documentation.
#include <span>
#include <string_view>

namespace sccache {

struct MsvcDialect {
  std::string_view name;              // as the C detection probe prints it; part of the key
  std::string_view toolchain_flavor;  // how sccache-dist packages it ("" = it stays local)
  // cl.exe writes /Zi and /ZI debug info to a PDB at compile time (one shared per directory
  // unless /Fd names a file); clang-cl puts it in the object, as with /Z7, and ignores /Fd.
  bool zi_writes_pdb;
  // cl.exe (VS 2017+) reads `/Fo:path` and `/Fo path`; clang-cl 14 reads only `/Fopath`, and a
  // colon is part of the name.
  bool colon_output_forms;
  // cl.exe writes the /sourceDependencies JSON file; clang-cl 14 only warns "argument unused".
  bool writes_source_dependencies;
  // clang-cl accepts `-v` (prints the include search list) and `/clang:` driver options.
  bool clang_driver;
  // /Yc<header> without /Fp: clang-cl names the .pch after the header (pch.h -> pch.pch).
  // For cl.exe the default is not one we can check here, so /Yc without /Fp is not cached.
  bool pch_default_from_header;
};

std::span<const MsvcDialect> msvc_dialects();
// The dialect the probe named (nullptr: not a driver of the MSVC language).
const MsvcDialect* msvc_dialect_named(std::string_view name);
const MsvcDialect& cl_dialect();
const MsvcDialect& clang_cl_dialect();

}  // namespace sccache
