#include "compiler/c/c_key.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

void hash_key_material(Hasher& h, const CCompilerInfo& compiler, const CArguments& job, const Invocation& inv) {
  h.update_field(kCKeyVersion);
  h.update_field(compiler.identity);
  h.update_field(compiler.dialect->name);
  h.update_field(job.language);
  // Every argument except the locations of outputs: all of them can change the outputs
  // (defines and include paths too, e.g. through -frecord-gcc-switches).
  h.update_field("args");
  for (size_t i = 0; i < job.args.size(); ++i) {
    const std::string& a = job.args[i];
    const ArgSpec* spec = a.size() > 1 && a[0] == '-' ? find_arg_spec(a) : nullptr;
    bool separate_value = spec != nullptr && i + 1 < job.args.size() &&
                          (spec->form == ArgForm::separate ||
                           (spec->form == ArgForm::joined_or_separate && a.size() == spec->name.size()));
    if (spec != nullptr && (spec->role == ArgRole::output || spec->role == ArgRole::dep_file)) {
      h.update_field(spec->name);  // where the file goes is not part of what it contains
    } else {
      h.update_field(a);
      if (separate_value) h.update_field(job.args[i + 1]);
    }
    if (separate_value) ++i;
  }
  if (job.hash_cwd) {
    h.update_field("cwd");
    h.update_field(inv.cwd);
  }
  if (job.hash_output_path) {
    h.update_field("output");
    h.update_field(job.output);
  }
  h.update_field("env");
  for (auto name : c_key_env_vars()) {
    auto v = env_value(inv.env, name);
    h.update_field(name);
    h.update_field(v ? "=" + *v : std::string("<unset>"));
  }
}

// Whether compiler stderr holds a diagnostic, in any language: a `file:line[:col]: ` location,
// `In file included from`, or a program's own prefix (`cc1: warning: ...`). The `-v` listing
// (indented lines, `gcc version ...`, `Configured with: ...`) has none of these.
bool has_diagnostics(std::string_view text) {
  for (const std::string& l : split(text, '\n')) {
    if (l.empty() || l[0] == ' ') continue;
    for (std::string_view prefix : {"In file included from", "<command-line>", "<built-in>", "cc1: ", "cc1plus: ", "clang: ",
                                    "gcc: ", "g++: "}) {
      if (l.starts_with(prefix)) return true;
    }
    for (size_t c = l.find(':'); c != std::string::npos; c = l.find(':', c + 1)) {
      size_t d = c + 1;
      while (d < l.size() && l[d] >= '0' && l[d] <= '9') ++d;
      if (d > c + 1 && d < l.size() && l[d] == ':') return true;
    }
  }
  return false;
}

}  // namespace

std::string c_key_prefix(const CCompilerInfo& compiler, const CArguments& job, const Invocation& inv) {
  Hasher h;
  hash_key_material(h, compiler, job, inv);
  return h.finish_hex();
}

std::string c_direct_key(const std::string& prefix, const std::string& input, const std::string& cwd,
                         const std::string& input_digest) {
  Hasher h;
  h.update_field(prefix);
  h.update_field("direct-v1");
  h.update_field(input);
  h.update_field(cwd);
  h.update_field(input_digest);
  return h.finish_hex();
}

std::string c_direct_key(const std::string& prefix, const CArguments& job, const Invocation& inv,
                         const std::string& input_digest) {
  return c_direct_key(prefix, job.input, inv.cwd, input_digest);
}

