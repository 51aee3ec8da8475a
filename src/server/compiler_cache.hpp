#pragma once
// Detected compilers, keyed by path and revalidated by (size, mtime, ctime, inode) on each use.
// Failed detections are not remembered.
#include <map>
#include <mutex>
#include <string>

#include "compiler/compiler.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

namespace sccache {

class CompilerCache {
 public:
  CompilerCache(std::string probe_path, ProcessRunner& runner) : probe_path_(std::move(probe_path)), runner_(runner) {}
  // `cwd` matters for rustc behind a rustup proxy, which picks the toolchain from the cwd's
  // rust-toolchain file and RUSTUP_TOOLCHAIN.
  Expected<CompilerInfo> get(const std::string& exe, const std::vector<std::string>& env, const std::string& cwd);

 private:
  struct Slot {
    FileStat stat;
    CompilerInfo info;
    std::vector<std::pair<std::string, FileStat>> deps;  // rustc: the sysroot libraries
  };
  Expected<CompilerInfo> detect_rustc(const std::string& exe, const std::vector<std::string>& env,
                                      const std::string& cwd, std::vector<std::pair<std::string, FileStat>>& deps);
  std::string probe_path_;
  ProcessRunner& runner_;
  std::mutex detect_mu_;  // one detection at a time: parallel first uses probe once
  std::mutex mu_;
  std::map<std::string, Slot> slots_;  // guarded by mu_
};

}  // namespace sccache
