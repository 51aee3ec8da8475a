// parse_msvc_arguments: one scan over the expanded command line with the option table of
// msvc_args.cpp, then the outputs and what the key must hold.
#include "compiler/msvc/msvc_args.hpp"
#include "compiler/msvc/msvc_response_files.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

using F = MsvcForm;
using R = MsvcRole;

struct Input {
  std::string path;
  std::string language;  // "" = by extension
};

struct MsvcScan {
  MsvcScan(const MsvcDialect& d, const Invocation& i) : dialect(d), inv(i) {}
  const MsvcDialect& dialect;
  const Invocation& inv;
  MsvcArguments job;
  bool compile = false;
  bool listing = false;
  bool debug_pdb = false;
  bool after_link = false;
  bool only_inputs = false;
  std::optional<std::string> fo, fd, fa, fp, source_deps, clang_mf;
  std::optional<std::string> yc, yu;
  bool pch_off = false;  // /Y-: every /Yc and /Yu is ignored
  std::string all_language;  // /TC /TP
  std::vector<Input> inputs;
};

std::string too_hard_reason(const MsvcArgSpec& spec, const std::string& value) {
  std::string reason = "/" + std::string(spec.name);
  if (spec.form == F::joined && !value.empty() && value.size() <= 8 && value.find_first_of("/\\") == std::string::npos) {
    reason += value;
  }
  return reason;
}

bool is_nul(const std::string& path) {
  std::string lower;
  for (char c : path) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  return lower == "nul" || lower == "nul.obj" || lower == "/dev/null";
}

// A clang driver option behind /clang: (clang-cl). Dependency files are outputs; whatever else
// changes what is written, or where, is refused.
// What a clang driver option does to the job whoever passes it (/clang:, or clang-cl's own `-f`
// and `-g` spellings): debug info and coverage put paths in the object; options that read or write
// files the key cannot see are refused. nullopt with `spec` set: a role the caller handles.
std::optional<NotCacheable> classify_clang_option(MsvcScan& st, const std::string& option, const ArgSpec* spec,
                                                  std::string_view reason_prefix) {
  if (option.rfind("-g", 0) == 0 && option != "-g0") st.job.debug_info = true;
  if (option == "-fcolor-diagnostics" || option == "-fdiagnostics-color") st.job.color = ColorMode::on;
  if (option == "-fno-color-diagnostics" || option == "-fno-diagnostics-color") st.job.color = ColorMode::off;
  if (spec == nullptr) return std::nullopt;
  switch (spec->role) {
    case ArgRole::other: case ArgRole::color: case ArgRole::dep_flag: case ArgRole::dep_file: case ArgRole::dep_target:
      return std::nullopt;
    case ArgRole::profile: st.job.debug_info = true; return std::nullopt;  // the object records the cwd
    default: return NotCacheable{std::string(reason_prefix) + std::string(spec->name)};
  }
}

std::optional<NotCacheable> apply_clang_option(MsvcScan& st, const std::vector<std::string>& args, size_t& i,
                                               const std::string& option, bool& keep, bool& location) {
  const ArgSpec* spec = find_arg_spec(option);
  if (auto refusal = classify_clang_option(st, option, spec, "/clang:")) return refusal;
  if (spec == nullptr || spec->role == ArgRole::other || spec->role == ArgRole::color || spec->role == ArgRole::profile) {
    return std::nullopt;
  }
  // The value of a separate form is the next /clang: argument.
  auto value = [&]() -> std::optional<std::string> {
    if (option.size() > spec->name.size()) return option.substr(spec->name.size());
    if (i + 1 < args.size() && args[i + 1].rfind("/clang:", 0) == 0) return args[++i].substr(7);
    return std::nullopt;
  };
  keep = false;
  switch (spec->role) {
    case ArgRole::dep_flag:
      if (option == "-MD" || option == "-MMD") st.job.clang_deps = true;
      return std::nullopt;
    case ArgRole::dep_file: {
      auto v = value();
      if (!v) return NotCacheable{"argument parse"};
      st.clang_mf = *v;
      location = true;
      return std::nullopt;
    }
    case ArgRole::dep_target:
      if (!value()) return NotCacheable{"argument parse"};
      return std::nullopt;
    default: return NotCacheable{"/clang:" + std::string(spec->name)};
  }
}

