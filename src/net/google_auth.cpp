#include "net/google_auth.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "net/sigv4.hpp"
#include "util/base64.hpp"

namespace sccache::google {


Expected<ServiceAccount> parse_service_account(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("the service-account key is not a JSON object");
  auto field = [&](const char* name) -> std::string {
    auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!field("type").empty() && field("type") != "service_account") {
    return make_error("the key's `type` is `" + field("type") + "`, not `service_account`");
  }
  ServiceAccount sa{field("client_email"), field("private_key"), field("token_uri")};
  if (sa.client_email.empty()) return make_error("the service-account key has no `client_email`");
  if (sa.private_key_pem.empty()) return make_error("the service-account key has no `private_key`");
  if (sa.token_uri.empty()) sa.token_uri = "https://oauth2.googleapis.com/token";
  return sa;
}

Expected<std::string> rs256_sign(std::string_view private_key_pem, std::string_view data) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())),
                                                BIO_free);
  if (!bio) return make_error("out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (!key) return make_error("`private_key` is not a PEM private key");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) return make_error("`private_key` is not an RSA key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return make_error("RS256 signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return make_error("RS256 signing failed");
  }
  sig.resize(len);
  return sig;
}

Expected<std::string> jwt_assertion(const ServiceAccount& account, std::string_view scope, int64_t now) {
  const std::string header = R"({"alg":"RS256","typ":"JWT"})";
  nlohmann::ordered_json claims = {{"iss", account.client_email}, {"scope", std::string(scope)},
                                   {"aud", account.token_uri},    {"iat", now},
                                   {"exp", now + 3600}};
  std::string signing_input = base64url_encode(header) + "." + base64url_encode(claims.dump());
  SCCACHE_TRY(sig, rs256_sign(account.private_key_pem, signing_input));
  return signing_input + "." + base64url_encode(sig);
}

std::string token_request_body(std::string_view assertion) {
  return "grant_type=" + aws::uri_encode("urn:ietf:params:oauth:grant-type:jwt-bearer", true) + "&assertion=" +
         aws::uri_encode(assertion, true);
}

Expected<AccessToken> parse_token_response(std::string_view body, int64_t now) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("the token response is not a JSON object");
  auto token = doc.find("access_token");
  if (token == doc.end() || !token->is_string() || token->get<std::string>().empty()) {
    std::string why;
    for (const char* name : {"error", "error_description"}) {
      auto it = doc.find(name);
      if (it != doc.end() && it->is_string()) why += (why.empty() ? "" : ": ") + it->get<std::string>();
    }
    return make_error("the token response has no access_token" + (why.empty() ? std::string() : " (" + why + ")"));
  }
  auto expires = doc.find("expires_in");
  int64_t secs = expires != doc.end() && expires->is_number_integer() ? expires->get<int64_t>() : 3600;
  return AccessToken{token->get<std::string>(), now + secs};
}

Expected<int64_t> parse_rfc3339(std::string_view text) {
  std::string t(text);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return make_error("`" + t + "` is not an RFC 3339 time");
  }
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) != 0) ++i;
  }
  int64_t offset = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int hh = 0;
    int mm = 0;
    if (std::sscanf(t.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2 || t.size() != i + 6) {
      return make_error("`" + t + "` has a malformed UTC offset");
    }
    offset = (t[i] == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
  } else if (i + 1 != t.size() || (t[i] != 'Z' && t[i] != 'z')) {
    return make_error("`" + t + "` has no time zone (Z or +hh:mm)");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

Expected<AccessToken> parse_credentials_response(std::string_view body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("the credentials response is not a JSON object");
  auto token = doc.find("accessToken");
  auto expiry = doc.find("expireTime");
  if (token == doc.end() || !token->is_string() || token->get<std::string>().empty()) {
    return make_error("the credentials response has no accessToken");
  }
  if (expiry == doc.end() || !expiry->is_string()) return make_error("the credentials response has no expireTime");
  SCCACHE_TRY(at, parse_rfc3339(expiry->get<std::string>()));
  return AccessToken{token->get<std::string>(), at};
}

}  // namespace sccache::google
