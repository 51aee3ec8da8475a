#include "compiler/c/c_dist.hpp"

#include <algorithm>

namespace sccache {

namespace {

using F = ArgForm;
using R = ArgRole;

}  // namespace

std::string preprocessed_language(const std::string& language) {
  if (language == "c") return "cpp-output";
  if (language == "objective-c") return "objective-c-cpp-output";
  if (language == "objective-c++") return "objective-c++-cpp-output";
  return "c++-cpp-output";
}

std::optional<std::string> c_dist_refusal(const CDialect& dialect, const CArguments& job) {
  if (job.assemble_only) return "-S";
  if (job.input_is_preprocessed) return "preprocessed input";
  // Objective-C needs cc1obj/cc1objplus, which toolchain packages do not carry.
  if (job.language != "c" && job.language != "c++") return "language " + job.language;
  // Debug info, coverage notes and profiling embed what a compile of preprocessed text sees
  // differently (columns after macro expansion, source checksums), so the object would not be
  // the local one.
  if (job.hash_cwd) return "debug info, coverage or profiling";
  bool misleading_indentation = false;  // gcc: -Wall turns it on; it is off for preprocessed input
  for (const auto& a : job.args) {
    // Output of the preprocessor phase, or a compiler driver that prints what it runs.
    if (a == "-H" || a == "-v" || a == "-###" || a == "--verbose" || a == "-Q" || a == "-ftime-report" || a == "-fstack-usage") {
      return a;
    }
    if (a.rfind("-save-temps", 0) == 0 || a.rfind("-Wa,", 0) == 0 || a == "-Xassembler" || a.rfind("-frecord", 0) == 0) return a;
    // Source columns reach the object (sanitizer and LTO location data); the text was
    // converted to UTF-8 already.
    if (a.rfind("-fsanitize", 0) == 0 || a.rfind("-flto", 0) == 0 || a.rfind("-finput-charset", 0) == 0) return a;
    if (a == "-Wall" || a == "-Wmisleading-indentation") misleading_indentation = true;
    if (a == "-Wno-misleading-indentation" || a == "-Wno-all") misleading_indentation = false;
  }
  if (dialect.preprocessed_input_drops_misleading_indentation && misleading_indentation) return "-Wmisleading-indentation (gcc ignores it for preprocessed input)";
  return std::nullopt;
}

std::vector<std::string> dist_compile_args(const CArguments& job, const std::string& input_language) {
  std::vector<std::string> out{"-x", input_language, "-c", job.input, "-o", job.output};
  static const std::vector<std::string_view> preprocessor_only = {
      "-D", "-U", "-I", "-A", "-include", "-imacros", "-isystem", "-iquote", "-idirafter", "-iprefix",
      "-iwithprefix", "-iwithprefixbefore", "-iframework", "-imultilib", "-isysroot", "-Xpreprocessor"};
  for (size_t i = 0; i < job.args.size(); ++i) {
    const std::string& a = job.args[i];
    if (a.empty() || a[0] != '-') continue;  // the input
    const ArgSpec* spec = a.size() > 1 ? find_arg_spec(a) : nullptr;
    bool separate = spec != nullptr && i + 1 < job.args.size() &&
                    (spec->form == F::separate || (spec->form == F::joined_or_separate && a.size() == spec->name.size()));
    bool drop = false;
    if (spec != nullptr) {
      switch (spec->role) {
        case R::compile: case R::output: case R::language: case R::dep_flag: case R::dep_file: case R::dep_target:
        case R::wp:
          drop = true;
          break;
        default:
          drop = std::find(preprocessor_only.begin(), preprocessor_only.end(), spec->name) != preprocessor_only.end();
      }
    }
    if (a == "-nostdinc" || a == "-nostdinc++" || a == "-undef" || a == "-C" || a == "-CC" || a == "-trigraphs") drop = true;
    if (!drop) {
      out.push_back(a);
      if (separate) out.push_back(job.args[i + 1]);
    }
    if (separate) ++i;
  }
  return out;
}

}  // namespace sccache
