#include "server/file_hash_cache.hpp"

#include <sys/stat.h>

#include "util/hash.hpp"

namespace sccache {

namespace {
constexpr int64_t kTooNewNs = 2'000'000'000;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

std::optional<FileDigest> FileHashCache::digest(const std::string& path) {
  auto st = stat_file(path);
  if (!st || !S_ISREG(st->mode)) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(path);
    if (it != slots_.end() && it->second.stat == *st) return it->second.digest;
  }
  int64_t before = now_ns();
  auto content = read_file(path);
  if (!content) return std::nullopt;
  auto after = stat_file(path);
  FileDigest d;
  d.digest = sha256_hex(*content);
  d.has_time_macros = content->find("__DATE__") != std::string::npos || content->find("__TIME__") != std::string::npos ||
                      content->find("__TIMESTAMP__") != std::string::npos;
  d.has_include_test = content->find("__has_include") != std::string::npos;
  d.mtime_ns = st->mtime_ns;
  d.ctime_ns = st->ctime_ns;
  d.too_new = !after || !(*after == *st) || st->mtime_ns > before - kTooNewNs || st->ctime_ns > before - kTooNewNs;
  if (!d.too_new) {
    std::lock_guard lock(mu_);
    slots_[path] = Slot{*st, d};
  }
  return d;
}

}  // namespace sccache
