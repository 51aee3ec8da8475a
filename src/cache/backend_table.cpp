#include "cache/storage_backend.hpp"

namespace sccache {

namespace {

const StorageBackend* const kBackends[] = {&kS3Backend,  &kRedisBackend, &kMemcachedBackend,
                                           &kGcsBackend, &kAzureBackend, &kWebdavBackend};

}  // namespace

std::span<const StorageBackend* const> storage_backends() { return kBackends; }

}  // namespace sccache
