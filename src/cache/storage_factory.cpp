#include "cache/storage_factory.hpp"

#include <spdlog/spdlog.h>

#include "cache/disk_storage.hpp"
#include "cache/guarded_storage.hpp"
#include "cache/multilevel_storage.hpp"
#include "cache/read_only_storage.hpp"
#include "cache/storage_backend.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

std::unique_ptr<Storage> guarded(std::unique_ptr<Storage> inner) {
  spdlog::info("cache storage: {}", inner->location());
  return std::make_unique<GuardedStorage>(std::move(inner));
}

}  // namespace

namespace {

// One remote backend as configured: read-only if its rw_mode says so, behind its breaker.
Expected<std::unique_ptr<Storage>> open_backend(const StorageBackend& backend, const Config& config, const EnvMap& env,
                                                const RemoteTimeouts& timeouts) {
  SCCACHE_TRY(storage, backend.create(config, env, timeouts));
  if (config.remote.is_read_only(backend.section) && !storage->read_only()) {
    spdlog::info("cache storage: {} is read-only (rw_mode)", backend.name);
    storage = std::make_unique<ReadOnlyStorage>(std::move(storage));
  }
  return guarded(std::move(storage));
}

// An unusable directory (below a regular file, no permission) does not stop the server: every
// lookup misses and every store fails, counted, and this one line says why. DiskStorage
// recreates the directory when it can, so a fixed directory is used without a restart.
Expected<std::unique_ptr<Storage>> open_disk(const Config& config) {
  if (auto made = make_dirs(config.disk.dir); !made) {
    spdlog::error("the local disk cache SCCACHE_DIR={} is unusable ({}); compiling uncached until it can be created",
                  config.disk.dir, made.error().message);
  }
  return std::unique_ptr<Storage>(std::make_unique<DiskStorage>(config.disk.dir, config.disk.size));
}

// The chain's levels in order; each named level must be configured as it would be alone.
Expected<std::unique_ptr<Storage>> open_chain(const Config& config, const EnvMap& env, const RemoteTimeouts& timeouts) {
  const auto& remote = config.remote;
  std::vector<CacheLevel> levels;
  for (const auto& name : remote.multilevel_chain) {
    if (name == "disk") {
      SCCACHE_TRY(disk, open_disk(config));
      levels.push_back({name, std::move(disk)});
      continue;
    }
    const StorageBackend* backend = nullptr;
    for (const StorageBackend* b : storage_backends()) {
      if (b->section == name) backend = b;
    }
    if (backend == nullptr || !backend->selected(remote)) {
      return make_error(remote.multilevel_origin + ": level `" + name + "` is not configured (set its own settings too)");
    }
    if (backend->create == nullptr) return make_error(remote.multilevel_origin + ": the " + std::string(backend->name) + " backend is not implemented");
    SCCACHE_TRY(storage, open_backend(*backend, config, env, timeouts));
    levels.push_back({name, std::move(storage)});
  }
  const std::string& p = remote.multilevel_write_policy;
  auto policy = p == "ignore" ? WriteErrorPolicy::ignore : p == "all" ? WriteErrorPolicy::all : WriteErrorPolicy::l0;
  auto chain = std::make_unique<MultiLevelStorage>(std::move(levels), policy);
  spdlog::info("cache storage: {}", chain->location());
  return std::unique_ptr<Storage>(std::move(chain));
}

}  // namespace

Expected<std::unique_ptr<Storage>> make_storage(const Config& config, const EnvMap& env) {
  const RemoteTimeouts timeouts;
  if (!config.remote.multilevel_chain.empty()) return open_chain(config, env, timeouts);
  for (const StorageBackend* backend : storage_backends()) {
    if (!backend->selected(config.remote)) continue;
    if (backend->create == nullptr) {
      spdlog::warn("the {} cache backend is not implemented; using the local disk cache", backend->name);
      break;
    }
    return open_backend(*backend, config, env, timeouts);
  }
  return open_disk(config);
}

}  // namespace sccache
