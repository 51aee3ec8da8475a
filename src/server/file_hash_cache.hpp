#pragma once
// Content digests of include files, remembered by (path, inode, size, mtime, ctime) so that a
// direct-mode hit re-reads only files that changed. A file changed within the last few seconds
// is never remembered: timestamps are too coarse to tell two quick writes apart.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/fs.hpp"

namespace sccache {

struct FileDigest {
  std::string digest;        // hex SHA-256
  bool has_time_macros;      // uses __DATE__/__TIME__/__TIMESTAMP__
  bool too_new;              // modified moments ago: unsafe to record
  int64_t mtime_ns;
  int64_t ctime_ns;
};

class FileHashCache {
 public:
  // nullopt if the file cannot be read or is not a regular file.
  std::optional<FileDigest> digest(const std::string& path);

 private:
  struct Slot {
    FileStat stat;
    FileDigest digest;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
};

}  // namespace sccache
