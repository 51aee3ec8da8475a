// Google service-account authorization: the key file, RS256 signatures (against OpenSSL's
// command line: `openssl dgst -sha256 -sign key.pem`, a deterministic PKCS#1 v1.5 signature),
// the JWT bearer assertion and the token response.
#include <gtest/gtest.h>

#include "net/google_auth.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace sccache {
namespace {

// A throw-away 1024-bit test key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024).
const char* const kTestKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAMwl0lcljQPDZPhX\n"
    "LcWtHeQ0TGaWPnDv7rC6zbyW40XWZ/ipQJBFU3CNbuddPcXbQi4eajXUtbd+/+MK\n"
    "aPvH30uCiRByj9HC+wnZtuBV56GPc65PXJTBgI/W2kWHbXi6Iy10I1xx3g6Z9vyY\n"
    "QLZXR0V8mCdI7iX6oIoCE81JaS2vAgMBAAECgYAgdIbbKfIgPgkoXhu9yIbvB815\n"
    "pbspk0t8N0aMC+T37l07MBU+mnboduPBzpYKhZAg6t7xze5RzNP7kWUdWipKeyim\n"
    "yKxVJpdggqkQbtHytTiWfCaB0a/7xNj9FQ52YldEL8k02QbzJDLSMxHONJH+f2pL\n"
    "M7bNx66sjVHIyAlhCQJBAO22BdK5kNi3T9VC7Fj8sEQegPWw5E+ATXpYNxILB0q9\n"
    "X09LDxxHfK3rToecmtAhr/Xyod/q23NhteD8H6Igmt0CQQDb2rvFCKboumyYR41J\n"
    "P7js5qqRZZDXxuA7H2hcYgoF06vqeve/4pZEc4FM3PtB846P/Qz3Jy0t3xJXiE6Y\n"
    "N8P7AkBVgYI6uJFHwziuR7JomAx3lFljB0w45Lf56D12+gyXb+MWzLMUwwowLVJE\n"
    "Karubw+ycqKTvxFNQbqAwXBHi17pAkB/cLJpS1OdEftC5i8C57olMKxsraghO/nc\n"
    "q58N9hKDQCimOfOEui6KrT2lNW870pev5Wpvlbj9nxH9xVhxqdmjAkAqiWgVxBUG\n"
    "DYpsXCUw8VKBVdtYH8OtN07yIlIJnUAymbp8ouyQxze8GWmtq2Z9gSwBsrTKYgz/\n"
    "aHPIiGrwrMpB\n"
    "-----END PRIVATE KEY-----\n";

std::string account_json() {
  std::string pem = kTestKey;
  std::string escaped;
  for (char c : pem) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  return R"({"type": "service_account", "client_email": "cache@proj.iam.gserviceaccount.com", "private_key": ")" +
         escaped + R"(", "token_uri": "http://127.0.0.1:9/token"})";
}

