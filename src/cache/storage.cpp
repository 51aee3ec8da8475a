#include "cache/storage.hpp"

namespace sccache {

namespace {

constexpr int kStorageFailureBase = 0x5300;  // "S": other modules' codes are small numbers
constexpr int kStorageFailureCount = 6;

}  // namespace

Error storage_error(StorageFailure kind, std::string message) {
  return Error{std::move(message), kStorageFailureBase + static_cast<int>(kind)};
}

StorageFailure storage_failure(const Error& error) {
  int k = error.code - kStorageFailureBase;
  if (k < 0 || k >= kStorageFailureCount) return StorageFailure::unavailable;
  return static_cast<StorageFailure>(k);
}

std::string_view storage_failure_name(StorageFailure kind) {
  switch (kind) {
    case StorageFailure::unavailable: return "unavailable";
    case StorageFailure::timeout: return "timeout";
    case StorageFailure::denied: return "denied";
    case StorageFailure::corrupt: return "corrupt";
    case StorageFailure::misconfigured: return "misconfigured";
    case StorageFailure::item_rejected: return "item rejected";
  }
  return "unavailable";
}

std::string normalized_key_prefix(std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix.empty() ? prefix : prefix + "/";
}

std::string sharded_object_name(std::string_view prefix, const std::string& key) {
  if (key.size() < 3) return std::string(prefix) + key;
  return std::string(prefix) + key.substr(0, 1) + "/" + key.substr(1, 1) + "/" + key.substr(2, 1) + "/" + key;
}

}  // namespace sccache
