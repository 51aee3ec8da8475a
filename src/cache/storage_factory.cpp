#include "cache/storage_factory.hpp"

#include <spdlog/spdlog.h>

#include "cache/disk_storage.hpp"
#include "cache/guarded_storage.hpp"
#include "cache/storage_backend.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

std::unique_ptr<Storage> guarded(std::unique_ptr<Storage> inner) {
  spdlog::info("cache storage: {}", inner->location());
  return std::make_unique<GuardedStorage>(std::move(inner));
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
    return guarded(std::move(storage));
  }
  SCCACHE_TRY_STATUS(make_dirs(config.disk.dir));
  return std::unique_ptr<Storage>(std::make_unique<DiskStorage>(config.disk.dir, config.disk.size));
}

}  // namespace sccache
