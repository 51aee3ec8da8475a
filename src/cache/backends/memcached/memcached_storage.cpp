#include "cache/backends/memcached/memcached_storage.hpp"
#include "cache/storage_backend.hpp"

#include <libmemcached/memcached.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "util/dynlib.hpp"
#include "util/strings.hpp"
#include "util/url.hpp"

namespace sccache {

struct MemcachedStorage::Api {
  decltype(&::memcached_create) memcached_create = nullptr;
  decltype(&::memcached_free) memcached_free = nullptr;
  decltype(&::memcached_clone) memcached_clone = nullptr;
  decltype(&::memcached_server_add) memcached_server_add = nullptr;
  decltype(&::memcached_behavior_set) memcached_behavior_set = nullptr;
  decltype(&::memcached_get) memcached_get = nullptr;
  decltype(&::memcached_set) memcached_set = nullptr;
  decltype(&::memcached_delete) memcached_delete = nullptr;
  decltype(&::memcached_strerror) memcached_strerror = nullptr;
  decltype(&::memcached_last_error_message) memcached_last_error_message = nullptr;
};

namespace {

Expected<MemcachedStorage::Api> load_api() {
  SCCACHE_TRY(lib, DynLib::open({"libmemcached.so.11", "libmemcached.so"}, "libmemcached11"));
  MemcachedStorage::Api api;
  SCCACHE_DLSYM(lib, api, memcached_create);
  SCCACHE_DLSYM(lib, api, memcached_free);
  SCCACHE_DLSYM(lib, api, memcached_clone);
  SCCACHE_DLSYM(lib, api, memcached_server_add);
  SCCACHE_DLSYM(lib, api, memcached_behavior_set);
  SCCACHE_DLSYM(lib, api, memcached_get);
  SCCACHE_DLSYM(lib, api, memcached_set);
  SCCACHE_DLSYM(lib, api, memcached_delete);
  SCCACHE_DLSYM(lib, api, memcached_strerror);
  SCCACHE_DLSYM(lib, api, memcached_last_error_message);
  return api;
}

const Expected<MemcachedStorage::Api>& api_once() {
  static const Expected<MemcachedStorage::Api> api = load_api();
  return api;
}

memcached_st* as_mc(void* p) { return static_cast<memcached_st*>(p); }

StorageFailure failure_of(memcached_return_t rc) {
  return rc == MEMCACHED_TIMEOUT ? StorageFailure::timeout : StorageFailure::unavailable;
}

}  // namespace

Expected<MemcachedSettings> parse_memcached_url(const std::string& text) {
  MemcachedSettings s;
  std::string normalized = text;
  for (auto& ch : normalized) {
    if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
  }
  for (const auto& part : split(normalized, ' ')) {
    if (part.empty()) continue;
    SCCACHE_TRY(url, parse_url(part));
    if (url.scheme != "tcp") return make_error("`" + part + "`: expected tcp://host:port");
    if (url.host.empty()) return make_error("`" + part + "`: missing host");
    if (!url.path.empty() && url.path != "/") return make_error("`" + part + "`: unexpected path `" + url.path + "`");
    s.servers.emplace_back(url.host, url.port.value_or(11211));
    if (!s.display.empty()) s.display += ' ';
    s.display += part;
  }
  if (s.servers.empty()) return make_error("no servers given (expected tcp://host:port ...)");
  return s;
}

Expected<std::unique_ptr<MemcachedStorage>> MemcachedStorage::create(MemcachedSettings settings,
                                                                     RemoteTimeouts timeouts) {
  const auto& api = api_once();
  if (!api) return api.error();
  memcached_st* mc = api->memcached_create(nullptr);
  if (mc == nullptr) return make_error("memcached_create failed");
  auto behave = [&](memcached_behavior_t flag, uint64_t value) { api->memcached_behavior_set(mc, flag, value); };
  behave(MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
  behave(MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT);
  behave(MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  behave(MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(timeouts.connect.count()));          // ms
  behave(MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(timeouts.io.count()));                  // ms
  behave(MEMCACHED_BEHAVIOR_RCV_TIMEOUT, static_cast<uint64_t>(timeouts.io.count()) * 1000);            // us
  behave(MEMCACHED_BEHAVIOR_SND_TIMEOUT, static_cast<uint64_t>(timeouts.io.count()) * 1000);            // us
  behave(MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);  // s; our breaker does the longer back-off
  for (const auto& [host, port] : settings.servers) {
    auto rc = api->memcached_server_add(mc, host.c_str(), port);
    if (memcached_failed(rc)) {
      std::string why = api->memcached_strerror(mc, rc);
      api->memcached_free(mc);
      return make_error("memcached server " + host + ":" + std::to_string(port) + ": " + why);
    }
  }
  return std::unique_ptr<MemcachedStorage>(new MemcachedStorage(std::move(settings), *api, mc));
}

MemcachedStorage::MemcachedStorage(MemcachedSettings settings, const Api& api, void* prototype)
    : settings_(std::move(settings)), api_(api), prototype_(prototype) {}

MemcachedStorage::~MemcachedStorage() {
  for (void* mc : idle_) api_.memcached_free(as_mc(mc));
  api_.memcached_free(as_mc(prototype_));
}

void* MemcachedStorage::acquire() {
  std::lock_guard lock(mu_);
  if (!idle_.empty()) {
    void* mc = idle_.back();
    idle_.pop_back();
    return mc;
  }
  return api_.memcached_clone(nullptr, as_mc(prototype_));
}

void MemcachedStorage::release(void* mc) {
  std::lock_guard lock(mu_);
  idle_.push_back(mc);
}

Expected<std::optional<std::string>> MemcachedStorage::get(const std::string& key) {
  void* mc = acquire();
  if (mc == nullptr) return make_error("memcached_clone failed");
  size_t len = 0;
  uint32_t flags = 0;
  memcached_return_t rc = MEMCACHED_SUCCESS;
  char* value = api_.memcached_get(as_mc(mc), key.data(), key.size(), &len, &flags, &rc);
  std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
  std::string why = memcached_failed(rc) && rc != MEMCACHED_NOTFOUND ? api_.memcached_last_error_message(as_mc(mc)) : "";
  release(mc);
  if (rc == MEMCACHED_NOTFOUND) return std::optional<std::string>();
  if (memcached_failed(rc)) return storage_error(failure_of(rc), "get: " + why);
  if (value == nullptr || len == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(value, len));
}

Status MemcachedStorage::put(const std::string& key, const std::string& bytes) {
  void* mc = acquire();
  if (mc == nullptr) return make_error("memcached_clone failed");
  auto rc = api_.memcached_set(as_mc(mc), key.data(), key.size(), bytes.data(), bytes.size(), 0, 0);
  std::string why = memcached_failed(rc) ? api_.memcached_last_error_message(as_mc(mc)) : "";
  release(mc);
  if (rc == MEMCACHED_E2BIG) {
    std::call_once(too_big_logged_, [&] {
      spdlog::warn(
          "{}: an entry of {} bytes is larger than the server's item size limit and was not stored; "
          "raise the limit with memcached's -I option (e.g. `memcached -I 32m`) to cache large objects",
          location(), bytes.size());
    });
    return storage_error(StorageFailure::item_rejected,
                         "set: entry of " + std::to_string(bytes.size()) + " bytes exceeds the memcached item size limit");
  }
  if (memcached_failed(rc)) return storage_error(failure_of(rc), "set: " + why);
  return Ok{};
}

void MemcachedStorage::remove(const std::string& key) {
  void* mc = acquire();
  if (mc == nullptr) return;
  api_.memcached_delete(as_mc(mc), key.data(), key.size(), 0);
  release(mc);
}

namespace {
Expected<std::unique_ptr<Storage>> create_memcached(const Config& config, const EnvMap& /*env*/,
                                                    const RemoteTimeouts& t) {
  const auto& r = config.remote;
  auto settings = parse_memcached_url(*r.memcached_url);
  if (!settings) return make_error(r.memcached_origin + ": " + settings.error().message);
  auto mc = MemcachedStorage::create(std::move(*settings), t);
  if (!mc) return make_error(r.memcached_origin + ": " + mc.error().message);
  return std::unique_ptr<Storage>(std::move(*mc));
}
}  // namespace

const StorageBackend kMemcachedBackend{"Memcached", "memcached",
                                       [](const RemoteCacheConfig& r) { return r.memcached_url.has_value(); },
                                       create_memcached};

}  // namespace sccache
