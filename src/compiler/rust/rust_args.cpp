#include "compiler/rust/rust_args.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Options that take a value: long ones as `--x v` or `--x=v`, short ones as `-X v` or `-Xv`.
const std::set<std::string, std::less<>>& long_with_value() {
  static const std::set<std::string, std::less<>> s = {
      "--allow", "--cap-lints", "--cfg", "--check-cfg", "--codegen", "--color", "--crate-name", "--crate-type",
      "--deny", "--diagnostic-width", "--edition", "--emit", "--env-set", "--error-format", "--explain",
      "--extern", "--forbid", "--force-warn", "--json", "--out-dir", "--pretty", "--print", "--remap-path-prefix",
      "--sysroot", "--target", "--unpretty", "--warn", "--crate-attr", "--extern-location", "--cfg-trace"};
  return s;
}

bool short_with_value(char c) { return std::string_view("CLlAWDFZo").find(c) != std::string_view::npos; }

struct Opt {
  std::string name;   // "--crate-name", "-C", "" for a positional argument
  std::string value;  // the value (or the positional argument)
  bool has_value = false;
};

// Splits the arguments into options; error = an option lacks its value.
Expected<std::vector<Opt>> tokenize(const std::vector<std::string>& args) {
  std::vector<Opt> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (starts_with(a, "--") && a.size() > 2) {
      auto eq = a.find('=');
      std::string name = a.substr(0, eq);
      if (long_with_value().count(name) != 0) {
        if (eq != std::string::npos) {
          out.push_back({name, a.substr(eq + 1), true});
        } else if (i + 1 < args.size()) {
          out.push_back({name, args[++i], true});
        } else {
          return make_error(name + " needs a value");
        }
      } else {
        out.push_back({a, "", false});
      }
    } else if (a.size() >= 2 && a[0] == '-' && a[1] != '-' && short_with_value(a[1])) {
      std::string name = a.substr(0, 2);
      if (a.size() > 2) {
        out.push_back({name, a.substr(2), true});
      } else if (i + 1 < args.size()) {
        out.push_back({name, args[++i], true});
      } else {
        return make_error(name + " needs a value");
      }
    } else if (a.size() >= 2 && a[0] == '-') {
      out.push_back({a, "", false});
    } else {
      out.push_back({"", a, true});  // input (or "-")
    }
  }
  return out;
}

Expected<std::vector<std::string>> expand_argfiles(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (a.size() > 1 && a[0] == '@') {
      auto text = read_file(absolute_from(cwd, a.substr(1)));
      if (!text) return make_error("cannot read argfile " + a.substr(1));
      auto lines = split(*text, '\n');
      if (!lines.empty() && lines.back().empty()) lines.pop_back();
      for (auto& l : lines) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        out.push_back(std::move(l));
      }
    } else {
      out.push_back(a);
    }
  }
  return out;
}

// `-l [KIND[:MODIFIERS]=]NAME[:RENAME]`: the kind ("static", "dylib", ...) and the name.
std::pair<std::string, std::string> split_link_lib(const std::string& v) {
  std::string kind, name = v;
  if (auto eq = v.find('='); eq != std::string::npos) {
    kind = v.substr(0, eq);
    name = v.substr(eq + 1);
  }
  if (auto colon = kind.find(':'); colon != std::string::npos) kind = kind.substr(0, colon);
  if (auto colon = name.find(':'); colon != std::string::npos) name = name.substr(0, colon);
  return {kind, name};
}

}  // namespace

bool RustArguments::links() const {
  return std::any_of(crate_types.begin(), crate_types.end(),
                     [](const std::string& t) { return t == "proc-macro" || t == "dylib"; });
}

