#pragma once
// Content digests of include files, remembered by (path, inode, size, mtime, ctime) so that a
// direct-mode hit re-reads only files that changed. A file changed within the last few seconds
// is never remembered: timestamps are too coarse to tell two quick writes apart.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "compiler/compile_job.hpp"
#include "util/bytes.hpp"
#include "util/fs.hpp"

namespace sccache {

class FileHashCache final : public FileDigests {
 public:
  // nullopt if the file cannot be read or is not a regular file.
  std::optional<FileDigest> digest(const std::string& path) override;

  // The remembered digests (server/warm_state keeps them across restarts); each is still
  // revalidated by stat on use. load: false if the records are malformed (nothing is taken).
  void save(ByteWriter& out) const;
  bool load(ByteReader& in);

 private:
  struct Slot {
    FileStat stat;
    FileDigest digest;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
};

}  // namespace sccache
