#pragma once
// Detected compilers, keyed by path (and the registry's detection scope) and revalidated by
// (size, mtime, ctime, inode) of the binary and of the files its detection named, on each use.
// Failed detections are not remembered.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "compiler/registry.hpp"
#include "server/detection_memo.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace sccache {

class CompilerCache {
 public:
  // `scratch_dir`: the server's own directory, for probe files.
  CompilerCache(std::string scratch_dir, ProcessRunner& runner) : scratch_dir_(std::move(scratch_dir)), runner_(runner) {}
  // `cwd` matters for rustc behind a rustup proxy, which picks the toolchain from the cwd's
  // rust-toolchain file and RUSTUP_TOOLCHAIN.
  Expected<std::shared_ptr<const Compiler>> get(const std::string& exe, const std::vector<std::string>& env,
                                                const std::string& cwd);
  ServerDetectionMemo& memo() { return memo_; }

 private:
  struct Slot {
    FileStat stat;
    DetectedCompiler detected;
  };
  std::string scratch_dir_;
  ProcessRunner& runner_;
  ServerDetectionMemo memo_;
  std::mutex detect_mu_;  // one detection at a time: parallel first uses probe once
  std::mutex mu_;
  std::map<std::string, Slot> slots_;  // guarded by mu_
};

}  // namespace sccache
