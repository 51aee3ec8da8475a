#include "distributed/build_server/toolchain_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"

namespace sccache::dist {

namespace {

// Bytes of the regular files (each inode once) and symlinks below `root`, never following links.
uint64_t tree_size(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1 && !seen.emplace(st.st_dev, st.st_ino).second) continue;
      total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

// Extracts `archive` into a fresh dir under `tmp` and renames it to `root` once complete. Returns the
// unpacked size. Error codes: kArchiveRejected (bad archive) or anything else (environment).
Expected<uint64_t> unpack_into(const std::string& archive, const std::string& tmp, const std::string& root,
                               const std::string& id, ExtractLimits limits) {
  SCCACHE_TRY_STATUS(make_dirs(tmp));
  SCCACHE_TRY_STATUS(make_dirs(dirname_of(root)));
  std::string work = join_path(tmp, "unpack-" + id.substr(0, 16) + "-XXXXXX");
  if (::mkdtemp(work.data()) == nullptr) {
    return make_error("cannot create " + work + ": " + std::strerror(errno), kArchiveIoError);
  }
  auto st = extract_archive_file(archive, work, limits);
  if (!st) {
    remove_tree(work);
    return st.error();
  }
  ::chmod(work.c_str(), 0755);  // mkdtemp made it 0700; it becomes "/" in the sandbox
  uint64_t size = tree_size(work);
  if (::rename(work.c_str(), root.c_str()) != 0) {
    int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) {  // a stray tree: scan() removes those, but be safe
      remove_tree(root);
      if (::rename(work.c_str(), root.c_str()) == 0) return size;
      err = errno;
    }
    remove_tree(work);
    return make_error("cannot move unpacked toolchain into " + root + ": " + std::strerror(err), kArchiveIoError);
  }
  return size;
}

}  // namespace

// ---- Lease ----

ToolchainCache::Lease::Lease(ToolchainCache* cache, std::string id, std::string dir)
    : cache_(cache), id_(std::move(id)), dir_(std::move(dir)) {}

ToolchainCache::Lease::Lease(Lease&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)), id_(std::move(other.id_)), dir_(std::move(other.dir_)) {}

ToolchainCache::Lease& ToolchainCache::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    cache_ = std::exchange(other.cache_, nullptr);
    id_ = std::move(other.id_);
    dir_ = std::move(other.dir_);
  }
  return *this;
}

ToolchainCache::Lease::~Lease() { release(); }

void ToolchainCache::Lease::release() {
  if (cache_ != nullptr) std::exchange(cache_, nullptr)->release(id_);
}

// ---- ToolchainCache ----

ToolchainCache::ToolchainCache(std::string dir, uint64_t max_size, ExtractLimits limits)
    : dir_(std::move(dir)), max_size_(max_size), limits_(limits) {
  scan();
}

bool ToolchainCache::valid_id(const std::string& id) {
  return id.size() == 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string ToolchainCache::archive_path(const std::string& id) const {
  return join_path(join_path(dir_, "archives"), id);
}
std::string ToolchainCache::unpacked_dir(const std::string& id) const {
  return join_path(join_path(dir_, "unpacked"), id);
}
std::string ToolchainCache::tmp_dir() const { return join_path(dir_, "tmp"); }

namespace {

struct FoundToolchain {
  std::string id;
  uint64_t archive_size = 0;
  int64_t mtime_ns = 0;
  bool unpacked = false;
  uint64_t unpacked_size = 0;
};

// The archives (and their unpacked trees) a restart finds, oldest first; anything else there is
// removed (not ours, or a tree whose archive is gone).
std::vector<FoundToolchain> toolchains_on_disk(const std::string& archives, const std::string& unpacked) {
  std::vector<FoundToolchain> found;
  std::unordered_map<std::string, size_t> by_id;
  if (auto names = list_dir(archives)) {
    for (const auto& n : *names) {
      std::string path = join_path(archives, n);
      struct stat st {};
      if (ToolchainCache::valid_id(n) && ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        by_id[n] = found.size();
        found.push_back({n, static_cast<uint64_t>(st.st_size),
                         static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, false, 0});
      } else {
        remove_tree(path);
      }
    }
  }
  if (auto names = list_dir(unpacked)) {
    for (const auto& n : *names) {
      std::string path = join_path(unpacked, n);
      struct stat st {};
      auto it = by_id.find(n);
      if (it != by_id.end() && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        found[it->second].unpacked = true;
        found[it->second].unpacked_size = tree_size(path);
      } else {
        remove_tree(path);  // no archive any more, or not ours
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.mtime_ns < b.mtime_ns; });
  return found;
}

}  // namespace

void ToolchainCache::scan() {
  const std::string archives = join_path(dir_, "archives");
  const std::string unpacked = join_path(dir_, "unpacked");
  for (const auto& d : {archives, unpacked, tmp_dir()}) {
    if (auto st = make_dirs(d); !st) spdlog::warn("toolchain cache: {}", st.error().message);
  }
  // Everything in tmp/ is left over from an interrupted write, unpack or eviction.
  if (auto names = list_dir(tmp_dir())) {
    for (const auto& n : *names) remove_tree(join_path(tmp_dir(), n));
  }
  std::vector<FoundToolchain> found = toolchains_on_disk(archives, unpacked);
  std::vector<std::string> trash;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : found) {  // oldest first: it ends up least recently used
      auto item = std::make_shared<Item>();
      item->state = f.unpacked ? State::kUnpacked : State::kPacked;
      item->archive_size = f.archive_size;
      item->unpacked_size = f.unpacked_size;
      insert_locked(f.id, item);
    }
    evict_locked(trash);
  }
  for (const auto& p : trash) remove_tree(p);
  spdlog::debug("toolchain cache {}: {} toolchains, {} bytes", dir_, found.size(), size());
}