// clang-cl takes clang's `-f...` and `-g...` options directly too (not /guard:, cl's own).
bool is_direct_clang_option(const MsvcScan& st, const std::string& arg) {
  return st.dialect.clang_driver && arg.size() > 2 && (arg[1] == 'f' || arg[1] == 'g') && arg.compare(1, 6, "guard:") != 0;
}

// The value of an option at args[i] (moving i past a separate one); nullopt if it is missing.
std::optional<std::string> option_value(const MsvcScan& st, const MsvcArgSpec& spec, const std::vector<std::string>& args,
                                        size_t& i) {
  const std::string& arg = args[i];
  std::string joined = arg.substr(1 + spec.name.size());
  bool colon_form = st.dialect.colon_output_forms && joined.starts_with(":") &&
                    (spec.role == R::output || spec.role == R::pdb || spec.role == R::listing_file || spec.role == R::pch_file);
  if (colon_form) joined.erase(0, 1);
  bool separate = spec.form == F::separate || (spec.form == F::joined_or_separate && joined.empty()) ||
                  (colon_form && joined.empty());
  if (!separate) return joined;
  if (i + 1 >= args.size()) return std::nullopt;
  return args[++i];
}

std::optional<NotCacheable> apply_msvc_role(MsvcScan& st, const MsvcArgSpec& spec, const std::string& value,
                                            bool& keep) {
  auto& job = st.job;
  switch (spec.role) {
    case R::too_hard:
      // clang-cl only warns "argument unused" for these (the warning is replayed with stderr).
      if (st.dialect.clang_driver && (spec.name == "FR" || spec.name == "Fr" || spec.name == "Fx" || spec.name == "doc")) break;
      return NotCacheable{too_hard_reason(spec, value)};
    case R::not_compilation: return std::nullopt;  // handled by the caller
    case R::compile: st.compile = true; keep = false; break;
    case R::output: st.fo = value; keep = false; break;
    case R::pdb: st.fd = value; keep = false; break;
    case R::listing: st.listing = true; keep = false; break;
    case R::listing_file: st.fa = value; keep = false; break;
    case R::pch_file: st.fp = value; keep = false; break;
    case R::pch_create: st.yc = value; keep = false; break;
    case R::pch_use: st.yu = value; keep = false; break;
    case R::pch_off: st.pch_off = true; break;
    case R::debug_object: job.debug_info = true; break;
    case R::debug_pdb: job.debug_info = true; st.debug_pdb = true; break;
    case R::show_includes: job.show_includes = true; keep = false; break;
    case R::source_deps: st.source_deps = value; keep = false; break;
    case R::deps_file:
      if (value.empty()) return NotCacheable{"-deps"};
      job.deps_file = value;
      keep = false;
      break;
    case R::lang_c_file: st.inputs.push_back({value, "c"}); break;
    case R::lang_cpp_file: st.inputs.push_back({value, "c++"}); break;
    case R::lang_all_c: st.all_language = "c"; break;
    case R::lang_all_cpp: st.all_language = "c++"; break;
    case R::preprocessor: break;
    case R::external_env: job.env_key_vars.push_back(value); break;
    case R::full_paths: job.full_paths = true; break;
    case R::xclang:
      if (xclang_too_hard(value)) return NotCacheable{"-Xclang " + value};
      break;
    case R::clang_option: break;  // handled by the caller
    case R::end_of_options: st.only_inputs = true; break;  // the /E run needs it too
    case R::link: st.after_link = true; keep = false; break;
    case R::other: break;
  }
  return std::nullopt;
}

bool names_a_location(const MsvcArgSpec& spec) {
  switch (spec.role) {
    case R::output: case R::pdb: case R::listing_file: case R::pch_file: case R::source_deps: case R::deps_file:
      return true;
    default: return false;
  }
}

// A positional argument (or any after `--`): an input.
std::optional<MsvcParseResult> take_input(MsvcScan& st, const std::string& arg) {
  if (arg == "-") return NotCacheable{"-"};
  st.inputs.push_back({arg, ""});
  st.job.preprocess_args.push_back(arg);
  st.job.hashed_args.push_back(arg);
  return std::nullopt;
}