TEST(GoogleAuth, Rs256MatchesOpensslDgst) {
  // printf 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0ZXN0IjoxfQ' | openssl dgst -sha256 -sign key.pem | base64url
  auto sig = google::rs256_sign(kTestKey, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0ZXN0IjoxfQ");
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(base64url_encode(*sig),
            "pBjMoU--lEZgupM2oq4TN6RKmYTWbCutCXgZdlfRKpfjdGMka0IOHnEiZS9z-cb_Ygdrz6UEZ-2R4RCldbGpgAlca2XOrvXcNpfWSlQpK8lLVsc2"
            "3r3XJWgO7K9ZJmxH6cyAswr5ghUwpbCaziHLC0SK3vI8SGtSEIqvm9gcUzE");
  EXPECT_FALSE(google::rs256_sign("not a key", "x"));
}

TEST(GoogleAuth, ServiceAccountKeyFile) {
  auto sa = google::parse_service_account(account_json());
  ASSERT_TRUE(sa) << sa.error().message;
  EXPECT_EQ(sa->client_email, "cache@proj.iam.gserviceaccount.com");
  EXPECT_EQ(sa->token_uri, "http://127.0.0.1:9/token");
  EXPECT_NE(sa->private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  auto defaulted = google::parse_service_account(R"({"client_email": "a@b", "private_key": "k"})");
  EXPECT_EQ(defaulted->token_uri, "https://oauth2.googleapis.com/token");
  for (const char* bad : {"[]", "{", R"({"private_key": "k"})", R"({"client_email": "a@b"})",
                          R"({"type": "authorized_user", "client_email": "a", "private_key": "k"})"}) {
    auto e = google::parse_service_account(bad);
    EXPECT_FALSE(e) << bad;
  }
}

TEST(GoogleAuth, JwtAssertionClaimsAndSignature) {
  auto sa = google::parse_service_account(account_json());
  ASSERT_TRUE(sa);
  auto jwt = google::jwt_assertion(*sa, "https://www.googleapis.com/auth/devstorage.read_write", 1796306400);
  ASSERT_TRUE(jwt) << jwt.error().message;
  auto parts = split(*jwt, '.');
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(*base64url_decode(parts[0]), R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_EQ(*base64url_decode(parts[1]),
            R"({"iss":"cache@proj.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/devstorage.read_write",)"
            R"("aud":"http://127.0.0.1:9/token","iat":1796306400,"exp":1796310000})");
  auto again = google::rs256_sign(kTestKey, parts[0] + "." + parts[1]);
  EXPECT_EQ(base64url_encode(*again), parts[2]);
  EXPECT_EQ(google::token_request_body("a.b-c_d"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b-c_d");
}

TEST(GoogleAuth, TokenResponse) {
  auto t = google::parse_token_response(R"({"access_token": "ya29.x", "expires_in": 3599, "token_type": "Bearer"})", 100);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "ya29.x");
  EXPECT_EQ(t->expires_at, 3699);
  auto err = google::parse_token_response(R"({"error": "invalid_grant"})", 0);
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_FALSE(google::parse_token_response("<html>", 0));
  auto described = google::parse_token_response(R"({"error": "invalid_grant", "error_description": "bad aud"})", 0);
  ASSERT_FALSE(described);
  EXPECT_NE(described.error().message.find("invalid_grant: bad aud"), std::string::npos) << described.error().message;
}

TEST(GoogleAuth, Rfc3339Times) {
  // date -u -d 2026-12-03T20:15:00Z +%s
  ASSERT_TRUE(google::parse_rfc3339("2026-12-03T20:15:00Z"));
  EXPECT_EQ(*google::parse_rfc3339("2026-12-03T20:15:00Z"), 1796328900);
  ASSERT_TRUE(google::parse_rfc3339("2026-12-03T20:15:00.250Z"));
  EXPECT_EQ(*google::parse_rfc3339("2026-12-03T20:15:00.250Z"), 1796328900);
  ASSERT_TRUE(google::parse_rfc3339("2026-12-03T21:15:00+01:00"));
  EXPECT_EQ(*google::parse_rfc3339("2026-12-03T21:15:00+01:00"), 1796328900);
  ASSERT_TRUE(google::parse_rfc3339("2026-12-03T19:45:00-00:30"));
  EXPECT_EQ(*google::parse_rfc3339("2026-12-03T19:45:00-00:30"), 1796328900);
  for (const char* bad : {"", "2026-12-03", "2026-12-03T20:15:00", "2026-12-03T20:15:00+0100", "yesterday"}) {
    EXPECT_FALSE(google::parse_rfc3339(bad)) << bad;
  }
}

TEST(GoogleAuth, CredentialsUrlResponse) {
  auto t = google::parse_credentials_response(R"({"accessToken": "tc-1", "expireTime": "2026-12-03T20:15:00Z"})");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->token, "tc-1");
  EXPECT_EQ(t->expires_at, 1796328900);
  EXPECT_FALSE(google::parse_credentials_response(R"({"accessToken": "tc-1"})"));
  EXPECT_FALSE(google::parse_credentials_response(R"({"expireTime": "2026-12-03T20:15:00Z"})"));
  EXPECT_FALSE(google::parse_credentials_response("[]"));
}

}  // namespace
}  // namespace sccache
