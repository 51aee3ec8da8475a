#pragma once
// Incremental SHA-256 (OpenSSL EVP, uses SHA-NI where present) for cache keys and checksums.
#include <memory>
#include <string>
#include <string_view>

#include "util/expected.hpp"

struct evp_md_ctx_st;

namespace sccache {

class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view bytes);
  // Length-prefixed, so that ("ab","c") and ("a","bc") hash differently.
  void update_field(std::string_view bytes);
  std::string finish_raw();
  std::string finish_hex();

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256_raw(std::string_view bytes);
// Raw HMAC-SHA256 of `data` under `key` (32 bytes); empty on an OpenSSL failure.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string sha256_hex(std::string_view bytes);
Expected<std::string> sha256_file_hex(const std::string& path);
// XXH3-128 of `bytes`, 16 raw bytes: the integrity check of stored blobs (fast, not a MAC:
// whoever can write the cache can write a consistent blob anyway).
std::string checksum128(std::string_view bytes);

}  // namespace sccache
