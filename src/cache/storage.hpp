#pragma once
// The storage contract: bytes in, bytes out, by key. A miss is an empty optional, not an error.
// Backends know nothing of compilers or entry formats.
#include <cstdint>
#include <optional>
#include <string>

#include "util/expected.hpp"

namespace sccache {

// Error::code of a put the backend refused for this item alone (e.g. larger than memcached's
// item size limit): the backend itself is healthy, so it is not marked down for it.
constexpr int kStorageItemRejected = 1;
// Error::code of a get or put that got no answer within the backend's connect or io timeout:
// counted as "Cache timeouts", not as an error.
constexpr int kStorageTimeout = 2;

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
};

}  // namespace sccache
