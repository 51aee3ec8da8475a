// sccache-dist credentials and config files: generators, HS256 server/job tokens (forgeries and
// alg=none refused), RS256 tokens against a JWKS, and scheduler.conf / server.conf parsing.
#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <vector>

#include "distributed/common/auth.hpp"
#include "distributed/common/dist_config.hpp"

namespace sccache::dist {
namespace {

using json = nlohmann::json;

TEST(DistAuth, Base64UrlRoundTripsWithoutPadding) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                      std::string("\xff\xfe\x00\x01", 4)}) {
    auto enc = base64url_encode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    EXPECT_EQ(enc.find('+'), std::string::npos);
    EXPECT_EQ(enc.find('/'), std::string::npos);
    EXPECT_EQ(base64url_decode(enc).value(), s);
  }
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64url_decode("a b"));
}

TEST(DistAuth, GeneratorsMakeFreshKeysOfTheRightSize) {
  auto k1 = generate_jwt_hs256_key();
  auto k2 = generate_jwt_hs256_key();
  EXPECT_NE(k1, k2);
  EXPECT_EQ(decode_hs256_secret(k1).value().size(), 32U);
  EXPECT_EQ(base64url_decode(generate_shared_token(256).value()).value().size(), 32U);
  EXPECT_EQ(base64url_decode(generate_shared_token(64).value()).value().size(), 8U);
  EXPECT_FALSE(generate_shared_token(63));
  EXPECT_FALSE(generate_shared_token(56));
  EXPECT_FALSE(generate_shared_token(4104));
  EXPECT_FALSE(decode_hs256_secret("my secret key"));  // not 32 bytes of base64url
}

TEST(DistAuth, ServerTokenVerifiesOnlyWithItsKey) {
  auto key = generate_jwt_hs256_key();
  auto token = server_token("127.0.0.1:10501", key).value();
  auto claims = jwt_hs256_verify(token, decode_hs256_secret(key).value());
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ((*claims)["server_id"], "127.0.0.1:10501");
  // Another key: refused.
  EXPECT_FALSE(jwt_hs256_verify(token, decode_hs256_secret(generate_jwt_hs256_key()).value()));
  // A tampered payload: refused.
  auto dot1 = token.find('.');
  auto dot2 = token.find('.', dot1 + 1);
  std::string forged = token.substr(0, dot1 + 1) +
                       base64url_encode(json{{"server_id", "10.0.0.9:10501"}}.dump()) + token.substr(dot2);
  EXPECT_FALSE(jwt_hs256_verify(forged, decode_hs256_secret(key).value()));
}

TEST(DistAuth, AlgNoneIsRefused) {
  std::string header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  std::string payload = base64url_encode(R"({"job_id":3})");
  auto r = jwt_hs256_verify(header + "." + payload + ".", "0123456789abcdef0123456789abcdef");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("none"), std::string::npos);
  EXPECT_FALSE(jwt_hs256_verify("garbage", "k"));
}

// An RSA key pair made here: its public half as a JWKS, its private half signs RS256 tokens.
struct RsaProvider {
  std::string private_pem;
  json jwks;
  RsaProvider(const std::string& kid) {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
    auto bytes = [](BIGNUM* b) {
      std::string s(static_cast<size_t>(BN_num_bytes(b)), '\0');
      BN_bn2bin(b, reinterpret_cast<unsigned char*>(s.data()));
      return base64url_encode(s);
    };
    jwks = json{{"keys", json::array({json{{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"n", bytes(n)}, {"e", bytes(e)}}})}};
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    private_pem.assign(data, static_cast<size_t>(len));
    BIO_free(bio);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(key);
  }
  std::string sign(const json& claims, const std::string& kid) const {
    jwt_t* jwt = nullptr;
    jwt_new(&jwt);
    jwt_add_grants_json(jwt, claims.dump().c_str());
    jwt_add_header(jwt, "kid", kid.c_str());
    jwt_set_alg(jwt, JWT_ALG_RS256, reinterpret_cast<const unsigned char*>(private_pem.data()),
                static_cast<int>(private_pem.size()));
    char* s = jwt_encode_str(jwt);
    std::string out = s != nullptr ? s : "";
    free(s);
    jwt_free(jwt);
    return out;
  }
};

