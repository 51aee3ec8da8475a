#pragma once
// Redis backend (hiredis): GET/SET/DEL of the raw key, connections pooled across requests,
// connect and I/O timeouts. URLs: redis://[[user]:password@]host[:port][/db] and
// unix:///path/to/socket[?db=N&user=U&password=P] (also redis+unix://).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"

struct redisContext;

namespace sccache {

struct RedisSettings {
  std::string host;
  uint16_t port = 6379;
  std::string unix_path;  // set for the unix socket form
  std::optional<std::string> user, password;
  int db = 0;
  std::string display;    // the URL with the password replaced by ***
};

Expected<RedisSettings> parse_redis_url(const std::string& url);

class RedisStorage final : public Storage {
 public:
  RedisStorage(RedisSettings settings, RemoteTimeouts timeouts);
  ~RedisStorage() override;
  RedisStorage(const RedisStorage&) = delete;
  RedisStorage& operator=(const RedisStorage&) = delete;

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  [[nodiscard]] std::string location() const override { return "Redis: " + settings_.display; }
  // INFO used_memory and CONFIG GET maxmemory (0 = no limit = unknown).
  [[nodiscard]] std::optional<uint64_t> current_size() const override;
  [[nodiscard]] std::optional<uint64_t> max_size() const override;

 private:
  // A pooled connection (`reused` set), or a new one when `fresh` or the pool is empty.
  Expected<redisContext*> acquire(bool fresh, bool& reused) const;
  void release(redisContext* c, bool healthy) const;
  // Runs one command on a pooled connection; the reply is converted by `take`.
  template <typename T, typename Take>
  Expected<T> command(const std::vector<std::string_view>& args, Take take) const;

  RedisSettings settings_;
  RemoteTimeouts timeouts_;
  mutable std::mutex mu_;
  mutable std::vector<redisContext*> idle_;  // guarded by mu_
};

}  // namespace sccache
