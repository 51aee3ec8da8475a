#include "cache/storage_factory.hpp"

#include <spdlog/spdlog.h>

#include "cache/disk_storage.hpp"
#include "cache/guarded_storage.hpp"
#include "cache/memcached_storage.hpp"
#include "cache/redis_storage.hpp"
#include "cache/s3_storage.hpp"
#include "util/fs.hpp"

namespace sccache {

namespace {

std::unique_ptr<Storage> guarded(std::unique_ptr<Storage> inner) {
  spdlog::info("cache storage: {}", inner->location());
  return std::make_unique<GuardedStorage>(std::move(inner));
}

}  // namespace

Expected<std::unique_ptr<Storage>> make_storage(const Config& config, const EnvMap& env) {
  const auto& r = config.remote;
  RemoteTimeouts timeouts;
  if (r.s3) {
    auto s3 = S3Storage::create(*r.s3, env, timeouts);
    if (!s3) return make_error("S3 cache (SCCACHE_BUCKET / [cache.s3]): " + s3.error().message);
    return guarded(std::move(*s3));
  }
  if (r.redis_url) {
    auto settings = parse_redis_url(*r.redis_url);
    if (!settings) return make_error(r.redis_origin + ": " + settings.error().message);
    return guarded(std::make_unique<RedisStorage>(std::move(*settings), timeouts));
  }
  if (r.memcached_url) {
    auto settings = parse_memcached_url(*r.memcached_url);
    if (!settings) return make_error(r.memcached_origin + ": " + settings.error().message);
    auto mc = MemcachedStorage::create(std::move(*settings), timeouts);
    if (!mc) return make_error(r.memcached_origin + ": " + mc.error().message);
    return guarded(std::move(*mc));
  }
  if (r.gcs_bucket || r.azure) {
    spdlog::warn("GCS and Azure cache backends are not implemented; using the local disk cache");
  }
  SCCACHE_TRY_STATUS(make_dirs(config.disk.dir));
  return std::unique_ptr<Storage>(std::make_unique<DiskStorage>(config.disk.dir, config.disk.size));
}

}  // namespace sccache