TEST(DistAuth, JwksValidatorChecksSignatureIssuerAudienceAndExpiry) {
  RsaProvider idp("k1");
  RsaProvider other("k1");
  auto v = JwksValidator::create(idp.jwks, "sccache", "http://127.0.0.1:14000");
  ASSERT_TRUE(v) << v.error().message;
  const int64_t now = 1800000000;
  json good{{"iss", "http://127.0.0.1:14000"}, {"aud", "sccache"}, {"sub", "alice"}, {"exp", now + 60}};
  auto ok = v->validate(idp.sign(good, "k1"), now);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)["sub"], "alice");
  json aud_list = good;
  aud_list["aud"] = json::array({"other", "sccache"});
  EXPECT_TRUE(v->validate(idp.sign(aud_list, "k1"), now));

  EXPECT_FALSE(v->validate(other.sign(good, "k1"), now)) << "signed by another key";
  EXPECT_FALSE(v->validate(idp.sign(good, "k2"), now)) << "unknown kid";
  json bad = good;
  bad["iss"] = "http://evil";
  EXPECT_FALSE(v->validate(idp.sign(bad, "k1"), now));
  bad = good;
  bad["aud"] = "someone-else";
  EXPECT_FALSE(v->validate(idp.sign(bad, "k1"), now));
  bad = good;
  bad["exp"] = now - 1;
  EXPECT_FALSE(v->validate(idp.sign(bad, "k1"), now));
  bad = good;
  bad.erase("exp");
  EXPECT_FALSE(v->validate(idp.sign(bad, "k1"), now));
  // HS256 with the public key as the secret (algorithm confusion): refused.
  auto hs = jwt_hs256_sign(good, "k1").value();
  EXPECT_FALSE(v->validate(hs, now));
  EXPECT_FALSE(JwksValidator::create(json{{"keys", json::array()}}, "a", "b"));
}