std::vector<std::string> files_from_line_markers(std::string_view text, const std::string& cwd) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& text_line : split(text, '\n')) {
    std::string_view line = text_line;
    // `# 12 "path" flags` (gcc, clang) or `#line 12 "path"`.
    if (line.size() < 5 || line[0] != '#') continue;
    size_t q = line.find('"');
    if (q == std::string_view::npos) continue;
    std::string_view head = line.substr(1, q - 1);
    if (head.rfind("line", 0) == 0) head.remove_prefix(4);
    bool marker = !head.empty();
    for (char c : head) {
      if (c != ' ' && (c < '0' || c > '9')) marker = false;
    }
    if (!marker) continue;
    std::string path;
    size_t i = q + 1;
    for (; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        char n = line[i + 1];
        if (n >= '0' && n <= '7') {
          int v = 0;
          size_t k = i + 1;
          for (int d = 0; d < 3 && k < line.size() && line[k] >= '0' && line[k] <= '7'; ++d, ++k) v = v * 8 + (line[k] - '0');
          path.push_back(static_cast<char>(v));
          i = k - 1;
        } else {
          path.push_back(n);
          ++i;
        }
      } else {
        path.push_back(line[i]);
      }
    }
    // gcc -g also marks the working directory as `# 1 "/cwd//"`: not a file.
    if (path.empty() || path[0] == '<' || path.back() == '/') continue;
    std::string abs = absolute_from(cwd, path);
    if (seen.insert(abs).second) out.push_back(abs);
  }
  return out;
}

std::vector<std::string> search_dirs_from_verbose(std::string_view stderr_text, const std::string& cwd) {
  std::vector<std::string> out;
  bool in_list = false;
  for (const std::string& text_line : split(stderr_text, '\n')) {
    std::string_view line = text_line;
    if (line.find("search starts here:") != std::string_view::npos) {
      in_list = true;
      continue;
    }
    if (line.rfind("End of search list.", 0) == 0) break;
    if (!in_list || line.empty() || line[0] != ' ') continue;
    std::string dir(line.substr(1));
    auto fw = dir.find(" (framework directory)");
    if (fw != std::string::npos) dir.resize(fw);
    out.push_back(absolute_from(cwd, dir));
  }
  return out;
}

std::vector<std::string> missing_dirs_from_verbose(std::string_view stderr_text, const std::string& cwd) {
  constexpr std::string_view kIgnoring = "ignoring nonexistent directory \"";
  std::vector<std::string> out;
  for (const std::string& line : split(stderr_text, '\n')) {
    if (!line.starts_with(kIgnoring) || line.back() != '"') continue;
    out.push_back(absolute_from(cwd, line.substr(kIgnoring.size(), line.size() - kIgnoring.size() - 1)));
  }
  return out;
}

namespace {

// An already-preprocessed input is its own text; nullopt (with out.error set) if it cannot be
// read or defeats the key.
std::optional<std::string> read_preprocessed_input(const CArguments& job, const Invocation& inv, KeyOutcome& out) {
  auto content = read_file(absolute_from(inv.cwd, job.input));
  if (!content) {
    out.error = content.error().message;
    return std::nullopt;
  }
  // The assembler reads these files itself; their content would be missing from the key.
  if (job.language == "assembler" &&
      (content->find(".include") != std::string::npos || content->find(".incbin") != std::string::npos)) {
    out.error = "assembler source uses .include/.incbin";
    out.not_cacheable = true;
    return std::nullopt;
  }
  return std::move(*content);
}

// The preprocessed text, consumed as it arrives and never held whole (a preprocessed sqlite3.c
// is ~10 MB): hashed, its line-marker lines kept for direct mode, `.incbin` looked for. The key
// takes the bytes, then their count as a fixed-width field, so it does not depend on how the
// pipe cut them.
class PreprocessedStream {
 public:
  explicit PreprocessedStream(Hasher& h) : h_(h) {}
  void feed(std::string_view chunk) {
    h_.update(chunk);
    size_ += chunk.size();
    look_for_incbin(chunk);
    for (size_t i = 0; i < chunk.size();) {
      if (at_line_start_) in_marker_ = chunk[i] == '#';
      const size_t nl = chunk.find('\n', i);
      const size_t end = nl == std::string_view::npos ? chunk.size() : nl + 1;
      if (in_marker_) markers_.append(chunk.substr(i, end - i));
      at_line_start_ = nl != std::string_view::npos;
      i = end;
    }
  }
  void finish() {
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(size_ >> (8 * i));
    h_.update(std::string_view(reinterpret_cast<const char*>(len), sizeof len));
  }
  [[nodiscard]] bool uses_incbin() const { return incbin_; }
  // Only the lines that start with '#': what files_from_line_markers reads.
  [[nodiscard]] const std::string& marker_lines() const { return markers_; }

