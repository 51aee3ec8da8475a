#include "cache/backends/redis/redis_storage.hpp"
#include "cache/storage_backend.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>

#include "util/url.hpp"

namespace sccache {

namespace {

// hiredis 0.14 has no timeout error of its own: a socket timeout is an I/O error whose text is
// the errno's (SO_RCVTIMEO/SO_SNDTIMEO give EAGAIN; a connect timeout, ETIMEDOUT).
bool timed_out(const redisContext* c) {
  if (c->err != REDIS_ERR_IO && c->err != REDIS_ERR_OTHER) return false;
  std::string_view why = c->errstr;
  return why.find(std::strerror(EAGAIN)) != std::string_view::npos ||
         why.find(std::strerror(ETIMEDOUT)) != std::string_view::npos || why.find("timed out") != std::string_view::npos;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Expected<int> parse_db(std::string_view text, const std::string& url) {
  int db = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), db);
  if (ec != std::errc() || end != text.data() + text.size() || db < 0) {
    return make_error("`" + url + "`: invalid database number `" + std::string(text) + "`");
  }
  return db;
}

std::string reply_error(const redisReply* r) { return std::string(r->str, r->len); }

// Frees replies on every path.
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

Expected<RedisSettings> parse_redis_url(const std::string& text) {
  SCCACHE_TRY(url, parse_url(text));
  RedisSettings s;
  s.user = url.user && !url.user->empty() ? url.user : std::nullopt;
  s.password = url.password;
  std::string secret = s.password ? ":***" : "";
  std::string userinfo = s.user || s.password ? s.user.value_or("") + secret + "@" : "";
  if (url.scheme == "redis") {
    if (url.host.empty()) return make_error("`" + text + "`: missing host");
    s.host = url.host;
    s.port = url.port.value_or(6379);
    if (url.path.size() > 1) {
      SCCACHE_TRY(db, parse_db(std::string_view(url.path).substr(1), text));
      s.db = db;
    }
    url.port = s.port;
    s.display = "redis://" + userinfo + url_authority(url) + "/" + std::to_string(s.db);
  } else if (url.scheme == "unix" || url.scheme == "redis+unix") {
    if (!url.host.empty() || url.path.empty()) {
      return make_error("`" + text + "`: expected " + url.scheme + ":///absolute/path/to/socket");
    }
    s.unix_path = url.path;
    for (const auto& [k, v] : url.query) {
      if (k == "db") {
        SCCACHE_TRY(db, parse_db(v, text));
        s.db = db;
      } else if (k == "user") {
        s.user = v;
      } else if (k == "password" || k == "pass") {
        s.password = v;
      } else {
        return make_error("`" + text + "`: unknown parameter `" + k + "` (expected db, user, password)");
      }
    }
    s.display = url.scheme + "://" + s.unix_path + "?db=" + std::to_string(s.db) + (s.user ? "&user=" + *s.user : "") +
                (s.password ? "&password=***" : "");
  } else if (url.scheme == "rediss") {
    return make_error("`" + text + "`: TLS (rediss://) is not supported; use redis:// or a unix socket");
  } else {
    return make_error("`" + text + "`: unsupported scheme `" + url.scheme + "` (expected redis:// or unix://)");
  }
  return s;
}

RedisStorage::RedisStorage(RedisSettings settings, RemoteTimeouts timeouts)
    : settings_(std::move(settings)), timeouts_(timeouts) {}

RedisStorage::~RedisStorage() {
  for (auto* c : idle_) redisFree(c);
}

Expected<redisContext*> RedisStorage::acquire(bool fresh, bool& reused) const {
  reused = false;
  if (!fresh) {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto* c = idle_.back();
      idle_.pop_back();
      reused = true;
      return c;
    }
  }
  auto tv = to_timeval(timeouts_.connect);
  redisContext* c = settings_.unix_path.empty() ? redisConnectWithTimeout(settings_.host.c_str(), settings_.port, tv)
                                                : redisConnectUnixWithTimeout(settings_.unix_path.c_str(), tv);
  if (c == nullptr) return make_error("cannot allocate a redis connection");
  if (c->err != 0) {
    std::string why = c->errstr;
    auto kind = timed_out(c) ? StorageFailure::timeout : StorageFailure::unavailable;
    redisFree(c);
    return storage_error(kind, "connect: " + why);
  }
  redisSetTimeout(c, to_timeval(timeouts_.io));
  auto setup = [&](const std::vector<std::string>& args) -> Status {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r) return storage_error(timed_out(c) ? StorageFailure::timeout : StorageFailure::unavailable,
                                 std::string(args[0]) + ": " + c->errstr);
    if (r->type == REDIS_REPLY_ERROR) {
      // AUTH refused, or SELECT of a database the server does not have.
      auto kind = args[0] == "AUTH" ? StorageFailure::denied : StorageFailure::misconfigured;
      return storage_error(kind, std::string(args[0]) + ": " + reply_error(r.get()));
    }
    return Ok{};
  };
  Status st = Ok{};
  if (settings_.password) {
    st = settings_.user ? setup({"AUTH", *settings_.user, *settings_.password}) : setup({"AUTH", *settings_.password});
  }
  if (st && settings_.db != 0) st = setup({"SELECT", std::to_string(settings_.db)});
  if (!st) {
    redisFree(c);
    return st.error();
  }
  return c;
}

