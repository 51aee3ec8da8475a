// Configuration: defaults, file keys, env overrides, and errors that name the key at fault.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "util/fs.hpp"

namespace sccache {
namespace {

TEST(Config, Defaults) {
  auto cfg = load_config({{"HOME", "/home/u"}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->disk.dir, "/home/u/.cache/sccache");
  EXPECT_EQ(cfg->disk.size, 10ULL << 30);
  EXPECT_EQ(cfg->port, 4226);
  EXPECT_EQ(cfg->idle_timeout_secs, 600U);
  EXPECT_EQ(cfg->config_path, "/home/u/.config/sccache/config");
}

TEST(Config, EnvOverrides) {
  auto cfg = load_config({{"HOME", "/h"}, {"SCCACHE_DIR", "/c"}, {"SCCACHE_CACHE_SIZE", "1M"},
                          {"SCCACHE_SERVER_PORT", "5000"}, {"SCCACHE_IDLE_TIMEOUT", "0"}});
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->disk.dir, "/c");
  EXPECT_EQ(cfg->disk.size, 1U << 20);
  EXPECT_EQ(cfg->port, 5000);
  EXPECT_EQ(cfg->idle_timeout_secs, 0U);
}

// Issue 14 item 7: numbers from the environment are range-checked, never wrapped.
TEST(Config, OutOfRangeNumbersAreRefused) {
  for (const char* v : {"9223372036854775807", "31536001", "-1", "18446744073709551616"}) {
    auto cfg = load_config({{"HOME", "/h"}, {"SCCACHE_IDLE_TIMEOUT", v}});
    ASSERT_FALSE(cfg) << v;
    EXPECT_NE(cfg.error().message.find("SCCACHE_IDLE_TIMEOUT"), std::string::npos) << cfg.error().message;
  }
  EXPECT_TRUE(load_config({{"HOME", "/h"}, {"SCCACHE_IDLE_TIMEOUT", "31536000"}}));
  auto frame = load_config({{"HOME", "/h"}, {"SCCACHE_MAX_FRAME_LENGTH", "1048576"}});
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->max_frame_length, 1U << 20);
  EXPECT_EQ(load_config({{"HOME", "/h"}})->max_frame_length, kDefaultFrameLength);
  for (const char* v : {"0", "2147483648", "abc"}) {
    auto bad = load_config({{"HOME", "/h"}, {"SCCACHE_MAX_FRAME_LENGTH", v}});
    ASSERT_FALSE(bad) << v;
    EXPECT_NE(bad.error().message.find("SCCACHE_MAX_FRAME_LENGTH"), std::string::npos) << bad.error().message;
  }
}

TEST(Config, BadEnvValuesNameTheVariable) {
  auto a = load_config({{"HOME", "/h"}, {"SCCACHE_CACHE_SIZE", "lots"}});
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("SCCACHE_CACHE_SIZE"), std::string::npos);
  auto b = load_config({{"HOME", "/h"}, {"SCCACHE_SERVER_PORT", "99999"}});
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("SCCACHE_SERVER_PORT"), std::string::npos);
}

// Read-only mode for every remote backend: rw_mode in its section, or SCCACHE_<NAME>_RW_MODE
// (which wins); a bad value names the setting.
TEST(Config, ReadOnlyModes) {
  Config cfg;
  ASSERT_TRUE(apply_config_text(cfg, "[cache.redis]\nurl = \"redis://h\"\nrw_mode = \"READ_ONLY\"\n"
                                     "[cache.webdav]\nendpoint = \"http://h/\"\nrw_mode = \"READ_WRITE\"\n", "f"));
  EXPECT_TRUE(cfg.remote.read_only.at("redis"));
  EXPECT_FALSE(cfg.remote.read_only.at("webdav"));
  Config bad;
  auto refused = apply_config_text(bad, "[cache.memcached]\nurl = \"tcp://h:1\"\nrw_mode = \"ro\"\n", "f");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cache.memcached.rw_mode"), std::string::npos) << refused.error().message;
  auto env = load_config({{"HOME", "/h"}, {"SCCACHE_REDIS", "redis://h"}, {"SCCACHE_REDIS_RW_MODE", "READ_ONLY"},
                          {"SCCACHE_S3_RW_MODE", "READ_WRITE"}});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_TRUE(env->remote.read_only.at("redis"));
  EXPECT_FALSE(env->remote.read_only.at("s3"));
  EXPECT_EQ(env->remote.read_only.count("webdav"), 0U);
  for (const char* var : {"SCCACHE_WEBDAV_RW_MODE", "SCCACHE_AZURE_RW_MODE", "SCCACHE_GCS_RW_MODE", "SCCACHE_MEMCACHED_RW_MODE"}) {
    auto e = load_config({{"HOME", "/h"}, {var, "readonly"}});
    ASSERT_FALSE(e) << var;
    EXPECT_NE(e.error().message.find(var), std::string::npos) << e.error().message;
  }
}

