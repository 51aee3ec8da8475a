#pragma once
// The MSVC family's CompileJob (cl.exe and clang-cl): keyed by the text of `/E` (msvc/msvc_key.cpp),
// direct mode through the files the `/showIncludes` notes of that run name, precompiled headers
// as outputs (/Yc) and inputs (/Yu), and clang-cl compiles of the preprocessed text distributed
// as clang ones are.
#include <optional>
#include <string>
#include <vector>

#include "compiler/c/c_key.hpp"
#include "compiler/compile_job.hpp"
#include "compiler/msvc/msvc_args.hpp"
#include "util/fs.hpp"

namespace sccache {

// Bumped whenever what goes into the key changes, so old entries are never misread.
constexpr std::string_view kMsvcKeyVersion = "sccache-cpp/msvc/1";

// A detected cl.exe or clang-cl.
struct MsvcCompilerInfo {
  std::string path;                      // absolute path as the client resolved it
  const MsvcDialect* dialect = nullptr;  // never null once detected
  std::string identity;                  // hex digest of the binary, dialect and note prefix
  std::string includes_prefix;           // "Note: including file: " in the compiler's language
};

// Digest of the key material that is not the preprocessed text, computed once per request.
std::string msvc_key_prefix(const MsvcCompilerInfo& compiler, const MsvcArguments& args, const Invocation& inv);

// Runs `exe /E ...` (with `/showIncludes` when the includes are wanted, and clang-cl's `-v` for
// the search list) and digests its text with `prefix`; for /Yc and /Yu also every file's path,
// size and mtime (a .pch records them and is refused when one changed) and, for /Yu, the .pch.
KeyOutcome compute_msvc_key(const std::string& prefix, const MsvcCompilerInfo& compiler, const MsvcArguments& args,
                            const Invocation& inv, JobServices& services, bool want_includes, bool for_dist);

// The include search list cl.exe uses (it has no `-v`): /I and /external:I in order, then the
// INCLUDE and EXTERNAL_INCLUDE variables.
std::vector<std::string> cl_search_dirs(const MsvcArguments& args, const Invocation& inv);

class MsvcCompileJob final : public CompileJob {
 public:
  MsvcCompileJob(MsvcCompilerInfo compiler, MsvcArguments args, Invocation inv);

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
  [[nodiscard]] ProcessSpec compile_command() const override;
  void before_compile() override;
  [[nodiscard]] Expected<StoredResult> collect(const ProcessResult& result) const override;

  [[nodiscard]] std::optional<std::string> dist_refusal() const override;
  Expected<DistPlan> dist_plan() override;

 private:
  MsvcCompilerInfo compiler_;
  MsvcArguments args_;
  Invocation inv_;
  std::string prefix_;
  KeyOutcome key_;
  std::vector<std::string> notes_;               // the /showIncludes paths of the /E run
  std::vector<std::optional<FileStat>> before_;  // the outputs before the compile
};

}  // namespace sccache
