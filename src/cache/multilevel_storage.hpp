#pragma once
// A chain of storages looked up in order, fastest first (newest sccache's multi-level cache,
// SCCACHE_MULTILEVEL_CHAIN="disk,redis,s3"): a hit in a slower level is backfilled into every
// faster writable level by a background thread (the reply does not wait for it); a write goes
// to every writable level, and the write-error policy says which failures count; a level that
// fails a lookup costs only its own time (its GuardedStorage breaker opens when it is down).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/storage.hpp"

namespace sccache {

// Which write failures make put() fail (and so count as cache_write_errors).
enum class WriteErrorPolicy { ignore, l0, all };

struct CacheLevel {
  std::string name;  // "disk", "redis", ...
  std::unique_ptr<Storage> storage;
};

class MultiLevelStorage final : public Storage {
 public:
  MultiLevelStorage(std::vector<CacheLevel> levels, WriteErrorPolicy policy);
  ~MultiLevelStorage() override;
  MultiLevelStorage(const MultiLevelStorage&) = delete;
  MultiLevelStorage& operator=(const MultiLevelStorage&) = delete;

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  // `Multi-level: L0 <location>; L1 <location>; ...`
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override;
  [[nodiscard]] std::optional<uint64_t> max_size() const override;
  [[nodiscard]] bool read_only() const override;
  [[nodiscard]] std::string last_hit_level() const override;

  // Waits until every queued backfill is written (tests, shutdown).
  void drain();

 private:
  struct Backfill {
    size_t below;  // levels [0, below) get it
    std::string key;
    std::string bytes;
  };
  void backfill_loop();

  std::vector<CacheLevel> levels_;
  WriteErrorPolicy policy_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Backfill> queue_;
  size_t queued_bytes_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace sccache
