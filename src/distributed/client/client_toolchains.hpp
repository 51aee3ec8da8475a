#pragma once
// Which toolchain archive a local compiler is sent as (SPEC 7.7), on the client.
//
// Layout under `dir` (`<dist.cache_dir>/client`):
//   tc/<a>/<b>/<archive id>  packaged archives; LRU (by mtime, touched on use) under max_size
//   weak_map.json            {"<weak key>": "<archive id>"}: weak key = digest of the compiler's
//                            path and content identity; persisted so that a restarted server does
//                            not package again; never pruned (a missing archive is re-packaged)
// Resolution: a `no_dist` entry for the compiler => error (the compile runs locally); a
// `path_override` entry => that archive (id = SHA-256 of its bytes, cached by path, size and
// mtime) and its `archive_compiler_executable`; else the weak map; else package now, one at a
// time. Entries match the compiler by the path as invoked or by its real path.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "distributed/client/toolchain_pkg.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

struct ResolvedToolchain {
  std::string archive_id;
  std::string archive_path;
  std::string executable;  // the compiler's path inside the archive
};

class ClientToolchains {
 public:
  static constexpr int kNoDist = 1;  // Error::code: the config says this compiler is not distributed

  ClientToolchains(std::string dir, uint64_t max_size, std::vector<DistToolchainConfig> overrides);

  // `identity` = the compiler's content digest (CompilerInfo::identity).
  Expected<ResolvedToolchain> resolve(const std::string& compiler, const std::string& identity, ToolchainFlavor flavor);
  // Number of archives packaged by this process (tests, logs).
  [[nodiscard]] uint64_t packaged() const;

 private:
  const DistToolchainConfig* override_for(const std::string& compiler) const;
  std::string archive_path(const std::string& id) const;
  void load_weak_map_locked();
  void save_weak_map_locked();
  void evict_locked(const std::string& keep);

  std::string dir_;
  uint64_t max_size_;
  std::vector<DistToolchainConfig> overrides_;
  mutable std::mutex mu_;  // also serializes packaging
  bool loaded_ = false;
  std::map<std::string, std::string> weak_map_;  // guarded by mu_
  struct OverrideDigest {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string id;
  };
  std::map<std::string, OverrideDigest> override_ids_;  // archive path -> digest; guarded by mu_
  uint64_t packaged_ = 0;                               // guarded by mu_
  // Packaging that failed: not tried again for a minute (it would hold every compile's lock).
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, Error>> failures_;  // guarded by mu_
};

}  // namespace sccache::dist
