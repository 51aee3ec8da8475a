#pragma once
// Local disk storage: <dir>/<k0>/<key> files written atomically (tmp/ then rename), with an LRU
// index rebuilt from file mtimes at start, so eviction order survives restarts.
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "cache/storage.hpp"

namespace sccache {

class DiskStorage final : public Storage {
 public:
  // Starts a background scan of `dir`; puts wait for it so that eviction sees every entry.
  DiskStorage(std::string dir, uint64_t max_size);
  ~DiskStorage() override;
  DiskStorage(const DiskStorage&) = delete;
  DiskStorage& operator=(const DiskStorage&) = delete;

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override;
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return max_size_; }

  // Space an entry of `bytes` takes on disk as this cache counts it (whole 4 KiB blocks).
  static uint64_t disk_usage(uint64_t bytes);

 private:
  struct Item {
    uint64_t usage;
    std::list<std::string>::iterator lru_pos;
  };
  std::string path_for(const std::string& key) const;
  void scan();
  void wait_scanned(std::unique_lock<std::mutex>& lock);
  void touch_locked(const std::string& key);
  void insert_locked(const std::string& key, uint64_t usage);
  void erase_locked(const std::string& key);

  std::string dir_;
  uint64_t max_size_;
  mutable std::mutex mu_;
  std::condition_variable scanned_cv_;
  bool scanned_ = false;
  uint64_t total_ = 0;                  // guarded by mu_
  std::list<std::string> lru_;          // front = least recently used; guarded by mu_
  std::unordered_map<std::string, Item> items_;  // guarded by mu_
  std::thread scanner_;
};

}  // namespace sccache
