#pragma once
// The C family's CompileJob: one pipeline for every driver of the family (gcc, clang), keyed by
// the preprocessed text (c/c_key.hpp), with direct mode from the preprocessor's line markers
// (c/direct_inputs.cpp) and the preprocessed text as the only input of a distributed compile.
#include <optional>
#include <string>
#include <vector>

#include "compiler/c/c_key.hpp"
#include "compiler/c/gcc_args.hpp"
#include "compiler/compile_job.hpp"
#include "util/fs.hpp"

namespace sccache {

class CCompileJob final : public CompileJob {
 public:
  CCompileJob(CCompilerInfo compiler, CArguments args, Invocation inv);

  [[nodiscard]] std::string_view stats_language() const override { return "C/C++"; }
  [[nodiscard]] std::string describe() const override { return args_.input; }
  [[nodiscard]] std::string error_tag() const override { return args_.output; }
  [[nodiscard]] ColorMode color() const override { return args_.color; }
  [[nodiscard]] std::vector<std::string> output_paths() const override;
  [[nodiscard]] mode_t output_mode(const std::string& path, mode_t umask) const override;

  std::optional<std::string> direct_key(FileDigests& digests) override;
  KeyResult compute_key(JobServices& services, bool record_inputs, bool for_dist) override;
  std::optional<RecordedInputs> recorded_inputs(FileDigests& digests) const override;

  [[nodiscard]] std::optional<Replay> replay(StoredResult&& stored) const override;
  [[nodiscard]] ProcessSpec compile_command() const override { return c_compile_command(args_, inv_); }
  void before_compile() override;
  [[nodiscard]] Expected<StoredResult> collect(const ProcessResult& result) const override;

  [[nodiscard]] std::optional<std::string> dist_refusal() const override;
  Expected<DistPlan> dist_plan() override;

 private:
  CCompilerInfo compiler_;
  CArguments args_;
  Invocation inv_;
  std::string prefix_;                        // c_key_prefix: the key material but the text
  KeyOutcome key_;                            // what compute_key learned
  std::vector<std::optional<FileStat>> before_;  // the outputs before the compile
};

// What the preprocessor depended on (direct mode, c/direct_inputs.cpp): every file it read (by
// content), and every path where a new file would change which file an #include finds. nullopt
// if any of these changed moments before the compile, or a file uses __DATE__/__TIME__.
// `input` is the source's absolute path. Shared with the MSVC family.
std::optional<RecordedInputs> c_recorded_inputs(const std::string& input, const KeyOutcome& key, FileDigests& digests);

}  // namespace sccache
