// Remote backend plumbing without a network: the circuit breaker (time passed in), URL and
// setting parsing, S3 addressing and credential lookup. The backends themselves are tested
// against real servers in tests/system/remote_*.sh.
#include <gtest/gtest.h>

#include <map>

#include "cache/guarded_storage.hpp"
#include "cache/backends/memcached/memcached_storage.hpp"
#include "cache/read_only_storage.hpp"
#include "cache/backends/webdav/webdav_storage.hpp"
#include "util/base64.hpp"
#include "cache/backends/redis/redis_storage.hpp"
#include "cache/backends/s3/s3_storage.hpp"
#include "util/fs.hpp"
#include "util/url.hpp"

namespace sccache {
namespace {

// A backend whose next results the test sets; counts the calls that reached it.
class ScriptedStorage final : public Storage {
 public:
  bool fail = false;
  StorageFailure kind = StorageFailure::unavailable;
  int calls = 0;
  Expected<std::optional<std::string>> get(const std::string& key) override {
    ++calls;
    if (fail) return storage_error(kind, "boom");
    auto it = data.find(key);
    return it == data.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  Status put(const std::string& key, const std::string& bytes) override {
    ++calls;
    if (fail) return storage_error(kind, "boom");
    data[key] = bytes;
    return Ok{};
  }
  void remove(const std::string& key) override { data.erase(key); }
  [[nodiscard]] std::string location() const override { return "Scripted"; }
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return 1; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return 2; }
  std::map<std::string, std::string> data;
};

struct Breaker {
  std::chrono::steady_clock::time_point now{};
  ScriptedStorage* inner = nullptr;
  std::unique_ptr<GuardedStorage> guard;
  Breaker() {
    auto s = std::make_unique<ScriptedStorage>();
    inner = s.get();
    guard = std::make_unique<GuardedStorage>(std::move(s), BreakerBackoff{std::chrono::milliseconds(1000),
                                                                          std::chrono::milliseconds(4000)},
                                             [this] { return now; });
  }
  void advance(int ms) { now += std::chrono::milliseconds(ms); }
};

TEST(GuardedStorage, FailureMarksDownAndFailsFastUntilTheWindowEnds) {
  Breaker b;
  ASSERT_TRUE(b.guard->put("k", "v"));
  b.inner->fail = true;
  EXPECT_FALSE(b.guard->get("k"));
  EXPECT_TRUE(b.guard->is_down());
  EXPECT_EQ(b.inner->calls, 2);
  // Inside the window nothing reaches the backend, and every refusal is an error (counted).
  for (int i = 0; i < 5; ++i) {
    auto got = b.guard->get("k");
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message.find("marked down"), std::string::npos);
  }
  EXPECT_FALSE(b.guard->put("k", "v"));
  EXPECT_EQ(b.inner->calls, 2);
  EXPECT_EQ(b.guard->current_size(), std::nullopt);
  // After the window one probe goes through; it succeeds and clears the state.
  b.advance(1000);
  b.inner->fail = false;
  auto got = b.guard->get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value_or(""), "v");
  EXPECT_FALSE(b.guard->is_down());
  EXPECT_EQ(b.guard->current_size(), 1U);
}

TEST(GuardedStorage, FailedProbesDoubleTheWindowUpToTheCap) {
  Breaker b;
  b.inner->fail = true;
  EXPECT_FALSE(b.guard->get("k"));  // t=0: down for 1 s
  int calls = 1;
  // Each failed probe doubles the window: 2 s, then 4 s, then stays at the 4 s cap.
  for (int window : {1000, 2000, 4000, 4000}) {
    b.advance(window - 1);
    EXPECT_FALSE(b.guard->get("k"));
    EXPECT_EQ(b.inner->calls, calls) << "inside a " << window << " ms window nothing reaches the backend";
    b.advance(1);
    EXPECT_FALSE(b.guard->get("k"));
    EXPECT_EQ(b.inner->calls, ++calls) << "the probe after a " << window << " ms window reaches it";
  }
}

TEST(GuardedStorage, RejectedItemDoesNotMarkTheBackendDown) {
  Breaker b;
  b.inner->fail = true;
  b.inner->kind = StorageFailure::item_rejected;
  EXPECT_FALSE(b.guard->put("big", "x"));
  EXPECT_FALSE(b.guard->is_down());
  b.inner->fail = false;
  EXPECT_TRUE(b.guard->put("k", "v"));
  EXPECT_EQ(b.inner->calls, 2);
}

TEST(GuardedStorage, ARefusalWhileDownIsUnavailableAndKeepsItsCauseInTheMessage) {
  Breaker b;
  b.inner->fail = true;
  b.inner->kind = StorageFailure::timeout;
  auto first = b.guard->get("k");
  ASSERT_FALSE(first);
  EXPECT_EQ(storage_failure(first.error()), StorageFailure::timeout);  // the backend's own kind
  auto refused = b.guard->get("k");
  ASSERT_FALSE(refused);
  EXPECT_EQ(storage_failure(refused.error()), StorageFailure::unavailable);
  EXPECT_NE(refused.error().message.find("boom"), std::string::npos);
}

