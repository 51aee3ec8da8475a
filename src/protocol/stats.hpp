#pragma once
// Server statistics with sccache's counter names, and their text and JSON renderings.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sccache {

struct Duration {
  uint64_t secs = 0;
  uint32_t nanos = 0;
  void add_ns(uint64_t ns);
};

struct ServerStats {
  uint64_t compile_requests = 0;
  uint64_t requests_unsupported_compiler = 0;
  uint64_t requests_not_compile = 0;
  uint64_t requests_not_cacheable = 0;
  uint64_t requests_executed = 0;
  std::map<std::string, uint64_t> cache_errors;
  std::map<std::string, uint64_t> cache_hits;
  std::map<std::string, uint64_t> cache_misses;
  uint64_t cache_timeouts = 0;
  uint64_t cache_read_errors = 0;
  uint64_t non_cacheable_compilations = 0;
  uint64_t forced_recaches = 0;
  uint64_t cache_write_errors = 0;
  uint64_t cache_writes = 0;
  Duration cache_write_duration;
  Duration cache_read_hit_duration;
  Duration cache_read_miss_duration;
  uint64_t compile_fails = 0;
  std::map<std::string, uint64_t> not_cached;
  uint64_t dist_compiles = 0;
  uint64_t dist_errors = 0;
  uint64_t cache_writes_skipped = 0;  // ours: a read-only backend (S3 without credentials) skipped the write
  std::map<std::string, uint64_t> cache_hits_by_level;  // ours: a multi-level chain's hits, by `L<i> <name>`
};

struct ServerInfo {
  ServerStats stats;
  std::string cache_location;
  std::optional<uint64_t> cache_size;
  std::optional<uint64_t> max_cache_size;
};

std::string format_stats_text(const ServerInfo& info);
std::string format_stats_json(const ServerInfo& info);

}  // namespace sccache