TEST(DistAuth, Hs256TokensWithExpiredExpAreRefused) {
  const std::string key = decode_hs256_secret(generate_jwt_hs256_key()).value();
  const int64_t now = 1'800'000'000;
  auto verify = [&](const json& claims) { return jwt_hs256_verify(jwt_hs256_sign(claims, key).value(), key, now); };
  // Without time claims (the tokens sccache-dist makes): valid.
  EXPECT_TRUE(verify(json{{"server_id", "127.0.0.1:1"}}));
  // exp in the future, nbf in the past: valid.
  EXPECT_TRUE(verify(json{{"server_id", "127.0.0.1:1"}, {"exp", now + 60}, {"nbf", now - 60}}));
  auto expired = verify(json{{"server_id", "127.0.0.1:1"}, {"exp", now - 1}});
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos) << expired.error().message;
  EXPECT_FALSE(verify(json{{"server_id", "127.0.0.1:1"}, {"exp", now}}));
  auto early = verify(json{{"server_id", "127.0.0.1:1"}, {"nbf", now + 60}});
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("not yet valid"), std::string::npos) << early.error().message;
  EXPECT_FALSE(verify(json{{"server_id", "127.0.0.1:1"}, {"exp", "tomorrow"}}));
  // The system-clock overload: a token that expired in 2001 is refused today.
  EXPECT_FALSE(jwt_hs256_verify(jwt_hs256_sign(json{{"job_id", 1}, {"exp", 1'000'000'000}}, key).value(), key));
}

TEST(DistConfig, EmptyTokensAreRefused) {
  auto sched = [](const std::string& client, const std::string& server) {
    auto c = parse_scheduler_config("public_addr = \"127.0.0.1:1\"\n[client_auth]\n" + client + "\n[server_auth]\n" + server,
                                    "s.conf");
    return c ? std::string("<ok>") : c.error().message;
  };
  EXPECT_EQ(sched("type = \"token\"\ntoken = \"t\"", "type = \"token\"\ntoken = \"u\""), "<ok>");
  EXPECT_NE(sched("type = \"token\"\ntoken = \"\"", "type = \"token\"\ntoken = \"u\"")
                .find("`client_auth.token` must not be empty"),
            std::string::npos);
  EXPECT_NE(sched("type = \"token\"\ntoken = \"t\"", "type = \"token\"\ntoken = \"\"")
                .find("`server_auth.token` must not be empty"),
            std::string::npos);
  EXPECT_NE(sched("type = \"token\"\ntoken = \"t\"", "type = \"jwt_hs256\"\nsecret_key = \"\"")
                .find("`server_auth.secret_key` must not be empty"),
            std::string::npos);
  EXPECT_NE(sched("type = \"jwt_validate\"\naudience = \"\"\nissuer = \"i\"\njwks_url = \"http://127.0.0.1:1/k\"",
                  "type = \"token\"\ntoken = \"u\"")
                .find("`client_auth.audience` must not be empty"),
            std::string::npos);
  EXPECT_NE(sched("type = \"proxy_token\"\nurl = \"\"", "type = \"token\"\ntoken = \"u\"")
                .find("`client_auth.url` must not be empty"),
            std::string::npos);
  for (const char* type : {"token", "jwt_token"}) {
    auto s = parse_server_config(std::string("cache_dir=\"/c\"\npublic_addr=\"127.0.0.1:2\"\nscheduler_url=\"http://127.0.0.1:1\"\n"
                                             "[builder]\ntype=\"docker\"\n[scheduler_auth]\ntype=\"") +
                                     type + "\"\ntoken=\"\"\n",
                                 "server.conf");
    ASSERT_FALSE(s) << type;
    EXPECT_NE(s.error().message.find("`scheduler_auth.token` must not be empty"), std::string::npos) << s.error().message;
  }
}

TEST(DistConfig, LimitsHaveDefaultsAndRanges) {
  const std::string base = "cache_dir=\"/c\"\npublic_addr=\"127.0.0.1:2\"\nscheduler_url=\"http://127.0.0.1:1\"\n";
  const std::string tail = "[builder]\ntype=\"docker\"\n[scheduler_auth]\ntype=\"DANGEROUSLY_INSECURE\"\n";
  auto s = parse_server_config(base + tail, "server.conf");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->max_job_output_size, 256ULL << 20);
  EXPECT_EQ(s->max_job_input_size, 256ULL << 20);
  EXPECT_EQ(s->max_toolchain_size, 1ULL << 30);
  EXPECT_EQ(s->http.workers, 32U);
  EXPECT_EQ(s->http.header_timeout_secs, 10U);
  EXPECT_EQ(s->http.io_timeout_secs, 30U);
  s = parse_server_config(base + "max_job_output_size = 2097152\nhttp_workers = 4\n" + tail, "server.conf");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->max_job_output_size, 2097152U);
  EXPECT_EQ(s->http.workers, 4U);
  for (const char* bad : {"max_job_output_size = 0\n", "max_job_input_size = -1\n", "max_toolchain_size = \"1G\"\n",
                          "http_workers = 0\n", "http_header_timeout_secs = 0\n", "http_io_timeout_secs = 99999\n"}) {
    auto e = parse_server_config(base + bad + tail, "server.conf");
    ASSERT_FALSE(e) << bad;
    std::string key = std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(e.error().message.find("`" + key + "`"), std::string::npos) << e.error().message;
  }
}

TEST(DistConfig, QuickstartFilesParse) {
  std::string key = generate_jwt_hs256_key();
  auto sched = parse_scheduler_config(
      "# The socket address the scheduler will listen on.\n"
      "public_addr = \"127.0.0.1:10600\"\n\n"
      "[client_auth]\ntype = \"token\"\ntoken = \"my client token\"\n\n"
      "[server_auth]\ntype = \"jwt_hs256\"\nsecret_key = \"" + key + "\"\n",
      "scheduler.conf");
  ASSERT_TRUE(sched) << sched.error().message;
  EXPECT_EQ(sched->public_addr, "127.0.0.1:10600");
  EXPECT_EQ(sched->client_auth.token, "my client token");
  EXPECT_EQ(sched->server_auth.type, "jwt_hs256");

  auto server = parse_server_config(
      "cache_dir = \"/tmp/toolchains\"\n"
      "public_addr = \"192.168.1.1:10501\"\n"
      "scheduler_url = \"https://192.168.1.1\"\n\n"
      "[builder]\ntype = \"overlay\"\nbuild_dir = \"/tmp/build\"\nbwrap_path = \"/usr/bin/bwrap\"\n\n"
      "[scheduler_auth]\ntype = \"jwt_token\"\ntoken = \"my server's token\"\n",
      "server.conf");
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_EQ(server->toolchain_cache_size, 10ULL << 30);
  EXPECT_EQ(server->builder.bwrap_path, "/usr/bin/bwrap");
  EXPECT_EQ(server->scheduler_auth.token, "my server's token");
}

TEST(DistConfig, ErrorsNameTheKey) {
  auto err = [](const std::string& text) {
    auto c = parse_scheduler_config(text, "s.conf");
    return c ? std::string("<ok>") : c.error().message;
  };
  const std::string auth = "[client_auth]\ntype = \"DANGEROUSLY_INSECURE\"\n[server_auth]\ntype = \"DANGEROUSLY_INSECURE\"\n";
  EXPECT_EQ(err("public_addr = \"127.0.0.1:1\"\n" + auth), "<ok>");
  EXPECT_NE(err("public_addr = \"127.0.0.1:1\"\nbind = 1\n" + auth).find("`bind`"), std::string::npos);
  EXPECT_NE(err(auth).find("`public_addr`"), std::string::npos);
  EXPECT_NE(err("public_addr = \"localhost:1\"\n" + auth).find("numeric IP"), std::string::npos);
  EXPECT_NE(err("public_addr = \"127.0.0.1:1\"\n[client_auth]\ntype = \"token\"\n[server_auth]\ntype = \"token\"\ntoken=\"t\"\n")
                .find("`client_auth.token`"),
            std::string::npos);
  EXPECT_NE(err("public_addr = \"127.0.0.1:1\"\n[client_auth]\ntype = \"magic\"\n[server_auth]\ntype = \"token\"\ntoken=\"t\"\n")
                .find("`client_auth.type`"),
            std::string::npos);
  EXPECT_NE(err("public_addr = \"127.0.0.1:1\"\n[client_auth]\ntype = \"token\"\ntoken=\"t\"\n"
                "[server_auth]\ntype = \"jwt_hs256\"\nsecret_key = \"short\"\n")
                .find("`server_auth.secret_key`"),
            std::string::npos);
  auto s = parse_server_config("cache_dir=\"/c\"\npublic_addr=\"127.0.0.1:2\"\nscheduler_url=\"http://127.0.0.1:1\"\n"
                               "[builder]\ntype=\"overlay\"\nbuild_dir=\"/b\"\nextra=1\n[scheduler_auth]\ntype=\"token\"\ntoken=\"t\"\n",
                               "server.conf");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("`builder.extra`"), std::string::npos);
}

}  // namespace
}  // namespace sccache::dist