void ToolchainCache::insert_locked(const std::string& id, const std::shared_ptr<Item>& item) {
  lru_.push_back(id);
  item->lru_pos = std::prev(lru_.end());
  items_[id] = item;
  total_ += item->archive_size + item->unpacked_size;
}

void ToolchainCache::erase_locked(const std::string& id) {
  auto it = items_.find(id);
  if (it == items_.end()) return;
  total_ -= it->second->archive_size + it->second->unpacked_size;
  lru_.erase(it->second->lru_pos);
  items_.erase(it);
}

void ToolchainCache::touch_locked(const std::string& id) {
  auto it = items_.find(id);
  if (it != items_.end()) lru_.splice(lru_.end(), lru_, it->second->lru_pos);
}

std::string ToolchainCache::trash_name_locked(const std::string& what) {
  return join_path(tmp_dir(), "evicted-" + what + "." + std::to_string(++trash_counter_));
}

void ToolchainCache::remove_files_locked(const std::string& id, const Item& item, std::vector<std::string>& trash) {
  ::unlink(archive_path(id).c_str());
  if (item.state != State::kUnpacked) return;
  // A rename is quick enough to do under the lock; deleting the tree is left to the caller.
  std::string from = unpacked_dir(id);
  std::string to = trash_name_locked(id);
  if (::rename(from.c_str(), to.c_str()) == 0) {
    trash.push_back(to);
  } else {
    remove_tree(from);
  }
}

void ToolchainCache::evict_locked(std::vector<std::string>& trash) {
  auto pos = lru_.begin();
  while (total_ > max_size_ && pos != lru_.end()) {
    auto it = items_.find(*pos);
    ++pos;  // erase_locked below invalidates only the victim's position
    const Item& item = *it->second;
    if (item.leases > 0 || (item.state != State::kPacked && item.state != State::kUnpacked)) continue;
    std::string id = it->first;
    spdlog::info("toolchain cache: evicting {} ({} bytes)", id, item.archive_size + item.unpacked_size);
    remove_files_locked(id, item, trash);
    erase_locked(id);
  }
  if (total_ > max_size_) {
    spdlog::debug("toolchain cache: {} bytes in use, over the {} byte limit while toolchains are leased", total_,
                  max_size_);
  }
}

bool ToolchainCache::contains(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(id);
  return it != items_.end() && it->second->state != State::kWriting;
}

Status ToolchainCache::put(const std::string& id, std::string_view bytes) {
  if (!valid_id(id)) return make_error("invalid toolchain id '" + id + "'", kInvalidId);
  std::string actual = sha256_hex(bytes);
  if (actual != id) {
    return make_error("toolchain digest mismatch: expected " + id + ", got " + actual, kDigestMismatch);
  }
  if (bytes.size() > max_size_) {
    return make_error("toolchain archive of " + std::to_string(bytes.size()) +
                          " bytes is larger than the toolchain cache limit of " + std::to_string(max_size_) + " bytes",
                      kTooLarge);
  }
  auto item = std::make_shared<Item>();
  item->archive_size = bytes.size();
  std::vector<std::string> trash;
  {
    std::unique_lock lock(mu_);
    while (true) {
      auto it = items_.find(id);
      if (it == items_.end()) break;
      if (it->second->state == State::kWriting) {  // the same bytes, being stored by another put
        cv_.wait(lock);
        continue;
      }
      touch_locked(id);
      return Ok{};
    }
    insert_locked(id, item);  // kWriting: counted (room is made first) but not evictable
    evict_locked(trash);
  }
  for (const auto& p : trash) remove_tree(p);
  // The directories may have been removed under a running server: recreate them.
  Status st = make_dirs(join_path(dir_, "archives"));
  if (st) st = make_dirs(tmp_dir());
  if (st) st = write_file_atomic(archive_path(id), bytes, 0644, tmp_dir());
  {
    std::lock_guard lock(mu_);
    if (st) {
      item->state = State::kPacked;
    } else {
      erase_locked(id);
    }
  }
  cv_.notify_all();
  return st;
}

