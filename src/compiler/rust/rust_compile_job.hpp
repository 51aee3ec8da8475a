#pragma once
// rustc's CompileJob: a dep-info pre-pass learns the crate's sources, which are hashed with the
// arguments, externs, static libraries and the environment rustc reads; a hit writes the
// entry's files into --out-dir under cargo's names (dep-info rewritten for the new --out-dir).
#include <optional>
#include <string>
#include <vector>

#include "compiler/compile_job.hpp"
#include "compiler/rust/rust_args.hpp"
#include "compiler/rust/rust_family.hpp"

namespace sccache {

class RustCompileJob final : public CompileJob {
 public:
  RustCompileJob(RustCompilerInfo compiler, RustArguments args, Invocation inv);

  [[nodiscard]] std::string_view stats_language() const override { return "Rust"; }
  [[nodiscard]] std::string describe() const override { return "crate " + args_.crate_name; }
  [[nodiscard]] std::string error_tag() const override { return args_.crate_name; }
  // rustc decided its colours itself: the client passes the bytes through untouched.
  [[nodiscard]] ColorMode color() const override { return ColorMode::on; }
  [[nodiscard]] std::vector<std::string> output_paths() const override;
  [[nodiscard]] mode_t output_mode(const std::string& path, mode_t umask) const override;

  KeyResult compute_key(JobServices& services, bool record_inputs, bool for_dist) override;

  [[nodiscard]] std::optional<Replay> replay(StoredResult&& stored) const override;
  [[nodiscard]] ProcessSpec compile_command() const override;
  [[nodiscard]] Expected<StoredResult> collect(const ProcessResult& result) const override;

  [[nodiscard]] std::optional<std::string> dist_refusal() const override;
  Expected<DistPlan> dist_plan() override;

 private:
  Expected<DepInfo> dep_info_prepass(ProcessRunner& runner) const;
  Expected<std::string> hash_inputs(FileDigests& digests, const DepInfo& deps) const;

  RustCompilerInfo compiler_;
  RustArguments args_;
  Invocation inv_;
  std::vector<std::string> names_;    // the files rustc writes into --out-dir
  std::vector<std::string> sources_;  // from the dep-info pre-pass
};

}  // namespace sccache
