#include "util/hash.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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
  // Regular files only, opened without blocking: a FIFO or device never hangs or floods this.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return make_error("cannot open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(path + " is not a regular file");
  }
  Hasher h;
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return make_error("read error on " + path);
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return h.finish_hex();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string checksum128(std::string_view bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  return std::string(reinterpret_cast<const char*>(c.digest), sizeof c.digest);
}

}  // namespace sccache
