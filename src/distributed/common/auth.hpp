#pragma once
// Credentials of sccache-dist (SPEC 7.5, 7.6): shared tokens, HS256 JWTs for servers and jobs,
// RS256 JWTs from an OpenID provider checked against its JWKS, and the `auth` subcommands'
// generators. Signing and verification are libjwt's; keys from JWKS are built with OpenSSL.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/base64.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

using sccache::base64url_decode;  // util/base64.hpp
using sccache::base64url_encode;
std::string random_bytes(size_t n);                     // OpenSSL RAND_bytes

// `sccache-dist auth generate-jwt-hs256-key`: 32 random bytes, base64url without padding.
std::string generate_jwt_hs256_key();
// `sccache-dist auth generate-shared-token --bits N`: N multiple of 8 in [64, 4096].
Expected<std::string> generate_shared_token(int bits);
// A jwt_hs256 secret key: base64url of exactly 32 bytes. Returns the raw key bytes.
Expected<std::string> decode_hs256_secret(std::string_view secret_key);

// HS256 JWT over `claims` (no exp, as sccache's server and job tokens).
Expected<std::string> jwt_hs256_sign(const nlohmann::json& claims, std::string_view key);
// Verifies signature and that the header's alg is HS256 (refuses "none" and other algorithms),
// and the time claims when present: `exp` must be a number > now, `nbf` a number <= now (seconds
// since the epoch; the tokens sccache-dist makes carry neither). Returns the claims.
Expected<nlohmann::json> jwt_hs256_verify(std::string_view token, std::string_view key, int64_t now);
// The same against the system clock.
Expected<nlohmann::json> jwt_hs256_verify(std::string_view token, std::string_view key);

// `generate-jwt-hs256-server-token`: {"server_id": "ip:port"} signed with the secret key.
Expected<std::string> server_token(const std::string& server_id, std::string_view secret_key);

// RS256 tokens from an OpenID provider (`jwt_validate` client auth): keys by `kid` from a JWKS
// document, issuer and audience checked, `exp`/`nbf` checked against `now` (seconds since epoch).
class JwksValidator {
 public:
  static Expected<JwksValidator> create(const nlohmann::json& jwks, std::string audience, std::string issuer);
  Expected<nlohmann::json> validate(std::string_view token, int64_t now) const;

 private:
  JwksValidator() = default;
  std::map<std::string, std::string> pem_by_kid_;  // public keys, PEM
  std::string audience_, issuer_;
};

// Builds the PEM of an RSA public key from a JWK's base64url `n` and `e` (tests sign with it).
Expected<std::string> rsa_public_pem_from_jwk(std::string_view n_b64url, std::string_view e_b64url);

}  // namespace sccache::dist
