#include "cache/multilevel_storage.hpp"

#include <spdlog/spdlog.h>

namespace sccache {

namespace {

// Backfills waiting beyond this many bytes are dropped (the next hit there backfills again).
constexpr size_t kMaxQueuedBytes = 256U << 20;

thread_local std::string t_hit_level;

std::string level_label(size_t i, const CacheLevel& level) { return "L" + std::to_string(i) + " " + level.name; }

}  // namespace

MultiLevelStorage::MultiLevelStorage(std::vector<CacheLevel> levels, WriteErrorPolicy policy)
    : levels_(std::move(levels)), policy_(policy), worker_([this] { backfill_loop(); }) {}

MultiLevelStorage::~MultiLevelStorage() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

Expected<std::optional<std::string>> MultiLevelStorage::get(const std::string& key) {
  t_hit_level.clear();
  std::optional<Error> first_error;
  for (size_t i = 0; i < levels_.size(); ++i) {
    auto r = levels_[i].storage->get(key);
    if (!r) {
      spdlog::debug("multi-level: {} lookup failed: {}", level_label(i, levels_[i]), r.error().message);
      if (!first_error) first_error = r.error();
      continue;
    }
    if (!*r) continue;
    t_hit_level = level_label(i, levels_[i]);
    if (i > 0) {
      std::lock_guard lock(mu_);
      if (queued_bytes_ + (*r)->size() <= kMaxQueuedBytes) {
        queued_bytes_ += (*r)->size();
        queue_.push_back({i, key, **r});
        cv_.notify_all();
      }
    }
    return r;
  }
  // No level had it: a level that failed is reported (counted as a cache error, a miss here).
  if (first_error) return *first_error;
  return std::optional<std::string>();
}

Status MultiLevelStorage::put(const std::string& key, const std::string& bytes) {
  std::optional<Error> counted;
  bool first_writable = true;
  for (size_t i = 0; i < levels_.size(); ++i) {
    Storage& s = *levels_[i].storage;
    if (s.read_only()) continue;
    auto st = s.put(key, bytes);
    bool l0 = first_writable;
    first_writable = false;
    if (st) continue;
    spdlog::warn("multi-level: {} write failed: {}", level_label(i, levels_[i]), st.error().message);
    if (!counted && (policy_ == WriteErrorPolicy::all || (policy_ == WriteErrorPolicy::l0 && l0))) counted = st.error();
  }
  if (counted) return *counted;
  return Ok{};
}

void MultiLevelStorage::remove(const std::string& key) {
  for (auto& level : levels_) level.storage->remove(key);
}

std::string MultiLevelStorage::location() const {
  std::string out = "Multi-level:";
  for (size_t i = 0; i < levels_.size(); ++i) {
    out += (i == 0 ? " " : "; ") + std::string("L") + std::to_string(i) + " " + levels_[i].storage->location();
  }
  return out;
}

std::optional<uint64_t> MultiLevelStorage::current_size() const { return levels_.front().storage->current_size(); }
std::optional<uint64_t> MultiLevelStorage::max_size() const { return levels_.front().storage->max_size(); }

bool MultiLevelStorage::read_only() const {
  for (const auto& level : levels_) {
    if (!level.storage->read_only()) return false;
  }
  return true;
}

std::string MultiLevelStorage::last_hit_level() const { return t_hit_level; }

void MultiLevelStorage::drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void MultiLevelStorage::backfill_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Backfill item = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= item.bytes.size();
    busy_ = true;
    lock.unlock();
    for (size_t j = 0; j < item.below; ++j) {
      Storage& s = *levels_[j].storage;
      if (s.read_only()) continue;
      if (auto st = s.put(item.key, item.bytes); !st) {
        spdlog::debug("multi-level: backfill of {} failed: {}", level_label(j, levels_[j]), st.error().message);
      } else {
        spdlog::debug("multi-level: backfilled {} into {}", item.key, level_label(j, levels_[j]));
      }
    }
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace sccache