// One argument; a refusal or NotCompilation ends the scan.
std::optional<MsvcParseResult> scan_argument(MsvcScan& st, const std::vector<std::string>& args, size_t& i) {
  const std::string& arg = args[i];
  auto& job = st.job;
  if (st.after_link) {  // the linker's; ignored by a compile
    job.hashed_args.push_back(arg);
    return std::nullopt;
  }
  const MsvcArgSpec* spec = st.only_inputs ? nullptr : find_msvc_arg_spec(arg);
  bool is_option = !st.only_inputs && arg.size() > 1 && (arg[0] == '-' || arg[0] == '/');
  // clang-cl on a POSIX host takes a `/path` that is no option for a file name.
  if (spec == nullptr && is_option && arg[0] == '/' && st.dialect.clang_driver && stat_file(absolute_from(st.inv.cwd, arg))) {
    is_option = false;
  }
  if (!is_option) return take_input(st, arg);
  if (spec == nullptr) {  // an ordinary flag
    if (is_direct_clang_option(st, arg)) {
      std::string option = "-" + arg.substr(1);
      const ArgSpec* clang_spec = find_arg_spec(option);
      bool dependency = clang_spec != nullptr && (clang_spec->role == ArgRole::dep_flag || clang_spec->role == ArgRole::dep_file ||
                                                  clang_spec->role == ArgRole::dep_target);
      if (dependency) return NotCacheable{arg};
      if (auto refusal = classify_clang_option(st, option, clang_spec, "")) return std::move(*refusal);
    }
    for (auto* list : {&job.preprocess_args, &job.hashed_args, &job.dist_args}) list->push_back(arg);
    return std::nullopt;
  }
  if (spec->role == R::not_compilation) return NotCompilation{};
  size_t first = i;
  auto value = spec->form == F::flag ? std::optional<std::string>("") : option_value(st, *spec, args, i);
  if (!value) return NotCacheable{"argument parse"};
  bool keep = true;
  bool location = names_a_location(*spec);
  std::optional<NotCacheable> refusal;
  if (spec->role == R::clang_option) {
    refusal = apply_clang_option(st, args, i, *value, keep, location);
  } else {
    refusal = apply_msvc_role(st, *spec, *value, keep);
  }
  if (refusal) return std::move(*refusal);
  for (size_t k = first; k <= i; ++k) {
    job.hashed_args.push_back(!location ? args[k] : spec->role == R::clang_option ? "/clang:-MF" : "/" + std::string(spec->name));
    if (keep) job.preprocess_args.push_back(args[k]);
    if (keep && spec->role != R::preprocessor && spec->role != R::lang_c_file && spec->role != R::lang_cpp_file &&
        spec->role != R::end_of_options) {
      job.dist_args.push_back(args[k]);
    }
  }
  return std::nullopt;
}

// /Yc and /Yu: the header they name and the .pch file (from /Fp, or named after the header).
std::optional<NotCacheable> apply_pch(MsvcScan& st) {
  auto& job = st.job;
  if (st.pch_off) return std::nullopt;
  if (st.yc && st.yu) return NotCacheable{"/Yc with /Yu"};
  const std::optional<std::string>& header = st.yc ? st.yc : st.yu;
  if (!header) return std::nullopt;
  const char* flag = st.yc ? "/Yc" : "/Yu";
  if (header->empty()) return NotCacheable{std::string(flag) + " without a header name"};
  job.pch = st.yc ? MsvcArguments::Pch::create : MsvcArguments::Pch::use;
  job.pch_header = *header;
  if (st.fp && !st.fp->empty() && (st.fp->back() == '/' || st.fp->back() == '\\')) return NotCacheable{"/Fp directory"};
  if (st.fp && !st.fp->empty()) {
    job.pch_path = msvc_with_default_extension(*st.fp, ".pch");
  } else if (st.dialect.pch_default_from_header) {
    job.pch_path = msvc_with_extension(*header, ".pch");  // clang-cl: inc/pch.h -> inc/pch.pch
  } else {
    return NotCacheable{std::string(flag) + " without /Fp"};
  }
  if (job.pch == MsvcArguments::Pch::create) job.outputs.push_back({"pch", job.pch_path, true});
  return std::nullopt;
}