// An unpack that failed: a rejected archive is deleted (and the waiters told why), a vanished one
// is gone, and any other failure (disk full, ...) keeps the archive for the next acquire.
Error ToolchainCache::unpack_failed_locked(const std::string& id, Item& item, const Error& why) {
  const std::string archive = archive_path(id);
  --item.leases;
  if (why.code == kArchiveRejected) {
    item.state = State::kFailed;
    item.error = "cannot unpack toolchain " + id + " (archive deleted): " + why.message;
    ::unlink(archive.c_str());
    erase_locked(id);
    return make_error(item.error, kBadArchive);
  }
  if (!stat_file(archive)) {  // removed from under us
    item.state = State::kFailed;
    item.error = "toolchain " + id + " is not in the cache (" + why.message + ")";
    erase_locked(id);
    return make_error(item.error, kNotFound);
  }
  item.state = State::kPacked;
  return make_error("cannot unpack toolchain " + id + ": " + why.message);
}

Expected<ToolchainCache::Lease> ToolchainCache::acquire(const std::string& id) {
  if (!valid_id(id)) return make_error("invalid toolchain id '" + id + "'", kInvalidId);
  const std::string archive = archive_path(id);
  const std::string root = unpacked_dir(id);
  std::shared_ptr<Item> item;
  {
    std::unique_lock lock(mu_);
    while (true) {
      auto it = items_.find(id);
      if (it == items_.end()) {
        // Gone while we waited: report why if its unpack failed.
        if (item && item->state == State::kFailed) return make_error(item->error, kBadArchive);
        return make_error("toolchain " + id + " is not in the cache", kNotFound);
      }
      item = it->second;
      if (item->state == State::kWriting || item->state == State::kUnpacking) {
        cv_.wait(lock);
        continue;
      }
      break;
    }
    ++item->leases;
    touch_locked(id);
    if (item->state == State::kUnpacked) {
      lock.unlock();
      ::utimensat(AT_FDCWD, archive.c_str(), nullptr, 0);  // the LRU order survives restarts
      return Lease(this, id, root);
    }
    item->state = State::kUnpacking;  // we unpack; others wait on cv_
  }

  ::utimensat(AT_FDCWD, archive.c_str(), nullptr, 0);
  Expected<uint64_t> unpacked = unpack_into(archive, tmp_dir(), root, id, limits_);
  std::vector<std::string> trash;
  Error failure;
  {
    std::lock_guard lock(mu_);
    if (unpacked) {
      item->state = State::kUnpacked;
      item->unpacked_size = *unpacked;
      total_ += *unpacked;
      ++unpacks_;
      evict_locked(trash);  // ours is leased
    } else {
      failure = unpack_failed_locked(id, *item, unpacked.error());
    }
  }
  cv_.notify_all();
  for (const auto& p : trash) remove_tree(p);
  if (!unpacked) {
    spdlog::warn("toolchain cache: {}", failure.message);
    return failure;
  }
  spdlog::debug("toolchain cache: unpacked {} ({} bytes)", id, *unpacked);
  return Lease(this, id, root);
}

void ToolchainCache::release(const std::string& id) {
  std::vector<std::string> trash;
  {
    std::lock_guard lock(mu_);
    auto it = items_.find(id);
    if (it == items_.end()) return;
    if (it->second->leases > 0) --it->second->leases;
    evict_locked(trash);  // the excess allowed while it was pinned
  }
  for (const auto& p : trash) remove_tree(p);
}

uint64_t ToolchainCache::size() const {
  std::lock_guard lock(mu_);
  return total_;
}

uint64_t ToolchainCache::unpack_count() const {
  std::lock_guard lock(mu_);
  return unpacks_;
}

}  // namespace sccache::dist
