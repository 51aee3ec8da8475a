#include "compiler/c/gcc_args.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "util/fs.hpp"

namespace sccache {

namespace {

using F = ArgForm;
using R = ArgRole;

// One table for gcc and clang (clang accepts gcc's spellings). Anything not listed is an
// ordinary flag: kept and hashed. Flags whose effect we cannot capture are too_hard.
constexpr std::array kArgTable = {
    ArgSpec{"-", F::flag, R::too_hard},
    ArgSpec{"--coverage", F::flag, R::coverage},
    ArgSpec{"--param", F::separate, R::other},
    ArgSpec{"--save-temps", F::flag, R::too_hard},
    ArgSpec{"--serialize-diagnostics", F::separate, R::too_hard},
    ArgSpec{"--specs=", F::joined, R::too_hard},
    ArgSpec{"--sysroot", F::separate, R::other},
    ArgSpec{"--target", F::separate, R::other},
    ArgSpec{"-A", F::joined_or_separate, R::other},
    ArgSpec{"-B", F::joined_or_separate, R::too_hard},
    ArgSpec{"-D", F::joined_or_separate, R::other},
    ArgSpec{"-E", F::flag, R::too_hard},
    ArgSpec{"-F", F::joined_or_separate, R::other},
    ArgSpec{"-I", F::joined_or_separate, R::other},
    ArgSpec{"-L", F::joined_or_separate, R::other},
    ArgSpec{"-M", F::flag, R::too_hard},
    ArgSpec{"-MD", F::flag, R::dep_flag},
    ArgSpec{"-MF", F::joined_or_separate, R::dep_file},
    ArgSpec{"-MG", F::flag, R::dep_flag},
    ArgSpec{"-MJ", F::joined_or_separate, R::too_hard},
    ArgSpec{"-MM", F::flag, R::too_hard},
    ArgSpec{"-MMD", F::flag, R::dep_flag},
    ArgSpec{"-MP", F::flag, R::dep_flag},
    ArgSpec{"-MQ", F::joined_or_separate, R::dep_target},
    ArgSpec{"-MT", F::joined_or_separate, R::dep_target},
    ArgSpec{"-P", F::flag, R::too_hard},
    ArgSpec{"-S", F::flag, R::assemble},
    ArgSpec{"-T", F::joined_or_separate, R::other},
    ArgSpec{"-U", F::joined_or_separate, R::other},
    ArgSpec{"-Wa,", F::joined, R::wa},
    ArgSpec{"-Wp,", F::joined, R::wp},
    ArgSpec{"-Xassembler", F::separate, R::other},
    ArgSpec{"-Xclang", F::separate, R::xclang},
    ArgSpec{"-Xlinker", F::separate, R::other},
    ArgSpec{"-Xpreprocessor", F::separate, R::wp},
    ArgSpec{"-arch", F::separate, R::other},
    ArgSpec{"-aux-info", F::separate, R::too_hard},
    ArgSpec{"-c", F::flag, R::compile},
    ArgSpec{"-cxx-isystem", F::separate, R::other},
    ArgSpec{"-dependency-dot", F::separate, R::too_hard},
    ArgSpec{"-dependency-file", F::separate, R::too_hard},
    ArgSpec{"-dumpbase", F::separate, R::dump},
    ArgSpec{"-dumpbase-ext", F::separate, R::dump},
    ArgSpec{"-dumpdir", F::separate, R::dump},
    ArgSpec{"-emit-pch", F::flag, R::too_hard},
    ArgSpec{"-fauto-profile", F::flag, R::too_hard},
    ArgSpec{"-fauto-profile=", F::joined, R::too_hard},
    ArgSpec{"-fcallgraph-info", F::flag, R::too_hard},
    ArgSpec{"-fcallgraph-info=", F::joined, R::too_hard},
    ArgSpec{"-fcolor-diagnostics", F::flag, R::color},
    ArgSpec{"-fcoverage-mapping", F::flag, R::profile},
    ArgSpec{"-fcxx-modules", F::flag, R::too_hard},
    ArgSpec{"-fdebug-compilation-dir", F::separate, R::other},
    ArgSpec{"-fdiagnostics-color", F::flag, R::color},
    ArgSpec{"-fdiagnostics-color=", F::joined, R::color},
    ArgSpec{"-fdump-", F::joined, R::too_hard},
    ArgSpec{"-fmodule-file=", F::joined, R::too_hard},
    ArgSpec{"-fmodules", F::flag, R::too_hard},
    ArgSpec{"-fmodules-ts", F::flag, R::too_hard},
    ArgSpec{"-fno-color-diagnostics", F::flag, R::color},
    ArgSpec{"-fno-diagnostics-color", F::flag, R::color},
    ArgSpec{"-fplugin=", F::joined, R::too_hard},
    ArgSpec{"-fprofile-arcs", F::flag, R::profile},
    ArgSpec{"-fprofile-generate", F::flag, R::profile},
    ArgSpec{"-fprofile-generate=", F::joined, R::profile},
    ArgSpec{"-fprofile-instr-generate", F::flag, R::profile},
    ArgSpec{"-fprofile-instr-generate=", F::joined, R::profile},
    ArgSpec{"-fprofile-instr-use", F::flag, R::too_hard},
    ArgSpec{"-fprofile-instr-use=", F::joined, R::too_hard},
    ArgSpec{"-fprofile-list=", F::joined, R::too_hard},
    ArgSpec{"-fprofile-remapping-file=", F::joined, R::too_hard},
    ArgSpec{"-fprofile-sample-use=", F::joined, R::too_hard},
    ArgSpec{"-fprofile-use", F::flag, R::too_hard},
    ArgSpec{"-fprofile-use=", F::joined, R::too_hard},
    ArgSpec{"-frepo", F::flag, R::too_hard},
    ArgSpec{"-fsanitize-blacklist=", F::joined, R::too_hard},
    ArgSpec{"-fsanitize-ignorelist=", F::joined, R::too_hard},
    ArgSpec{"-fsave-optimization-record", F::flag, R::too_hard},
    ArgSpec{"-fsave-optimization-record=", F::joined, R::too_hard},
    ArgSpec{"-fstack-usage", F::flag, R::too_hard},
    ArgSpec{"-fsyntax-only", F::flag, R::too_hard},
    ArgSpec{"-ftest-coverage", F::flag, R::coverage},
    ArgSpec{"-ftime-trace", F::flag, R::too_hard},
    ArgSpec{"-ftime-trace=", F::joined, R::too_hard},
    ArgSpec{"-gcc-toolchain", F::separate, R::other},
    ArgSpec{"-gsplit-dwarf", F::flag, R::split_dwarf},
    ArgSpec{"-gsplit-dwarf=", F::joined, R::split_dwarf},
    ArgSpec{"-idirafter", F::joined_or_separate, R::other},
    ArgSpec{"-iframework", F::joined_or_separate, R::other},
    ArgSpec{"-imacros", F::joined_or_separate, R::other},
    ArgSpec{"-imultilib", F::joined_or_separate, R::other},
    ArgSpec{"-include", F::joined_or_separate, R::other},
    ArgSpec{"-include-pch", F::joined_or_separate, R::too_hard},
    ArgSpec{"-iprefix", F::joined_or_separate, R::other},
    ArgSpec{"-iquote", F::joined_or_separate, R::other},
    ArgSpec{"-isysroot", F::joined_or_separate, R::other},
    ArgSpec{"-isystem", F::joined_or_separate, R::other},
    ArgSpec{"-ivfsoverlay", F::separate, R::too_hard},
    ArgSpec{"-iwithprefix", F::joined_or_separate, R::other},
    ArgSpec{"-iwithprefixbefore", F::joined_or_separate, R::other},
    ArgSpec{"-l", F::joined_or_separate, R::other},
    ArgSpec{"-march=native", F::flag, R::too_hard},
    ArgSpec{"-mcpu=native", F::flag, R::too_hard},
    ArgSpec{"-mllvm", F::separate, R::other},
    ArgSpec{"-mtune=native", F::flag, R::too_hard},
    ArgSpec{"-o", F::joined_or_separate, R::output},
    ArgSpec{"-save-stats", F::flag, R::too_hard},
    ArgSpec{"-save-stats=", F::joined, R::too_hard},
    ArgSpec{"-save-temps", F::flag, R::too_hard},
    ArgSpec{"-save-temps=", F::joined, R::too_hard},
    ArgSpec{"-specs=", F::joined, R::too_hard},
    ArgSpec{"-target", F::separate, R::other},
    ArgSpec{"-u", F::joined_or_separate, R::other},
    ArgSpec{"-working-directory", F::separate, R::too_hard},
    ArgSpec{"-x", F::joined_or_separate, R::language},
    ArgSpec{"-z", F::separate, R::other},
};

std::string replace_ext(const std::string& path, const std::string& ext) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + ext;
  return path.substr(0, dot) + ext;
}

bool is_preprocessed_language(std::string_view lang) {
  return lang == "cpp-output" || lang == "c++-cpp-output" || lang == "objective-c-cpp-output" ||
         lang == "objective-c++-cpp-output" || lang == "assembler";
}

bool is_supported_language(std::string_view lang) {
  static const std::set<std::string_view> ok = {
      "c", "c++", "objective-c", "objective-c++", "assembler", "assembler-with-cpp",
      "cpp-output", "c++-cpp-output", "objective-c-cpp-output", "objective-c++-cpp-output"};
  return ok.count(lang) != 0;
}

struct ParseState {
  bool compile = false;
  bool assemble = false;
  bool deps = false;
  bool dep_target = false;
  bool split_dwarf = false;
  bool coverage = false;
  bool profile = false;
  bool debug = false;
  std::string output;
  std::string dep_file;
  std::string language;          // from -x, "" = by extension
  std::string input_language;    // -x in force when the input was seen
  std::vector<std::string> inputs;
  std::vector<std::string> preprocess_args;
  std::vector<std::string> dep_args;
  ColorMode color = ColorMode::automatic;
};

void apply_color(ParseState& st, std::string_view arg) {
  if (arg == "-fcolor-diagnostics" || arg == "-fdiagnostics-color" || arg == "-fdiagnostics-color=always") {
    st.color = ColorMode::on;
  } else if (arg == "-fno-color-diagnostics" || arg == "-fno-diagnostics-color" || arg == "-fdiagnostics-color=never") {
    st.color = ColorMode::off;
  } else {
    st.color = ColorMode::automatic;
  }
}

// The client's terminal wants colour, the compiler's pipe would get none, and the flag would not
// be recorded in the object (with these it would, so the object would differ).
bool wants_forced_color(const CDialect& dialect, const CArguments& job, const Invocation& inv) {
  if (dialect.force_color_flag.empty() || job.color != ColorMode::automatic || !inv.stderr_is_tty) return false;
  auto term = env_value(inv.env, "TERM");
  if (term && *term == "dumb") return false;
  for (const auto& a : job.args) {
    if (a == "-grecord-command-line" || a == "-frecord-command-line" || a == "-grecord-gcc-switches" ||
        a == "-frecord-gcc-switches") {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const ArgSpec> arg_table() { return kArgTable; }

bool xclang_too_hard(std::string_view v) {
  static const std::set<std::string_view> bad = {
      "-load", "-plugin", "-add-plugin", "-include-pch", "-emit-pch", "-emit-module", "-fmodules",
      "-dependency-file", "-MT", "-MF", "-MD", "-fmodule-file", "-ast-dump", "-E", "-fsyntax-only"};
  return bad.count(v) != 0 || v.rfind("-fmodule", 0) == 0 || v.rfind("-plugin-arg", 0) == 0;
}

const ArgSpec* find_arg_spec(std::string_view arg) {
  const ArgSpec* best = nullptr;
  for (const auto& spec : kArgTable) {
    bool match = false;
    if (spec.form == F::flag || spec.form == F::separate) {
      match = arg == spec.name;
    } else {
      match = arg.substr(0, spec.name.size()) == spec.name;
    }
    if (match && (best == nullptr || spec.name.size() > best->name.size())) best = &spec;
  }
  return best;
}

std::vector<std::string> split_response_file(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  const size_t n = text.size();
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (i < n) {
    while (i < n && is_space(text[i])) ++i;
    if (i >= n) break;
    std::string arg;
    bool squote = false;
    bool dquote = false;
    bool escape = false;
    for (; i < n; ++i) {
      char c = text[i];
      if (is_space(c) && !squote && !dquote && !escape) break;
      if (escape) {
        arg.push_back(c);
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (squote) {
        if (c == '\'') squote = false; else arg.push_back(c);
      } else if (dquote) {
        if (c == '"') dquote = false; else arg.push_back(c);
      } else if (c == '\'') {
        squote = true;
      } else if (c == '"') {
        dquote = true;
      } else {
        arg.push_back(c);
      }
    }
    out.push_back(std::move(arg));
  }
  return out;
}

Expected<std::vector<std::string>> expand_response_files(const std::vector<std::string>& args, const std::string& cwd) {
  return expand_response_files_with(args, cwd, [](std::string_view bytes) -> Expected<std::vector<std::string>> {
    return split_response_file(bytes);
  });
}

std::string language_for_extension(std::string_view path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string_view ext = path.substr(dot + 1);
  if (ext == "c") return "c";
  if (ext == "cc" || ext == "cp" || ext == "cxx" || ext == "cpp" || ext == "CPP" || ext == "c++" || ext == "C") return "c++";
  if (ext == "i") return "cpp-output";
  if (ext == "ii") return "c++-cpp-output";
  if (ext == "m") return "objective-c";
  if (ext == "mi") return "objective-c-cpp-output";
  if (ext == "mm" || ext == "M") return "objective-c++";
  if (ext == "mii") return "objective-c++-cpp-output";
  if (ext == "s") return "assembler";
  if (ext == "S" || ext == "sx") return "assembler-with-cpp";
  return "";
}

const std::vector<std::string_view>& c_key_env_vars() {
  static const std::vector<std::string_view> vars = {
      "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LANGUAGE", "COLUMNS", "GCC_COLORS", "GCC_URLS",
      "TERM_URLS", "GCC_COMPARE_DEBUG", "GCC_EXEC_PREFIX", "COMPILER_PATH", "GCC_EXTRA_DIAGNOSTIC_OUTPUT",
      "CCC_OVERRIDE_OPTIONS", "SOURCE_DATE_EPOCH", "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH",
      "OBJC_INCLUDE_PATH", "MACOSX_DEPLOYMENT_TARGET", "IPHONEOS_DEPLOYMENT_TARGET"};
  return vars;
}

namespace {

// What one argument of a known role does to the scan; a refusal ends it. `keep` says whether the
// preprocessor run gets the argument.
std::optional<NotCacheable> apply_role(ParseState& st, const ArgSpec& spec, const std::string& arg,
                                       const std::string& value, bool& keep) {
  switch (spec.role) {
    case R::too_hard: return NotCacheable{std::string(spec.name)};
    case R::dump: return NotCacheable{std::string(spec.name)};
    case R::compile: st.compile = true; keep = false; break;
    case R::assemble: st.assemble = true; keep = false; break;
    case R::output:
      if (value == "-") return NotCacheable{"-o -"};
      st.output = value;
      keep = false;
      break;
    case R::language:
      st.language = value == "none" ? "" : value;
      if (!st.language.empty() && !is_supported_language(st.language)) return NotCacheable{"-x"};
      break;
    case R::dep_flag:
      if (arg == "-MD" || arg == "-MMD") st.deps = true;
      keep = false;
      break;
    case R::dep_file: st.dep_file = value; keep = false; break;
    case R::dep_target: st.dep_target = true; keep = false; break;
    case R::split_dwarf: st.split_dwarf = true; st.debug = true; break;
    case R::coverage: st.coverage = true; st.profile = true; break;
    case R::profile: st.profile = true; break;
    case R::xclang:
      if (xclang_too_hard(value)) return NotCacheable{"-Xclang " + value};
      break;
    case R::wp:
      if (value.find("-M") != std::string::npos || arg.find("-M") != std::string::npos) return NotCacheable{"-Wp,-M"};
      break;
    case R::wa:
      if (value.rfind("-a", 0) == 0 || value.find(",-a") != std::string::npos || value.find("--MD") != std::string::npos) {
        return NotCacheable{"-Wa,-a"};
      }
      break;
    case R::color: apply_color(st, arg); break;
    case R::other: break;
  }
  return std::nullopt;
}

// One option (args[i] starts with '-'); `i` moves past a separate value. A refusal ends the scan.
std::optional<NotCacheable> scan_option(ParseState& st, const std::vector<std::string>& args, size_t& i) {
  const std::string& arg = args[i];
  const ArgSpec* spec = find_arg_spec(arg);
  std::string value;
  bool takes_next = false;
  if (spec != nullptr) {
    if (spec->form == F::separate || (spec->form == F::joined_or_separate && arg.size() == spec->name.size())) {
      if (i + 1 >= args.size()) return NotCacheable{"argument parse"};
      takes_next = true;
      value = args[i + 1];
    } else if (spec->form != F::flag) {
      value = arg.substr(spec->name.size());
    }
  }
  ArgRole role = spec == nullptr ? R::other : spec->role;
  if (spec == nullptr && arg.rfind("-g", 0) == 0 && arg != "-g0") st.debug = true;
  bool keep_for_preprocess = true;
  if (spec != nullptr) {
    if (auto refusal = apply_role(st, *spec, arg, value, keep_for_preprocess)) return refusal;
  }
  if (keep_for_preprocess) {
    st.preprocess_args.push_back(arg);
    if (takes_next) st.preprocess_args.push_back(value);
  }
  if (role == R::dep_flag || role == R::dep_file || role == R::dep_target) {
    st.dep_args.push_back(arg);
    if (takes_next) st.dep_args.push_back(value);
  }
  if (takes_next) ++i;
  return std::nullopt;
}

// After the scan: one input of a known language; the outputs and what the key must hold.
CParseResult job_from_scan(ParseState&& st, const std::vector<std::string>& args) {
  if (!st.compile && !st.assemble) return NotCompilation{};
  if (st.compile && st.assemble) return NotCacheable{"-S with -c"};
  if (st.inputs.size() > 1) return NotCacheable{"multiple input files"};
  if (st.inputs.empty()) return NotCacheable{"no input file"};
  CArguments job;
  job.input = st.inputs[0];
  job.language = st.input_language.empty() ? language_for_extension(job.input) : st.input_language;
  if (job.language.empty()) return NotCacheable{"unknown source language"};
  job.args = args;
  job.input_is_preprocessed = is_preprocessed_language(job.language);
  job.output = st.output.empty() ? replace_ext(basename_of(job.input), st.assemble ? ".s" : ".o") : st.output;
  job.preprocess_args = std::move(st.preprocess_args);
  job.preprocess_args.push_back("-E");
  job.outputs.push_back({"obj", job.output, true});
  if (st.deps) job.outputs.push_back({"d", st.dep_file.empty() ? replace_ext(job.output, ".d") : st.dep_file, true});
  if (st.deps) {
    // What the driver passes its compiler proper (`gcc -###`: `-MQ out`; clang: `-MT out`).
    job.dep_args = std::move(st.dep_args);
    if (st.dep_file.empty()) job.dep_args.insert(job.dep_args.end(), {"-MF", job.outputs.back().path});
    if (!st.dep_target) job.dep_args.insert(job.dep_args.end(), {"-MQ", job.output});
  }
  job.assemble_only = st.assemble;
  if (st.split_dwarf) job.outputs.push_back({"dwo", replace_ext(job.output, ".dwo"), false});
  if (st.coverage) job.outputs.push_back({"gcno", replace_ext(job.output, ".gcno"), false});
  job.hash_cwd = st.debug || st.profile;
  job.hash_output_path = (st.deps && !st.dep_target) || st.split_dwarf || st.profile;
  job.color = st.color;
  return job;
}

}  // namespace

CParseResult parse_c_arguments(const CDialect& dialect, const Invocation& inv) {
  auto expanded = expand_response_files(inv.args, inv.cwd);
  if (!expanded) return NotCacheable{"@"};
  for (const char* var : {"DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES"}) {
    if (env_value(inv.env, var)) return NotCacheable{var};
  }
  const std::vector<std::string>& args = *expanded;
  ParseState st;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      if (arg == "-") return NotCacheable{"-"};
      st.inputs.push_back(arg);
      st.input_language = st.language;
      st.preprocess_args.push_back(arg);
      continue;
    }
    if (auto refusal = scan_option(st, args, i)) return std::move(*refusal);
  }
  CParseResult parsed = job_from_scan(std::move(st), args);
  if (auto* job = std::get_if<CArguments>(&parsed); job != nullptr && wants_forced_color(dialect, *job, inv)) {
    job->compile_extra_args.emplace_back(dialect.force_color_flag);
  }
  return parsed;
}

}  // namespace sccache
