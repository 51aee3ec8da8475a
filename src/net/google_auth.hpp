#pragma once
// Google service-account authorization (for the GCS backend, issue 16): the service-account
// JSON key file, the RS256-signed JWT bearer assertion of RFC 7523 that is exchanged for an
// OAuth access token at the key's token_uri, and the token response. Pure functions; the HTTP
// exchange and the token's caching belong to the backend.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache::google {

struct ServiceAccount {
  std::string client_email;
  std::string private_key_pem;  // never printed
  std::string token_uri;        // default https://oauth2.googleapis.com/token
};

// Errors name the missing or malformed field, never the key.
Expected<ServiceAccount> parse_service_account(std::string_view json);

// The raw RSASSA-PKCS1-v1_5 SHA-256 signature of `data` with a PEM private key.
Expected<std::string> rs256_sign(std::string_view private_key_pem, std::string_view data);

// `<header>.<claims>.<signature>` (base64url): iss = client_email, scope, aud = token_uri,
// iat = now, exp = now + 3600 (Google's maximum).
Expected<std::string> jwt_assertion(const ServiceAccount& account, std::string_view scope, int64_t now);

// The form body of the token request for an assertion.
std::string token_request_body(std::string_view assertion);

struct AccessToken {
  std::string token;
  int64_t expires_at = 0;  // seconds since the epoch
};
// {"access_token": ..., "expires_in": N, ...}; error names what is missing (and the endpoint's
// `error` / `error_description`).
Expected<AccessToken> parse_token_response(std::string_view body, int64_t now);

// A Taskcluster-style credentials URL's reply: {"accessToken": ..., "expireTime": "<RFC 3339>"}.
Expected<AccessToken> parse_credentials_response(std::string_view body);

// Seconds since the epoch of an RFC 3339 time (`2026-12-03T20:15:00Z`, `...00.123+01:00`).
Expected<int64_t> parse_rfc3339(std::string_view text);

}  // namespace sccache::google
