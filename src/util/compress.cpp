#include "util/compress.hpp"

#include <zstd.h>

namespace sccache {

std::string zstd_compress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n) != 0U) return {};
  out.resize(n);
  return out;
}

Expected<std::string> zstd_decompress(std::string_view data, size_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return make_error("not a zstd frame with a known size");
  }
  if (size > max_size) return make_error("zstd frame larger than allowed");
  std::string out(static_cast<size_t>(size), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n) != 0U) return make_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != size) return make_error("zstd frame shorter than declared");
  return out;
}

}  // namespace sccache
