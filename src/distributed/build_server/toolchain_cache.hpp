#pragma once
// Toolchain archives on a build server.
//
// Layout under `dir` (one ToolchainCache per directory, one process):
//   archives/<id>   the archive as submitted; id = lowercase hex SHA-256 of its bytes (checked on put)
//   unpacked/<id>/  the archive extracted (extract_archive_file), made on first acquire; the sandbox root
//   tmp/            archive writes, unpacks in progress and evicted trees being deleted
// An unpacked tree is built in tmp/ and renamed into unpacked/ only once complete, so the rename is
// the completion marker: at start tmp/ is emptied, unknown names are deleted, and an unpacked dir
// without its archive is deleted. The LRU order is kept across restarts in the archives' mtimes
// (touched on every acquire).
//
// size() = archive sizes + sizes of the files (and symlinks) of the unpacked trees, each inode once.
// It is kept under max_size by evicting least recently used toolchains that have no live Lease
// (checked after a put, after an unpack and whenever a lease is released). While leases pin
// toolchains the total may exceed max_size; the excess goes as soon as they are released.
//
// Thread-safe. Concurrent acquires of one id unpack it once; different ids unpack in parallel.
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "distributed/build_server/archive.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

class ToolchainCache {
 public:
  // Error::code values.
  static constexpr int kNotFound = 1;        // acquire of an id that is not stored: ask the client for it
  static constexpr int kDigestMismatch = 2;  // put: bytes do not hash to the id
  static constexpr int kBadArchive = 3;      // acquire: the archive was refused or corrupt and is deleted
  static constexpr int kInvalidId = 4;
  static constexpr int kTooLarge = 5;        // put: the archive alone is larger than max_size

  // Scans `dir` synchronously (creating it if needed) and evicts down to max_size.
  ToolchainCache(std::string dir, uint64_t max_size, ExtractLimits limits = {});
  ~ToolchainCache() = default;  // every Lease must be gone by then
  ToolchainCache(const ToolchainCache&) = delete;
  ToolchainCache& operator=(const ToolchainCache&) = delete;

  // True once the archive is stored (put finished) and not evicted.
  bool contains(const std::string& id) const;

  // Verifies sha256(bytes) == id (error "toolchain digest mismatch: expected X, got Y" otherwise),
  // makes room, and stores the archive atomically. Storing an id already present only touches it.
  Status put(const std::string& id, std::string_view bytes);

  // Keeps a toolchain from eviction while alive. Movable, not copyable.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    [[nodiscard]] const std::string& id() const { return id_; }
    // The unpacked toolchain root (<dir>/unpacked/<id>).
    [[nodiscard]] const std::string& dir() const { return dir_; }

   private:
    friend class ToolchainCache;
    Lease(ToolchainCache* cache, std::string id, std::string dir);
    void release();

    ToolchainCache* cache_ = nullptr;
    std::string id_;
    std::string dir_;
  };

  // Unpacks on first use (an archive that fails validation or decompression is deleted and the
  // error returned with code kBadArchive), marks it most recently used, and leases it.
  Expected<Lease> acquire(const std::string& id);

  [[nodiscard]] uint64_t size() const;
  [[nodiscard]] uint64_t max_size() const { return max_size_; }
  // Path of the stored archive (e.g. to stream it to `docker cp`); hold a Lease to keep it there.
  [[nodiscard]] std::string archive_path(const std::string& id) const;
  // Number of successful unpacks since construction (stats and tests).
  [[nodiscard]] uint64_t unpack_count() const;

  static bool valid_id(const std::string& id);

 private:
  enum class State { kWriting, kPacked, kUnpacking, kUnpacked, kFailed };
  struct Item {
    State state = State::kWriting;
    uint64_t archive_size = 0;
    uint64_t unpacked_size = 0;
    int leases = 0;
    std::string error;  // why the unpack failed (kFailed), for the acquires that waited on it
    std::list<std::string>::iterator lru_pos;
  };

  std::string unpacked_dir(const std::string& id) const;
  std::string tmp_dir() const;
  void scan();
  Error unpack_failed_locked(const std::string& id, Item& item, const Error& why);
  void release(const std::string& id);
  void insert_locked(const std::string& id, const std::shared_ptr<Item>& item);
  void erase_locked(const std::string& id);
  void touch_locked(const std::string& id);
  // Moves victims' files into tmp/ (fast renames) and appends the paths to delete to `trash`.
  void evict_locked(std::vector<std::string>& trash);
  void remove_files_locked(const std::string& id, const Item& item, std::vector<std::string>& trash);
  std::string trash_name_locked(const std::string& what);

  std::string dir_;
  uint64_t max_size_;
  ExtractLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // an item left kWriting or kUnpacking
  uint64_t total_ = 0;                                            // guarded by mu_
  uint64_t unpacks_ = 0;                                          // guarded by mu_
  uint64_t trash_counter_ = 0;                                    // guarded by mu_
  std::list<std::string> lru_;                                    // front = least recently used
  std::unordered_map<std::string, std::shared_ptr<Item>> items_;  // guarded by mu_
};

}  // namespace sccache::dist
