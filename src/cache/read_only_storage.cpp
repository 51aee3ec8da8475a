#include "cache/read_only_storage.hpp"

namespace sccache {

Status ReadOnlyStorage::put(const std::string& key, const std::string& bytes) {
  (void)key;
  (void)bytes;
  return storage_error(StorageFailure::item_rejected, inner_->location() + " is read-only");
}

}  // namespace sccache
