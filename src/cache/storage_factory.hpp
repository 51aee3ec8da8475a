#pragma once
// Picks the storage backend from the configuration: the first row of the backend table
// (storage_backend.hpp) that the configuration selects, else the local disk. Remote backends
// come wrapped in GuardedStorage.
#include <memory>

#include "cache/storage.hpp"
#include "config/config.hpp"

namespace sccache {

// An invalid setting is an error naming the variable or key that holds it.
Expected<std::unique_ptr<Storage>> make_storage(const Config& config, const EnvMap& env);

}  // namespace sccache
