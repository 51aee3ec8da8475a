#include "cache/disk_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {
constexpr uint64_t kBlock = 4096;
// Directory blocks are counted too, so that `du` of the cache dir stays under the limit.
constexpr uint64_t kFixedOverhead = 18 * kBlock;  // root, tmp/ and 16 fan-out dirs
constexpr auto kStaleTempAge = std::chrono::minutes(10);

bool valid_key(const std::string& key) {
  if (key.size() < 2) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
}  // namespace

uint64_t DiskStorage::disk_usage(uint64_t bytes) { return ((bytes + kBlock - 1) / kBlock) * kBlock; }

DiskStorage::DiskStorage(std::string dir, uint64_t max_size) : dir_(std::move(dir)), max_size_(max_size) {
  (void)make_dirs(join_path(dir_, "tmp"));
  scanner_ = std::thread([this] { scan(); });
}

DiskStorage::~DiskStorage() {
  if (scanner_.joinable()) scanner_.join();
}

std::string DiskStorage::path_for(const std::string& key) const {
  return join_path(join_path(dir_, key.substr(0, 1)), key);
}

void DiskStorage::scan() {
  namespace fs = std::filesystem;
  struct Found {
    std::string key;
    uint64_t usage;
    fs::file_time_type mtime;
  };
  std::vector<Found> found;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (const auto& sub : fs::directory_iterator(dir_, ec)) {
    if (!sub.is_directory(ec)) continue;
    std::string name = sub.path().filename().string();
    bool is_tmp = name == "tmp";
    for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
      if (!f.is_regular_file(ec)) continue;
      auto mtime = f.last_write_time(ec);
      if (is_tmp) {
        // Left behind by a server killed mid-write; never visible as an entry.
        if (now - mtime > kStaleTempAge) fs::remove(f.path(), ec);
        continue;
      }
      std::string key = f.path().filename().string();
      if (!valid_key(key) || key.substr(0, 1) != name) continue;
      found.push_back({key, disk_usage(f.file_size(ec)), mtime});
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.mtime < b.mtime; });
  std::unique_lock lock(mu_);
  // Newest first, each pushed to the front: the oldest entry ends up least recently used, and
  // everything found is older than entries touched while the scan ran.
  for (auto f = found.rbegin(); f != found.rend(); ++f) {
    if (items_.count(f->key) == 0) {
      lru_.push_front(f->key);
      items_[f->key] = Item{f->usage, lru_.begin()};
      total_ += f->usage;
    }
  }
  std::vector<std::string> victims;
  while (total_ + kFixedOverhead > max_size_ && !lru_.empty()) {
    victims.push_back(lru_.front());
    erase_locked(lru_.front());
  }
  scanned_ = true;
  lock.unlock();
  scanned_cv_.notify_all();
  for (const auto& v : victims) ::unlink(path_for(v).c_str());
  spdlog::debug("disk cache {}: {} entries, {} bytes", dir_, found.size(), total_);
}

void DiskStorage::wait_scanned(std::unique_lock<std::mutex>& lock) {
  scanned_cv_.wait(lock, [this] { return scanned_; });
}

void DiskStorage::touch_locked(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  lru_.splice(lru_.end(), lru_, it->second.lru_pos);
}

void DiskStorage::insert_locked(const std::string& key, uint64_t usage) {
  lru_.push_back(key);
  items_[key] = Item{usage, std::prev(lru_.end())};
  total_ += usage;
}

void DiskStorage::erase_locked(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  total_ -= it->second.usage;
  lru_.erase(it->second.lru_pos);
  items_.erase(it);
}

Expected<std::optional<std::string>> DiskStorage::get(const std::string& key) {
  if (!valid_key(key)) return make_error("invalid cache key");
  std::string path = path_for(key);
  auto data = read_file(path, max_size_);  // no entry can be larger than the cache
  if (!data) {
    if (!stat_file(path)) return std::optional<std::string>{};
    return data.error();
  }
  // Mark most recently used, on disk too so that the order survives a restart.
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  {
    std::lock_guard lock(mu_);
    touch_locked(key);
  }
  return std::optional<std::string>{std::move(*data)};
}

Status DiskStorage::put(const std::string& key, const std::string& bytes) {
  if (!valid_key(key)) return make_error("invalid cache key");
  uint64_t usage = disk_usage(bytes.size());
  if (usage + kFixedOverhead > max_size_) {
    return make_error("entry of " + std::to_string(bytes.size()) + " bytes is larger than the cache size limit");
  }
  std::string path = path_for(key);
  SCCACHE_TRY_STATUS(make_dirs(dirname_of(path)));
  std::vector<std::string> victims;
  {
    std::unique_lock lock(mu_);
    wait_scanned(lock);
    erase_locked(key);
    // Make room first, so that the directory never exceeds the limit.
    while (total_ + usage + kFixedOverhead > max_size_ && !lru_.empty()) {
      victims.push_back(lru_.front());
      erase_locked(lru_.front());
    }
    insert_locked(key, usage);
  }
  for (const auto& v : victims) ::unlink(path_for(v).c_str());
  // The directory may have been removed under a running server: recreate tmp/ as well.
  (void)make_dirs(join_path(dir_, "tmp"));
  auto st = write_file_atomic(path, bytes, 0644, join_path(dir_, "tmp"));
  if (!st) {
    std::lock_guard lock(mu_);
    erase_locked(key);
  }
  return st;
}

void DiskStorage::remove(const std::string& key) {
  if (!valid_key(key)) return;
  ::unlink(path_for(key).c_str());
  std::lock_guard lock(mu_);
  erase_locked(key);
}

std::string DiskStorage::location() const { return "Local disk: \"" + dir_ + "\""; }

std::optional<uint64_t> DiskStorage::current_size() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace sccache
