#include "cache/storage_factory.hpp"

#include <spdlog/spdlog.h>

#include "cache/disk_storage.hpp"
#include "cache/guarded_storage.hpp"
#include "cache/read_only_storage.hpp"
#include "cache/storage_backend.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

std::unique_ptr<Storage> guarded(std::unique_ptr<Storage> inner) {
  spdlog::info("cache storage: {}", inner->location());
  return std::make_unique<GuardedStorage>(std::move(inner));
}

// The backend's configured mode; GCS is read-only unless told READ_WRITE, as in sccache.
bool configured_read_only(const RemoteCacheConfig& remote, std::string_view section) {
  if (auto it = remote.read_only.find(section); it != remote.read_only.end()) return it->second;
  return section == "gcs";
}

}  // namespace

Expected<std::unique_ptr<Storage>> make_storage(const Config& config, const EnvMap& env) {
  const RemoteTimeouts timeouts;
  for (const StorageBackend* backend : storage_backends()) {
    if (!backend->selected(config.remote)) continue;
    if (backend->create == nullptr) {
      spdlog::warn("the {} cache backend is not implemented; using the local disk cache", backend->name);
      break;
    }
    SCCACHE_TRY(storage, backend->create(config, env, timeouts));
    if (configured_read_only(config.remote, backend->section) && !storage->read_only()) {
      spdlog::info("cache storage: {} is read-only (rw_mode)", backend->name);
      storage = std::make_unique<ReadOnlyStorage>(std::move(storage));
    }
    return guarded(std::move(storage));
  }
  SCCACHE_TRY_STATUS(make_dirs(config.disk.dir));
  return std::unique_ptr<Storage>(std::make_unique<DiskStorage>(config.disk.dir, config.disk.size));
}

}  // namespace sccache