namespace {

// What the option scan collects besides the job itself.
struct RustScan {
  RustArguments job;
  std::vector<std::string> inputs;
  bool has_crate_type = false;
  bool has_emit = false;
  std::vector<std::pair<std::string, std::string>> link_libs;  // kind, name
  std::vector<std::string> native_dirs;                        // -L native=/all=/plain
};

// `-C opt[=val]`: the codegen options that defeat caching, or name outputs or the linker.
std::optional<RustParseResult> apply_codegen(RustArguments& job, const std::string& v) {
  std::string opt = v.substr(0, v.find('='));
  std::string val = v.find('=') == std::string::npos ? "" : v.substr(v.find('=') + 1);
  if (opt == "incremental") return NotCacheable{"incremental"};
  if (opt == "save-temps") return NotCacheable{"-C save-temps"};
  if (opt == "profile-use") return NotCacheable{"-C profile-use"};
  if (opt == "split-debuginfo" && val != "off") return NotCacheable{"-C split-debuginfo"};
  if (opt == "extra-filename") job.extra_filename = val;
  if (opt == "linker") job.linker = val;
  return std::nullopt;
}

// The options rustc reads a value of that change what the job is. `key_tokens` (what goes into
// the key) and `to_depinfo` (whether the pre-pass gets it) may be changed; a refusal ends the scan.
std::optional<RustParseResult> apply_value_option(RustScan& scan, const Opt& o, const std::string& cwd,
                                                  std::vector<std::string>& key_tokens, bool& to_depinfo) {
  const std::string& n = o.name;
  const std::string& v = o.value;
  RustArguments& job = scan.job;
  if (n == "--crate-name") {
    job.crate_name = v;
  } else if (n == "--crate-type") {
    scan.has_crate_type = true;
    for (auto t : split(v, ',')) {
      if (t == "lib") t = "rlib";
      if (t != "rlib" && t != "staticlib" && t != "proc-macro" && t != "dylib") return NotCacheable{"crate-type " + t};
      job.crate_types.push_back(t);
    }
  } else if (n == "--emit") {
    scan.has_emit = true;
    to_depinfo = false;
    for (const auto& e : split(v, ',')) {
      if (e.find('=') != std::string::npos) return NotCacheable{"--emit with a path"};
      if (e != "link" && e != "metadata" && e != "dep-info") return NotCacheable{"unsupported --emit"};
      job.emit.push_back(e);
    }
  } else if (n == "--out-dir") {
    job.out_dir = absolute_from(cwd, v);
    key_tokens = {n};
    to_depinfo = false;
  } else if (n == "--extern") {
    // [modifiers:]name[=path]
    std::string spec = v, path;
    if (auto eq = spec.find('='); eq != std::string::npos) {
      path = spec.substr(eq + 1);
      spec = spec.substr(0, eq);
    }
    key_tokens = {n, spec};
    std::string name = spec.substr(spec.rfind(':') == std::string::npos ? 0 : spec.rfind(':') + 1);
    job.externs.push_back({name, path.empty() ? "" : absolute_from(cwd, path)});
  } else if (n == "-L") {
    std::string kind, dir = v;
    if (auto eq = v.find('='); eq != std::string::npos) {
      kind = v.substr(0, eq);
      dir = v.substr(eq + 1);
    }
    if (kind.empty() || kind == "native" || kind == "all") scan.native_dirs.push_back(absolute_from(cwd, dir));
    key_tokens = {n, kind + "="};
  } else if (n == "-l") {
    scan.link_libs.push_back(split_link_lib(v));
  } else if (n == "-C" || n == "--codegen") {
    key_tokens = {"-C", v};
    return apply_codegen(job, v);
  } else if (n == "--target") {
    if (v.ends_with(".json") || v.find('/') != std::string::npos) return NotCacheable{"target spec file"};
    if (v.find("linux") == std::string::npos) return NotCacheable{"non-Linux target"};
    job.target = v;
  }
  return std::nullopt;
}

// One option of the scan; a refusal ends it.
std::optional<RustParseResult> scan_option(RustScan& scan, const Opt& o, const std::string& cwd) {
  const std::string& n = o.name;
  const std::string& v = o.value;
  RustArguments& job = scan.job;
  if (n.empty()) {
    scan.inputs.push_back(v);
    job.key_args.push_back(v);
    job.depinfo_args.push_back(v);
    return std::nullopt;
  }
  if (n == "-V" || n == "--version" || n == "-vV" || n == "-h" || n == "--help" || n == "--explain") {
    return NotCompilation{};
  }
  if (n == "--print") {
    job.key_args.insert(job.key_args.end(), {n, v});
    return std::nullopt;
  }
  if (n == "-o") return NotCacheable{"-o"};
  if (n == "--sysroot") return NotCacheable{"--sysroot"};
  if (n == "--test") return NotCacheable{"--test"};
  if (n == "-Z") return NotCacheable{"-Z"};
  if (n == "--pretty" || n == "--unpretty") return NotCompilation{};
  std::vector<std::string> key_tokens = o.has_value ? std::vector<std::string>{n, v} : std::vector<std::string>{n};
  bool to_depinfo = true;
  if (auto refusal = apply_value_option(scan, o, cwd, key_tokens, to_depinfo)) return refusal;
  job.key_args.insert(job.key_args.end(), key_tokens.begin(), key_tokens.end());
  if (to_depinfo) {
    if (o.has_value) {
      job.depinfo_args.insert(job.depinfo_args.end(), {n, v});
    } else {
      job.depinfo_args.push_back(n);
    }
  }
  return std::nullopt;
}

// After the scan: one input, a crate type, a name and an --out-dir; static libraries found.
RustParseResult finish_rust_job(RustScan&& scan) {
  RustArguments& job = scan.job;
  if (scan.inputs.empty()) return NotCacheable{"missing input"};
  if (scan.inputs.size() > 1) return NotCacheable{"multiple input files"};
  if (scan.inputs[0] == "-") return NotCacheable{"-"};
  job.input = scan.inputs[0];
  if (!scan.has_crate_type) return NotCacheable{"crate-type bin"};
  if (job.crate_name.empty()) return NotCacheable{"missing crate_name"};
  if (job.out_dir.empty()) return NotCacheable{"missing output_dir"};
  if (!scan.has_emit) job.emit = {"link"};
  // Static libraries are linked into staticlib outputs: hash them by content.
  for (const auto& [kind, name] : scan.link_libs) {
    if (kind != "static") continue;
    std::string found;
    for (const auto& d : scan.native_dirs) {
      std::string p = join_path(d, "lib" + name + ".a");
      if (stat_file(p)) {
        found = p;
        break;
      }
    }
    if (found.empty()) return NotCacheable{"static library not found"};
    job.static_libs.push_back(found);
  }
  return std::move(job);
}

}  // namespace