 private:
  static constexpr std::string_view kIncbin = ".incbin";
  // Also across the cut between two chunks: the previous chunk's last bytes are kept.
  void look_for_incbin(std::string_view chunk) {
    std::string joint = tail_;
    joint.append(chunk.substr(0, kIncbin.size() - 1));
    if (joint.find(kIncbin) != std::string::npos || chunk.find(kIncbin) != std::string_view::npos) incbin_ = true;
    tail_.append(chunk.substr(chunk.size() - std::min(chunk.size(), kIncbin.size() - 1)));
    if (tail_.size() > kIncbin.size() - 1) tail_.erase(0, tail_.size() - (kIncbin.size() - 1));
  }
  Hasher& h_;
  uint64_t size_ = 0;
  bool at_line_start_ = true;
  bool in_marker_ = false;
  bool incbin_ = false;
  std::string tail_;
  std::string markers_;
};

}  // namespace

KeyOutcome compute_c_key(const std::string& prefix, const CArguments& job, const Invocation& inv,
                         ProcessRunner& runner, bool want_dependencies, bool for_dist) {
  KeyOutcome out;
  Hasher h;
  h.update_field(prefix);
  h.update_field("text");
  if (job.input_is_preprocessed) {
    auto content = read_preprocessed_input(job, inv, out);
    if (!content) return out;
    h.update_field(*content);
  } else {
    ProcessSpec spec{{inv.exe}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
    spec.argv.insert(spec.argv.end(), job.preprocess_args.begin(), job.preprocess_args.end());
    if (want_dependencies) spec.argv.emplace_back("-v");  // prints the include search list
    if (for_dist) spec.argv.insert(spec.argv.end(), job.dep_args.begin(), job.dep_args.end());
    // Line markers stay in: file names and line numbers reach -g output and diagnostics.
    h.update_field("text-stream");
    PreprocessedStream text(h);
    if (!for_dist) spec.on_stdout = [&text](std::string_view chunk) { text.feed(chunk); };
    auto result = run_preprocessor(runner, spec, out);
    if (!result) return out;
    text.feed(result->stdout_data);  // all of it when kept (dist, or a runner that does not stream)
    text.finish();
    if (text.uses_incbin()) {  // `.incbin` (e.g. in inline asm) reads a file the key cannot see
      out.error = "source uses .incbin";
      out.not_cacheable = true;
      return out;
    }
    if (want_dependencies) {
      out.include_files = files_from_line_markers(text.marker_lines(), inv.cwd);
      out.search_dirs = search_dirs_from_verbose(result->stderr_data, inv.cwd);
      out.missing_dirs = missing_dirs_from_verbose(result->stderr_data, inv.cwd);
      // gcc and clang look for an -include or -imacros file in the cwd first.
      for (const auto& a : job.args) {
        if (a.starts_with("-include") || a.starts_with("-imacros")) out.first_dirs = {inv.cwd};
      }
    }
    if (for_dist) {
      out.preprocessor_diagnostics = has_diagnostics(result->stderr_data);
      out.preprocessed = std::move(result->stdout_data);
    }
  }
  out.key = h.finish_hex();
  return out;
}

std::optional<ProcessResult> run_preprocessor(ProcessRunner& runner, const ProcessSpec& spec, KeyOutcome& out) {
  out.started_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto result = runner.run(spec);
  if (!result) {
    out.error = result.error().message;
    return std::nullopt;
  }
  if (!result->success()) {
    out.preprocess_failed = std::move(*result);
    return std::nullopt;
  }
  // `.incbin` (e.g. in inline asm) reads a file the key cannot see.
  if (result->stdout_data.find(".incbin") != std::string::npos) {
    out.error = "source uses .incbin";
    out.not_cacheable = true;
    return std::nullopt;
  }
  return std::move(*result);
}

ProcessSpec c_compile_command(const CArguments& job, const Invocation& inv) {
  ProcessSpec spec{{inv.exe}, inv.env, inv.cwd, inv.umask, inv.cancel_fd};
  spec.argv.insert(spec.argv.end(), inv.args.begin(), inv.args.end());
  spec.argv.insert(spec.argv.end(), job.compile_extra_args.begin(), job.compile_extra_args.end());
  return spec;
}

}  // namespace sccache
