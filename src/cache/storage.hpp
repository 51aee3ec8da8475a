#pragma once
// The storage contract: bytes in, bytes out, by key. A miss is an empty optional, not an error.
// Backends know nothing of compilers or entry formats.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache {

// The kind of a storage failure, carried in its Error::code (make it with storage_error, read it
// with storage_failure). The codes lie in their own range, so an error passed up from another
// module is never mistaken for one of these.
enum class StorageFailure {
  unavailable,    // the backend cannot be reached or failed (refused, connection lost, 5xx)
  timeout,        // no answer within the connect or io timeout: counted as "Cache timeouts"
  denied,         // credentials refused or missing for this operation (HTTP 401/403, NOAUTH)
  corrupt,        // an answer that is not what a backend of this kind stores
  misconfigured,  // a setting names what does not exist (no such bucket, no such database)
  item_rejected,  // this item alone (e.g. over memcached's item size limit): the backend is fine
};

Error storage_error(StorageFailure kind, std::string message);
// The kind of `error`; `unavailable` for an error no backend classified.
StorageFailure storage_failure(const Error& error);
std::string_view storage_failure_name(StorageFailure kind);

class Storage {
 public:
  virtual ~Storage() = default;
  // nullopt = miss. Error = the backend failed (counted, then treated as a miss).
  virtual Expected<std::optional<std::string>> get(const std::string& key) = 0;
  virtual Status put(const std::string& key, const std::string& bytes) = 0;
  // Drops an entry found to be corrupt so that the next compile replaces it.
  virtual void remove(const std::string& key) = 0;
  // "Local disk: \"/path\"" etc., as sccache prints it.
  [[nodiscard]] virtual std::string location() const = 0;
  [[nodiscard]] virtual std::optional<uint64_t> current_size() const = 0;
  [[nodiscard]] virtual std::optional<uint64_t> max_size() const = 0;
  // A read-only backend (e.g. S3 without credentials): puts are skipped and counted as such.
  [[nodiscard]] virtual bool read_only() const { return false; }
  // After a get() on this thread that hit: the level of a multi-level chain that served it
  // (`L1 redis`); empty for a single storage.
  [[nodiscard]] virtual std::string last_hit_level() const { return {}; }
};

// A key prefix as remote backends use it: "" or "dir/sub/" (slashes at either end trimmed).
std::string normalized_key_prefix(std::string prefix);
// Where an entry lives below a remote backend's root, as sccache lays it out:
// <prefix><k0>/<k1>/<k2>/<key> (the key's first three hex digits as directories).
std::string sharded_object_name(std::string_view prefix, const std::string& key);

}  // namespace sccache
