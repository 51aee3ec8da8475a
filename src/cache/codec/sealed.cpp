#include "cache/codec/sealed.hpp"

#include "util/compress.hpp"
#include "util/hash.hpp"

namespace sccache {

void write_sealed_part(ByteWriter& out, std::string_view raw) {
  out.u64(raw.size());
  out.raw(checksum128(raw));
  out.str(zstd_compress(raw));
}

Expected<std::string> read_sealed_part(ByteReader& in, size_t max_raw) {
  uint64_t raw_size = 0;
  std::string_view sum;
  std::string_view frame;
  uint64_t frame_size = 0;
  if (!in.u64(raw_size) || !in.view(16, sum) || !in.u64(frame_size) || !in.view(frame_size, frame)) {
    return make_error("truncated");
  }
  if (raw_size > max_raw) return make_error("declares an impossible size");
  auto raw = zstd_decompress(frame, raw_size);
  if (!raw) return make_error("corrupt: " + raw.error().message);
  if (raw->size() != raw_size || checksum128(*raw) != sum) return make_error("checksum mismatch");
  return raw;
}

void write_seal_header(ByteWriter& out, std::string_view magic4, uint32_t version) {
  out.raw(magic4.substr(0, 4));
  out.u32(version);
}

Status read_seal_header(ByteReader& in, std::string_view magic4, uint32_t version) {
  std::string_view magic;
  uint32_t found_version = 0;
  if (!in.view(4, magic) || magic != magic4.substr(0, 4) || !in.u32(found_version)) {
    return make_error("bad magic or truncated header");
  }
  if (found_version != version) return make_error("format version " + std::to_string(found_version) + " not supported");
  return Ok{};
}

std::string_view sealed_identity(std::string_view blob) {
  constexpr size_t kIdentity = 4 + 4 + 8 + 16;
  return blob.size() < kIdentity ? std::string_view() : blob.substr(0, kIdentity);
}

std::string seal(std::string_view magic4, uint32_t version, std::string_view raw) {
  ByteWriter out;
  write_seal_header(out, magic4, version);
  write_sealed_part(out, raw);
  return std::move(out.data());
}

Expected<std::string> unseal(const std::string& bytes, std::string_view magic4, uint32_t version, size_t max_raw) {
  ByteReader in(bytes);
  SCCACHE_TRY_STATUS(read_seal_header(in, magic4, version));
  SCCACHE_TRY(raw, read_sealed_part(in, max_raw));
  if (!in.at_end()) return make_error("trailing data");
  return raw;
}

}  // namespace sccache