void RedisStorage::release(redisContext* c, bool healthy) const {
  if (!healthy || c->err != 0) {
    redisFree(c);
    return;
  }
  std::lock_guard lock(mu_);
  idle_.push_back(c);
}

template <typename T, typename Take>
Expected<T> RedisStorage::command(const std::vector<std::string_view>& args, Take take) const {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  bool reused = false;
  auto attempt = [&](bool fresh) -> Expected<ReplyPtr> {
    SCCACHE_TRY(c, acquire(fresh, reused));
    ReplyPtr reply(
        static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (reply) {
      release(c, true);
      return reply;
    }
    std::string why = c->errstr[0] != '\0' ? c->errstr : "connection lost";
    auto kind = timed_out(c) ? StorageFailure::timeout : StorageFailure::unavailable;
    release(c, false);
    return storage_error(kind, std::string(args[0]) + ": " + why);
  };
  // A pooled connection may have been closed by the server (restart, idle timeout): one retry
  // on a fresh connection tells that apart from a server that is really gone.
  auto got = attempt(false);
  if (!got && reused) got = attempt(true);
  if (!got) return got.error();
  const redisReply& r = **got;
  if (r.type == REDIS_REPLY_ERROR) {
    std::string why = reply_error(&r);
    bool denied = why.starts_with("NOAUTH") || why.starts_with("WRONGPASS") || why.starts_with("NOPERM");
    return storage_error(denied ? StorageFailure::denied : StorageFailure::unavailable, std::string(args[0]) + ": " + why);
  }
  return take(r);
}

Expected<std::optional<std::string>> RedisStorage::get(const std::string& key) {
  return command<std::optional<std::string>>({"GET", key}, [](const redisReply& r) -> Expected<std::optional<std::string>> {
    if (r.type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if (r.type != REDIS_REPLY_STRING) {
      return storage_error(StorageFailure::corrupt, "GET: unexpected reply type " + std::to_string(r.type));
    }
    if (r.len == 0) return std::optional<std::string>();  // sccache treats an empty value as a miss
    return std::optional<std::string>(std::string(r.str, r.len));
  });
}

Status RedisStorage::put(const std::string& key, const std::string& bytes) {
  return command<Ok>({"SET", key, bytes}, [](const redisReply&) -> Expected<Ok> { return Ok{}; });
}

void RedisStorage::remove(const std::string& key) {
  auto ignored = command<Ok>({"DEL", key}, [](const redisReply&) -> Expected<Ok> { return Ok{}; });
  (void)ignored;
}

std::optional<uint64_t> RedisStorage::current_size() const {
  auto got = command<uint64_t>({"INFO", "memory"}, [](const redisReply& r) -> Expected<uint64_t> {
    if (r.type != REDIS_REPLY_STRING && r.type != REDIS_REPLY_STATUS) return make_error("INFO: unexpected reply");
    std::string_view text(r.str, r.len);
    constexpr std::string_view kField = "used_memory:";
    auto pos = text.find(kField);
    if (pos == std::string_view::npos) return make_error("INFO: no used_memory");
    uint64_t v = 0;
    const char* p = text.data() + pos + kField.size();
    std::from_chars(p, text.data() + text.size(), v);
    return v;
  });
  return got ? std::optional<uint64_t>(*got) : std::nullopt;
}

std::optional<uint64_t> RedisStorage::max_size() const {
  auto got = command<uint64_t>({"CONFIG", "GET", "maxmemory"}, [](const redisReply& r) -> Expected<uint64_t> {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 || r.element[1]->type != REDIS_REPLY_STRING) {
      return make_error("CONFIG GET: unexpected reply");
    }
    uint64_t v = 0;
    std::from_chars(r.element[1]->str, r.element[1]->str + r.element[1]->len, v);
    return v;
  });
  if (!got || *got == 0) return std::nullopt;
  return *got;
}

namespace {
Expected<std::unique_ptr<Storage>> create_redis(const Config& config, const EnvMap& /*env*/, const RemoteTimeouts& t) {
  auto settings = parse_redis_url(*config.remote.redis_url);
  if (!settings) return make_error(config.remote.redis_origin + ": " + settings.error().message);
  return std::unique_ptr<Storage>(std::make_unique<RedisStorage>(std::move(*settings), t));
}
}  // namespace

const StorageBackend kRedisBackend{"Redis", "redis", [](const RemoteCacheConfig& r) { return r.redis_url.has_value(); },
                                   create_redis};

}  // namespace sccache