TEST(Config, GcsSettings) {
  Config file;
  ASSERT_TRUE(apply_config_text(file, "[cache.gcs]\nbucket = \"b\"\ncred_path = \"/k.json\"\nurl = \"http://c/\"\n"
                                      "oauth_url = \"http://o/\"\nkey_prefix = \"p\"\nrw_mode = \"READ_WRITE\"\n", "f"));
  ASSERT_TRUE(file.remote.gcs);
  EXPECT_EQ(file.remote.gcs->bucket, "b");
  EXPECT_EQ(file.remote.gcs->key_path, "/k.json");
  EXPECT_EQ(file.remote.gcs->credentials_url, "http://c/");
  EXPECT_EQ(file.remote.gcs->oauth_url, "http://o/");
  EXPECT_EQ(file.remote.gcs->key_prefix, "p");
  EXPECT_FALSE(file.remote.is_read_only("gcs"));
  auto env = load_config({{"HOME", "/h"}, {"SCCACHE_GCS_BUCKET", "eb"}, {"SCCACHE_GCS_KEY_PATH", "/e.json"},
                          {"SCCACHE_GCS_KEY_PREFIX", "ep"}, {"SCCACHE_GCS_ENDPOINT", "http://127.0.0.1:1"}});
  ASSERT_TRUE(env) << env.error().message;
  ASSERT_TRUE(env->remote.gcs);
  EXPECT_EQ(env->remote.gcs->bucket, "eb");
  EXPECT_EQ(env->remote.gcs->key_path, "/e.json");
  EXPECT_EQ(env->remote.gcs->key_prefix, "ep");
  EXPECT_EQ(env->remote.gcs->endpoint, "http://127.0.0.1:1");
  EXPECT_TRUE(env->remote.is_read_only("gcs"));  // sccache's default
  EXPECT_FALSE(env->remote.is_read_only("s3"));
  EXPECT_FALSE(load_config({{"HOME", "/h"}, {"SCCACHE_GCS_KEY_PATH", "/e.json"}})->remote.gcs);
  Config bad;
  auto refused = apply_config_text(bad, "[cache.gcs]\nbucket = \"b\"\nrw_mode = \"READ_ONLY\"\ncredentials = 1\n", "f");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cache.gcs.credentials"), std::string::npos) << refused.error().message;
}

TEST(Config, MultiLevelChain) {
  auto env = load_config({{"HOME", "/h"}, {"SCCACHE_MULTILEVEL_CHAIN", "disk, redis,s3"},
                          {"SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY", "all"}});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->remote.multilevel_chain, (std::vector<std::string>{"disk", "redis", "s3"}));
  EXPECT_EQ(env->remote.multilevel_write_policy, "all");
  Config file;
  ASSERT_TRUE(apply_config_text(file, "[cache.multilevel]\nchain = [\"disk\", \"webdav\"]\nwrite_error_policy = \"ignore\"\n", "f"));
  EXPECT_EQ(file.remote.multilevel_chain, (std::vector<std::string>{"disk", "webdav"}));
  EXPECT_EQ(file.remote.multilevel_write_policy, "ignore");
  for (const char* chain : {"disk,floppy", "disk,disk", ","}) {
    auto bad = load_config({{"HOME", "/h"}, {"SCCACHE_MULTILEVEL_CHAIN", chain}});
    ASSERT_FALSE(bad) << chain;
    EXPECT_NE(bad.error().message.find("SCCACHE_MULTILEVEL_CHAIN"), std::string::npos) << bad.error().message;
  }
  Config bad;
  auto refused = apply_config_text(bad, "[cache.multilevel]\nchain = \"disk\"\n", "f");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cache.multilevel.chain"), std::string::npos);
  auto policy = load_config({{"HOME", "/h"}, {"SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY", "often"}});
  ASSERT_FALSE(policy);
  EXPECT_NE(policy.error().message.find("SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY"), std::string::npos);
}

