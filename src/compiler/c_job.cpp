#include "compiler/c_job.hpp"

#include "compiler/gcc_args.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

namespace sccache {

namespace {

void hash_key_material(Hasher& h, const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv) {
  h.update_field(kCKeyVersion);
  h.update_field(compiler.identity);
  h.update_field(kind_name(compiler.kind));
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

}  // namespace

std::string c_key_prefix(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv) {
  Hasher h;
  hash_key_material(h, compiler, job, inv);
  return h.finish_hex();
}

KeyOutcome compute_c_key(const CompilerInfo& compiler, const CompileJob& job, const Invocation& inv,
                         ProcessRunner& runner) {
  KeyOutcome out;
  Hasher h;
  hash_key_material(h, compiler, job, inv);
  h.update_field("text");
  if (job.input_is_preprocessed) {
    auto content = read_file(absolute_from(inv.cwd, job.input));
    if (!content) {
      out.error = content.error().message;
      return out;
    }
    // The assembler reads these files itself; their content would be missing from the key.
    if (job.language == "assembler" &&
        (content->find(".include") != std::string::npos || content->find(".incbin") != std::string::npos)) {
      out.error = "assembler source uses .include/.incbin";
      out.not_cacheable = true;
      return out;
    }
    h.update_field(*content);
  } else {
    ProcessSpec spec;
    spec.argv.push_back(inv.exe);
    spec.argv.insert(spec.argv.end(), job.preprocess_args.begin(), job.preprocess_args.end());
    spec.env = inv.env;
    spec.cwd = inv.cwd;
    spec.umask = inv.umask;
    auto result = runner.run(spec);
    if (!result) {
      out.error = result.error().message;
      return out;
    }
    if (!result->success()) {
      out.preprocess_failed = std::move(*result);
      return out;
    }
    // `.incbin` (e.g. in inline asm) reads a file the key cannot see.
    if (result->stdout_data.find(".incbin") != std::string::npos) {
      out.error = "source uses .incbin";
      out.not_cacheable = true;
      return out;
    }
    // Line markers stay in: file names and line numbers reach -g output and diagnostics.
    h.update_field(result->stdout_data);
  }
  out.key = h.finish_hex();
  return out;
}

ProcessSpec c_compile_command(const CompileJob& job, const Invocation& inv) {
  ProcessSpec spec;
  spec.argv.push_back(inv.exe);
  spec.argv.insert(spec.argv.end(), inv.args.begin(), inv.args.end());
  spec.argv.insert(spec.argv.end(), job.compile_extra_args.begin(), job.compile_extra_args.end());
  spec.env = inv.env;
  spec.cwd = inv.cwd;
  spec.umask = inv.umask;
  return spec;
}

}  // namespace sccache