TEST(ReadOnlyStorage, ReadsPassAndWritesNeverReachTheBackend) {
  auto inner = std::make_unique<ScriptedStorage>();
  ScriptedStorage* raw = inner.get();
  raw->data["k"] = "v";
  ReadOnlyStorage ro(std::move(inner));
  EXPECT_TRUE(ro.read_only());
  auto got = ro.get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value_or(""), "v");
  auto put = ro.put("k2", "w");
  ASSERT_FALSE(put);
  EXPECT_EQ(storage_failure(put.error()), StorageFailure::item_rejected);
  ro.remove("k");
  EXPECT_EQ(raw->data.size(), 1U);  // neither the put nor the remove reached it
  EXPECT_EQ(raw->calls, 1);
  EXPECT_EQ(ro.location(), "Scripted");
  // Behind the circuit breaker (as make_storage builds it) a refused write does not mark it down.
  GuardedStorage guarded(std::make_unique<ReadOnlyStorage>(std::make_unique<ScriptedStorage>()));
  EXPECT_TRUE(guarded.read_only());
  EXPECT_FALSE(guarded.put("k", "v"));
  EXPECT_FALSE(guarded.is_down());
}

TEST(StorageFailure, EveryKindSurvivesTheErrorAndForeignCodesAreUnavailable) {
  for (auto kind : {StorageFailure::unavailable, StorageFailure::timeout, StorageFailure::denied, StorageFailure::corrupt,
                    StorageFailure::misconfigured, StorageFailure::item_rejected}) {
    Error e = storage_error(kind, "x");
    EXPECT_EQ(storage_failure(e), kind) << storage_failure_name(kind);
    EXPECT_EQ(e.message, "x");
  }
  // Codes other modules set (small numbers, e.g. an archive's or the HTTP client's) are no kind.
  for (int code : {0, 1, 2, 3, 7, -1, 0x52FF, 0x5306}) {
    EXPECT_EQ(storage_failure(make_error("y", code)), StorageFailure::unavailable) << code;
  }
  EXPECT_EQ(storage_failure_name(StorageFailure::timeout), "timeout");
}

TEST(Webdav, ObjectsAreLaidOutAsSccacheDoesAndSecretsStayOutOfTheLocation) {
  WebdavConfig c{"http://127.0.0.1:1/dav/", "/ci/cache", std::string("user"), std::string("pw-secret"), std::nullopt};
  auto s = WebdavStorage::create(c, RemoteTimeouts{});
  ASSERT_TRUE(s) << s.error().message;
  const std::string key(64, 'a');
  EXPECT_EQ((*s)->object_path("0123" + key.substr(4)), "ci/cache/0/1/2/0123" + key.substr(4));
  EXPECT_EQ((*s)->location(), "WebDAV, endpoint: http://127.0.0.1:1/dav, prefix: ci/cache/");
  EXPECT_EQ((*s)->location().find("pw-secret"), std::string::npos);
  EXPECT_FALSE(WebdavStorage::create({"ftp://h/", "", {}, {}, {}}, RemoteTimeouts{}));
  auto creds = WebdavStorage::create({"http://u:p@h/", "", {}, {}, {}}, RemoteTimeouts{});
  ASSERT_FALSE(creds);
  EXPECT_EQ(storage_failure(creds.error()), StorageFailure::misconfigured);
  EXPECT_EQ(base64_encode("ccuser:ccpass"), "Y2N1c2VyOmNjcGFzcw==");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Url, SplitsTheGenericForms) {
  auto u = parse_url("redis://us%40er:p%3Ass@127.0.0.1:6380/3?a=1&b=x%20y");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->scheme, "redis");
  EXPECT_EQ(u->user.value_or(""), "us@er");
  EXPECT_EQ(u->password.value_or(""), "p:ss");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port.value_or(0), 6380);
  EXPECT_EQ(u->path, "/3");
  ASSERT_EQ(u->query.size(), 2U);
  EXPECT_EQ(u->query[1].second, "x y");
  auto v6 = parse_url("tcp://[::1]:11211");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(url_authority(*v6), "[::1]:11211");
  EXPECT_FALSE(parse_url("localhost:6379"));
  EXPECT_FALSE(parse_url("redis://h:99999"));
  EXPECT_FALSE(parse_url("redis://h:12x"));
}

