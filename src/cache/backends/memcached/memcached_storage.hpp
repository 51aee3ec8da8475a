#pragma once
// Memcached backend (libmemcached, loaded on first use): binary protocol, consistent hashing
// over the listed servers, get/set/delete of the raw key, connections pooled across requests.
// URL: one or more `tcp://host:port`, separated by whitespace.
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"

namespace sccache {

struct MemcachedSettings {
  std::vector<std::pair<std::string, uint16_t>> servers;
  std::string display;  // the servers as given, single-space separated
};

Expected<MemcachedSettings> parse_memcached_url(const std::string& text);

class MemcachedStorage final : public Storage {
 public:
  // Loads libmemcached; fails with a message naming the package if it is not installed.
  static Expected<std::unique_ptr<MemcachedStorage>> create(MemcachedSettings settings, RemoteTimeouts timeouts);
  ~MemcachedStorage() override;
  MemcachedStorage(const MemcachedStorage&) = delete;
  MemcachedStorage& operator=(const MemcachedStorage&) = delete;

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  [[nodiscard]] std::string location() const override { return "Memcached: " + settings_.display; }
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }

  struct Api;

 private:
  MemcachedStorage(MemcachedSettings settings, const Api& api, void* prototype);
  void* acquire();
  void release(void* mc);

  MemcachedSettings settings_;
  const Api& api_;
  void* prototype_;              // memcached_st configured once; clones serve requests
  std::mutex mu_;
  std::vector<void*> idle_;      // guarded by mu_
  std::once_flag too_big_logged_;
};

}  // namespace sccache