RustParseResult parse_rust_arguments(const std::vector<std::string>& raw_args, const std::string& cwd) {
  auto expanded = expand_argfiles(raw_args, cwd);
  if (!expanded) return NotCacheable{"@argfile"};
  auto opts = tokenize(*expanded);
  if (!opts) return NotCacheable{"argument parse"};
  // cargo's probes (`rustc - --crate-name ___ --print=file-names ...`, `--print sysroot`)
  // print facts about the compiler and compile nothing.
  bool prints = false, real_input = false;
  for (const auto& o : *opts) {
    if (o.name == "--print") prints = true;
    if (o.name.empty() && o.value != "-") real_input = true;
  }
  if (prints && !real_input) return NotCompilation{};
  RustScan scan;
  scan.job.args = *expanded;
  for (const auto& o : *opts) {
    if (auto refusal = scan_option(scan, o, cwd)) return std::move(*refusal);
  }
  return finish_rust_job(std::move(scan));
}

DepInfo parse_dep_info(std::string_view text) {
  DepInfo info;
  bool first_rule = true;
  for (const auto& line : split(text, '\n')) {
    if (starts_with(line, "# env-dep:")) {
      std::string rest = line.substr(10);
      auto eq = rest.find('=');
      if (eq == std::string::npos) {
        info.env.emplace_back(rest, std::nullopt);
      } else {
        info.env.emplace_back(rest.substr(0, eq), rest.substr(eq + 1));
      }
      continue;
    }
    if (!first_rule || line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    if (colon == std::string::npos) {
      if (!line.empty() && line.back() == ':') first_rule = false;  // a rule with no prerequisites
      continue;
    }
    first_rule = false;
    std::string current;
    std::string_view deps = std::string_view(line).substr(colon + 2);
    for (size_t i = 0; i < deps.size(); ++i) {
      if (deps[i] == '\\' && i + 1 < deps.size() && deps[i + 1] == ' ') {
        current.push_back(' ');
        ++i;
      } else if (deps[i] == ' ') {
        if (!current.empty()) info.files.push_back(std::move(current));
        current.clear();
      } else {
        current.push_back(deps[i]);
      }
    }
    if (!current.empty()) info.files.push_back(std::move(current));
  }
  return info;
}

std::vector<std::string> rust_output_names(const RustArguments& job) {
  std::vector<std::string> names;
  std::string stem = job.crate_name + job.extra_filename;
  auto emits = [&](const char* e) { return std::find(job.emit.begin(), job.emit.end(), e) != job.emit.end(); };
  if (emits("link")) {
    for (const auto& t : job.crate_types) {
      if (t == "rlib") names.push_back("lib" + stem + ".rlib");
      if (t == "staticlib") names.push_back("lib" + stem + ".a");
      if (t == "proc-macro" || t == "dylib") names.push_back("lib" + stem + ".so");
    }
  }
  if (emits("metadata")) names.push_back("lib" + stem + ".rmeta");
  if (emits("dep-info")) names.push_back(stem + ".d");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace sccache
