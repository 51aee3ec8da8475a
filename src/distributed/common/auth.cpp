#include "distributed/common/auth.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace sccache::dist {

namespace {


struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using CString = std::unique_ptr<char, FreeDeleter>;

// Decodes without verifying, to read the header (alg, kid) before choosing a key.
Expected<nlohmann::json> header_of(std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return make_error("malformed JWT (no '.')");
  SCCACHE_TRY(raw, base64url_decode(token.substr(0, dot)));
  auto header = nlohmann::json::parse(raw, nullptr, false);
  if (!header.is_object()) return make_error("malformed JWT header");
  return header;
}

Expected<nlohmann::json> decode_verified(std::string_view token, std::string_view key, jwt_alg_t expected) {
  SCCACHE_TRY(header, header_of(token));
  std::string alg = header.value("alg", "");
  if (alg != jwt_alg_str(expected)) {
    return make_error("JWT algorithm `" + alg + "` refused (expected " + jwt_alg_str(expected) + ")");
  }
  jwt_t* raw = nullptr;
  std::string tok(token);
  int rc = jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(key.data()),  // NOLINT
                      static_cast<int>(key.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return make_error("JWT signature invalid");
  if (jwt_get_alg(jwt.get()) != expected) return make_error("JWT algorithm mismatch");
  CString grants(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants) return make_error("JWT without claims");
  auto claims = nlohmann::json::parse(grants.get(), nullptr, false);
  if (!claims.is_object()) return make_error("JWT claims are not an object");
  return claims;
}

// `exp` and `nbf` when present (RFC 7519 4.1.4/4.1.5): numbers, exp > now >= nbf.
Status check_time_claims(const nlohmann::json& claims, int64_t now) {
  if (claims.contains("exp")) {
    if (!claims["exp"].is_number()) return make_error("JWT `exp` claim is not a number");
    if (claims["exp"].get<double>() <= static_cast<double>(now)) return make_error("JWT expired (`exp` is past)");
  }
  if (claims.contains("nbf")) {
    if (!claims["nbf"].is_number()) return make_error("JWT `nbf` claim is not a number");
    if (claims["nbf"].get<double>() > static_cast<double>(now)) return make_error("JWT not yet valid (`nbf` is ahead)");
  }
  return Ok{};
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {  // NOLINT
    std::abort();  // no entropy: nothing secure can be made
  }
  return out;
}

std::string generate_jwt_hs256_key() { return base64url_encode(random_bytes(32)); }

Expected<std::string> generate_shared_token(int bits) {
  if (bits % 8 != 0 || bits < 64 || bits > 4096) {
    return make_error("--bits must be a multiple of 8 between 64 and 4096, got " + std::to_string(bits));
  }
  return base64url_encode(random_bytes(static_cast<size_t>(bits / 8)));
}

Expected<std::string> decode_hs256_secret(std::string_view secret_key) {
  auto key = base64url_decode(secret_key);
  if (!key || key->size() != 32) {
    return make_error("the jwt_hs256 secret_key must be 32 bytes in base64url (make one with "
                      "`sccache-dist auth generate-jwt-hs256-key`)");
  }
  return *key;
}

Expected<std::string> jwt_hs256_sign(const nlohmann::json& claims, std::string_view key) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return make_error("jwt_new failed");
  JwtPtr jwt(raw);
  if (jwt_add_grants_json(jwt.get(), claims.dump().c_str()) != 0) return make_error("invalid JWT claims");
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.data()),  // NOLINT
                  static_cast<int>(key.size())) != 0) {
    return make_error("cannot set the HS256 key");
  }
  CString token(jwt_encode_str(jwt.get()));
  if (!token) return make_error("JWT encoding failed");
  return std::string(token.get());
}

Expected<nlohmann::json> jwt_hs256_verify(std::string_view token, std::string_view key, int64_t now) {
  SCCACHE_TRY(claims, decode_verified(token, key, JWT_ALG_HS256));
  SCCACHE_TRY_STATUS(check_time_claims(claims, now));
  return claims;
}

Expected<nlohmann::json> jwt_hs256_verify(std::string_view token, std::string_view key) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return jwt_hs256_verify(token, key, now.count());
}

Expected<std::string> server_token(const std::string& server_id, std::string_view secret_key) {
  SCCACHE_TRY(key, decode_hs256_secret(secret_key));
  return jwt_hs256_sign(nlohmann::json{{"server_id", server_id}}, key);
}

Expected<std::string> rsa_public_pem_from_jwk(std::string_view n_b64url, std::string_view e_b64url) {
  SCCACHE_TRY(n, base64url_decode(n_b64url));
  SCCACHE_TRY(e, base64url_decode(e_b64url));
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr), &BN_free);  // NOLINT
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr), &BN_free);  // NOLINT
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bn_n || !bn_e || !bld) return make_error("out of memory");
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* raw_key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return make_error("invalid RSA key in JWKS");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw_key, &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return make_error("cannot write the RSA key as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

Expected<JwksValidator> JwksValidator::create(const nlohmann::json& jwks, std::string audience, std::string issuer) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return make_error("JWKS document has no `keys` array");
  }
  JwksValidator v;
  v.audience_ = std::move(audience);
  v.issuer_ = std::move(issuer);
  for (const auto& k : jwks["keys"]) {
    if (!k.is_object() || k.value("kty", "") != "RSA" || !k.contains("n") || !k.contains("e")) continue;
    if (k.contains("use") && k.value("use", "") != "sig") continue;
    SCCACHE_TRY(pem, rsa_public_pem_from_jwk(k["n"].get<std::string>(), k["e"].get<std::string>()));
    v.pem_by_kid_[k.value("kid", "")] = pem;
  }
  if (v.pem_by_kid_.empty()) return make_error("JWKS document has no RSA signing keys");
  return v;
}

Expected<nlohmann::json> JwksValidator::validate(std::string_view token, int64_t now) const {
  SCCACHE_TRY(header, header_of(token));
  std::string kid = header.value("kid", "");
  auto it = pem_by_kid_.find(kid);
  if (it == pem_by_kid_.end()) return make_error("JWT key id `" + kid + "` is not in the provider's JWKS");
  SCCACHE_TRY(claims, decode_verified(token, it->second, JWT_ALG_RS256));
  if (claims.value("iss", "") != issuer_) return make_error("JWT issuer `" + claims.value("iss", "") + "` not accepted");
  bool aud_ok = false;
  if (claims.contains("aud")) {
    const auto& aud = claims["aud"];
    if (aud.is_string()) aud_ok = aud.get<std::string>() == audience_;
    if (aud.is_array()) {
      for (const auto& a : aud) aud_ok = aud_ok || (a.is_string() && a.get<std::string>() == audience_);
    }
  }
  if (!aud_ok) return make_error("JWT audience does not include `" + audience_ + "`");
  if (!claims.contains("exp") || !claims["exp"].is_number() || claims["exp"].get<int64_t>() <= now) {
    return make_error("JWT expired or without exp");
  }
  if (claims.contains("nbf") && claims["nbf"].is_number() && claims["nbf"].get<int64_t>() > now) {
    return make_error("JWT not yet valid");
  }
  return claims;
}

}  // namespace sccache::dist
