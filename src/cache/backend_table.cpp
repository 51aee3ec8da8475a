#include "cache/storage_backend.hpp"

namespace sccache {

namespace {

// Configured but not built: sccache 0.2.10's GCS settings are read (so that a config written for
// sccache still loads) and the disk cache is used instead.
const StorageBackend kGcsBackend{"GCS", "gcs", [](const RemoteCacheConfig& r) { return r.gcs_bucket.has_value(); }, nullptr};

const StorageBackend* const kBackends[] = {&kS3Backend,  &kRedisBackend, &kMemcachedBackend,
                                           &kGcsBackend, &kAzureBackend, &kWebdavBackend};

}  // namespace

std::span<const StorageBackend* const> storage_backends() { return kBackends; }

}  // namespace sccache