// The files a compile writes besides the object.
std::optional<NotCacheable> add_outputs(MsvcScan& st) {
  auto& job = st.job;
  if (st.debug_pdb && st.dialect.zi_writes_pdb) {
    // One PDB shared by every object of a directory (the default vc140.pdb) cannot be cached.
    if (!st.fd || st.fd->empty() || st.fd->back() == '/' || st.fd->back() == '\\') return NotCacheable{"shared pdb"};
    std::string pdb = msvc_with_default_extension(*st.fd, ".pdb");
    // cl.exe adds to an existing PDB: what it holds afterwards is not this compile's alone.
    if (stat_file(absolute_from(st.inv.cwd, pdb))) return NotCacheable{"pdb file exists"};
    job.outputs.push_back({"pdb", pdb, true});
  }
  if (st.fa && !st.listing) return NotCacheable{"/Fa without /FA"};
  if (st.listing) job.outputs.push_back({"asm", msvc_object_name(job.input, st.fa.value_or(""), ".asm"), true});
  if (job.clang_deps) job.outputs.push_back({"d", st.clang_mf.value_or(msvc_with_extension(msvc_file_part(job.input), ".d")), true});
  if (st.source_deps && st.dialect.writes_source_dependencies) {
    if (st.source_deps->empty() || st.source_deps->back() == '/' || st.source_deps->back() == '\\' || *st.source_deps == "-") {
      return NotCacheable{"/sourceDependencies"};
    }
    job.outputs.push_back({"srcdeps", *st.source_deps, true});
  }
  if (job.deps_file) {
    if (!st.dialect.clang_driver) return NotCacheable{"-deps (use /sourceDependencies with cl.exe)"};
    job.outputs.push_back({"deps", *job.deps_file, true});
  }
  return apply_pch(st);
}

MsvcParseResult job_from_scan(MsvcScan& st) {
  if (!st.compile) return NotCompilation{};
  if (st.inputs.size() > 1) return NotCacheable{"multiple input files"};
  if (st.inputs.empty()) return NotCacheable{"no input file"};
  auto& job = st.job;
  job.input = st.inputs[0].path;
  job.language = !st.inputs[0].language.empty() ? st.inputs[0].language
                 : !st.all_language.empty()     ? st.all_language
                                                : language_for_extension(job.input);
  if (job.language != "c" && job.language != "c++") return NotCacheable{"unknown source language"};
  if (st.fo && is_nul(*st.fo)) return NotCacheable{"output to nul"};
  job.output = msvc_object_name(job.input, st.fo.value_or(""), ".obj");
  // Locations nothing is written to, but a warning names ("argument unused"): hashed.
  if (st.fp && (st.pch_off || (!st.yc && !st.yu))) job.hashed_args.push_back("/Fp=" + *st.fp);
  if (st.source_deps && !st.dialect.writes_source_dependencies) job.hashed_args.push_back("/sourceDependencies=" + *st.source_deps);
  job.outputs.push_back({"obj", job.output, true});
  if (auto refusal = add_outputs(st)) return std::move(*refusal);
  return std::move(job);
}

}  // namespace

// The command line the driver acts on: the CL variable's options first, then the arguments
// (response files expanded), then _CL_'s, as cl.exe and clang-cl read them.
std::optional<std::vector<std::string>> effective_arguments(const Invocation& inv) {
  std::vector<std::string> given;
  if (auto cl = env_value(inv.env, "CL")) given = split_windows_command_line(*cl);
  given.insert(given.end(), inv.args.begin(), inv.args.end());
  if (auto tail = env_value(inv.env, "_CL_")) {
    for (auto& a : split_windows_command_line(*tail)) given.push_back(std::move(a));
  }
  auto expanded = expand_msvc_response_files(given, inv.cwd);
  if (!expanded) return std::nullopt;
  return std::move(*expanded);
}

MsvcParseResult parse_msvc_arguments(const MsvcDialect& dialect, const Invocation& inv) {
  auto expanded = effective_arguments(inv);
  if (!expanded) return NotCacheable{"@"};
  MsvcScan st(dialect, inv);
  st.job.args = std::move(*expanded);
  st.job.preprocess_args.emplace_back("/E");
  const auto& args = st.job.args;
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto ended = scan_argument(st, args, i)) return std::move(*ended);
  }
  return job_from_scan(st);
}

}  // namespace sccache
