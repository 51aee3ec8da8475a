#pragma once
// The table of remote storage backends. A backend is one source file that defines its row (a
// `StorageBackend`) plus one line in backend_table.cpp; the start-up choice (make_storage) and
// `sccache --help`'s feature list are derived from the table, in its order (sccache's order:
// the first configured backend wins; none = the local disk cache).
#include <memory>
#include <span>
#include <string_view>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"
#include "config/config.hpp"

namespace sccache {

struct StorageBackend {
  std::string_view name;     // as `sccache --help` lists it
  std::string_view section;  // its `[cache.<section>]` (and SCCACHE_<SECTION>_RW_MODE)
  // Whether the configuration (environment or config file) selects this backend.
  bool (*selected)(const RemoteCacheConfig& remote);
  // Builds the backend; errors name the setting at fault. nullptr: not implemented (the disk
  // cache is used, with a warning).
  Expected<std::unique_ptr<Storage>> (*create)(const Config& config, const EnvMap& env, const RemoteTimeouts& t);
};

// Every backend, in precedence order.
std::span<const StorageBackend* const> storage_backends();

// The rows, each defined next to its backend.
extern const StorageBackend kS3Backend;
extern const StorageBackend kRedisBackend;
extern const StorageBackend kMemcachedBackend;
extern const StorageBackend kWebdavBackend;
extern const StorageBackend kAzureBackend;
extern const StorageBackend kGcsBackend;

}  // namespace sccache
