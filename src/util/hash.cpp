#include "util/hash.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "util/strings.hpp"

namespace sccache {

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 initialisation failed");
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

void Hasher::update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }

void Hasher::update_field(std::string_view bytes) {
  uint64_t len = bytes.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(len >> (8 * i));
  EVP_DigestUpdate(ctx_, prefix, sizeof prefix);
  update(bytes);
}

std::string Hasher::finish_raw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hasher::finish_hex() { return hex(finish_raw()); }

std::string sha256_raw(std::string_view bytes) {
  Hasher h;
  h.update(bytes);
  return h.finish_raw();
}

std::string sha256_hex(std::string_view bytes) { return hex(sha256_raw(bytes)); }

Expected<std::string> sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path);
  Hasher h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return make_error("read error on " + path);
  return h.finish_hex();
}

}  // namespace sccache