TEST(Config, FileKeys) {
  Config cfg;
  ASSERT_TRUE(apply_config_text(cfg, "[cache.disk]\ndir = \"/x\"\nsize = 1048576\n[cache.redis]\nurl = \"redis://h\"\n", "f"));
  EXPECT_EQ(cfg.disk.dir, "/x");
  EXPECT_EQ(cfg.disk.size, 1048576U);
  EXPECT_EQ(cfg.remote.redis_url.value_or(""), "redis://h");
}

TEST(Config, WebdavFromTheEnvironmentAndTheFile) {
  auto cfg = load_config({{"HOME", "/h"}, {"SCCACHE_WEBDAV_ENDPOINT", "http://127.0.0.1:8080/dav"},
                          {"SCCACHE_WEBDAV_KEY_PREFIX", "ci"}, {"SCCACHE_WEBDAV_USERNAME", "u"},
                          {"SCCACHE_WEBDAV_PASSWORD", "p"}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->remote.webdav);
  EXPECT_EQ(cfg->remote.webdav->endpoint, "http://127.0.0.1:8080/dav");
  EXPECT_EQ(cfg->remote.webdav->key_prefix, "ci");
  EXPECT_EQ(cfg->remote.webdav->username.value_or(""), "u");
  EXPECT_EQ(cfg->remote.webdav->password.value_or(""), "p");
  EXPECT_FALSE(cfg->remote.webdav->token);
  Config file;
  ASSERT_TRUE(apply_config_text(file, "[cache.webdav]\nendpoint = \"https://h/\"\ntoken = \"t\"\n", "f"));
  ASSERT_TRUE(file.remote.webdav);
  EXPECT_EQ(file.remote.webdav->token.value_or(""), "t");
  auto missing = apply_config_text(file, "[cache.webdav]\nkey_prefix = \"x\"\n", "f");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cache.webdav.endpoint"), std::string::npos) << missing.error().message;
}

TEST(Config, UnknownKeyIsAnErrorNamingIt) {
  Config cfg;
  auto st = apply_config_text(cfg, "[cache.disk]\ndirectory = \"/x\"\n", "f");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("cache.disk.directory"), std::string::npos) << st.error().message;
  auto top = apply_config_text(cfg, "[cache]\n[bogus]\n", "f");
  ASSERT_FALSE(top);
  EXPECT_NE(top.error().message.find("bogus"), std::string::npos);
}

TEST(Config, MistypedKeyIsAnErrorNamingIt) {
  Config cfg;
  auto st = apply_config_text(cfg, "[cache.disk]\nsize = \"big\"\n", "f");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("cache.disk.size"), std::string::npos);
  auto st2 = apply_config_text(cfg, "[cache.disk]\ndir = 3\n", "f");
  ASSERT_FALSE(st2);
  EXPECT_NE(st2.error().message.find("cache.disk.dir"), std::string::npos);
}

TEST(Config, SyntaxErrorNamesLine) {
  Config cfg;
  auto st = apply_config_text(cfg, "[cache.disk]\ndir = \n", "myfile");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("line 2"), std::string::npos) << st.error().message;
}

TEST(Config, EnvOverridesFile) {
  auto dir = make_temp_dir("sccache-cfg-");
  ASSERT_TRUE(dir);
  std::string path = *dir + "/config";
  ASSERT_TRUE(write_file_atomic(path, "[cache.disk]\ndir = \"/from-file\"\nsize = 2048\n", 0644));
  auto cfg = load_config({{"HOME", "/h"}, {"SCCACHE_CONF", path}, {"SCCACHE_DIR", "/from-env"}});
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->disk.dir, "/from-env");
  EXPECT_EQ(cfg->disk.size, 2048U);
  remove_tree(*dir);
}

}  // namespace
}  // namespace sccache
