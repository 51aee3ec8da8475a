#include "cache/codec/sealed.hpp"

#include "util/bytes.hpp"
#include "util/compress.hpp"
#include "util/hash.hpp"

namespace sccache {

namespace {
constexpr size_t kHeaderSize = 4 + 4 + 8 + 32;
}

std::string seal(std::string_view magic4, uint32_t version, std::string_view raw) {
  ByteWriter out;
  out.raw(magic4.substr(0, 4));
  out.u32(version);
  out.u64(raw.size());
  out.raw(sha256_raw(raw));
  out.raw(zstd_compress(raw));
  return std::move(out.data());
}

Expected<std::string> unseal(const std::string& bytes, std::string_view magic4, uint32_t version, size_t max_raw) {
  if (bytes.size() < kHeaderSize || bytes.compare(0, 4, magic4.substr(0, 4)) != 0) {
    return make_error("bad magic or truncated header");
  }
  ByteReader header(std::string_view(bytes).substr(4, 12));
  uint32_t found_version = 0;
  uint64_t raw_size = 0;
  header.u32(found_version);
  header.u64(raw_size);
  if (found_version != version) return make_error("format version " + std::to_string(found_version) + " not supported");
  if (raw_size > max_raw) return make_error("declares an impossible size");
  auto raw = zstd_decompress(std::string_view(bytes).substr(kHeaderSize), raw_size);
  if (!raw) return make_error("corrupt: " + raw.error().message);
  if (raw->size() != raw_size || sha256_raw(*raw) != bytes.substr(16, 32)) return make_error("checksum mismatch");
  return raw;
}

}  // namespace sccache