TEST(RedisUrl, HidesThePasswordAndReadsTheDatabase) {
  auto s = parse_redis_url("redis://:secret@127.0.0.1:7000/3");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->port, 7000);
  EXPECT_EQ(s->db, 3);
  EXPECT_EQ(s->password.value_or(""), "secret");
  EXPECT_FALSE(s->user);
  EXPECT_EQ(s->display, "redis://:***@127.0.0.1:7000/3");
  EXPECT_EQ(s->display.find("secret"), std::string::npos);

  auto acl = parse_redis_url("redis://alice:pw@h");
  ASSERT_TRUE(acl);
  EXPECT_EQ(acl->user.value_or(""), "alice");
  EXPECT_EQ(acl->port, 6379);
  EXPECT_EQ(acl->display, "redis://alice:***@h:6379/0");

  auto unix_form = parse_redis_url("unix:///run/redis.sock?db=2&password=pw");
  ASSERT_TRUE(unix_form) << unix_form.error().message;
  EXPECT_EQ(unix_form->unix_path, "/run/redis.sock");
  EXPECT_EQ(unix_form->db, 2);
  EXPECT_EQ(unix_form->display.find("pw"), std::string::npos);

  for (const char* bad : {"http://h:1", "redis://h/x", "redis://", "rediss://h", "unix://relative", "unix:///s?bogus=1"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
}

TEST(MemcachedUrl, ListsServers) {
  auto s = parse_memcached_url("tcp://127.0.0.1:11211  tcp://10.0.0.2:11212\ttcp://h");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->servers.size(), 3U);
  EXPECT_EQ(s->servers[1], (std::pair<std::string, uint16_t>{"10.0.0.2", 11212}));
  EXPECT_EQ(s->servers[2].second, 11211);
  EXPECT_EQ(s->display, "tcp://127.0.0.1:11211 tcp://10.0.0.2:11212 tcp://h");
  for (const char* bad : {"", "  ", "127.0.0.1:11211", "udp://h:1", "tcp://h:1/x"}) {
    EXPECT_FALSE(parse_memcached_url(bad)) << "'" << bad << "'";
  }
}

TEST(S3Target, PathStyleForEndpointsVirtualHostForAws) {
  S3Config c;
  c.bucket = "b";
  c.endpoint = "127.0.0.1:9000";
  c.key_prefix = "/team/x/";
  auto t = s3_target(c);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->scheme, "http");
  EXPECT_EQ(t->authority, "127.0.0.1:9000");
  EXPECT_EQ(t->path_prefix, "/b");
  EXPECT_EQ(t->key_prefix, "team/x/");

  c.use_ssl = true;
  EXPECT_EQ(s3_target(c)->scheme, "https");
  c.use_ssl.reset();
  c.endpoint = "https://minio.local";
  EXPECT_EQ(s3_target(c)->scheme, "https");
  c.virtual_host_style = true;
  EXPECT_EQ(s3_target(c)->authority, "b.minio.local");
  EXPECT_EQ(s3_target(c)->path_prefix, "");

  S3Config aws;
  aws.bucket = "cache";
  aws.region = "eu-west-1";
  auto a = s3_target(aws);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scheme, "https");
  EXPECT_EQ(a->authority, "cache.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a->key_prefix, "");

  c.endpoint = "ftp://h";
  EXPECT_FALSE(s3_target(c));
  c.endpoint = "http://h/path";
  EXPECT_FALSE(s3_target(c));
}

TEST(AwsCredentials, EnvThenProfileFileThenNone) {
  auto dir = *make_temp_dir("sccache-creds-");
  std::string file = dir + "/credentials";
  ASSERT_TRUE(write_file_atomic(file, "# comment\n[default]\naws_access_key_id = AKD\naws_secret_access_key=SKD\n"
                                      "\n[ci]\naws_access_key_id=AKC\naws_secret_access_key = SKC\naws_session_token=T\n", 0600));
  EnvMap env{{"AWS_SHARED_CREDENTIALS_FILE", file}};
  auto d = find_aws_credentials(env);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->access_key, "AKD");
  EXPECT_EQ((*d)->secret_key, "SKD");

  env["AWS_PROFILE"] = "ci";
  auto ci = find_aws_credentials(env);
  ASSERT_TRUE(ci && *ci);
  EXPECT_EQ((*ci)->session_token, "T");

  env["AWS_ACCESS_KEY_ID"] = "AKE";
  env["AWS_SECRET_ACCESS_KEY"] = "SKE";
  EXPECT_EQ((*find_aws_credentials(env))->access_key, "AKE");

  EnvMap none{{"AWS_SHARED_CREDENTIALS_FILE", dir + "/missing"}};
  auto n = find_aws_credentials(none);
  ASSERT_TRUE(n);
  EXPECT_FALSE(*n);

  ASSERT_TRUE(write_file_atomic(file, "[default]\naws_access_key_id = AKD\n", 0600));
  EXPECT_FALSE(find_aws_credentials(EnvMap{{"AWS_SHARED_CREDENTIALS_FILE", file}}));
  remove_tree(dir);
}

}  // namespace
}  // namespace sccache
