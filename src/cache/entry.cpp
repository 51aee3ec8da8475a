#include "cache/entry.hpp"

#include <cstring>

#include "util/bytes.hpp"
#include "util/compress.hpp"
#include "util/hash.hpp"

namespace sccache {

namespace {

constexpr char kMagic[4] = {'S', 'C', 'C', 'E'};
constexpr size_t kHeaderSize = 4 + 4 + 8 + 32;
constexpr size_t kMaxEntry = size_t{4} << 30;

}  // namespace

std::string encode_entry(const CacheEntry& entry) {
  ByteWriter w;
  w.u32(entry.stderr_has_color ? 1 : 0);
  w.str(entry.stdout_data);
  w.str(entry.stderr_data);
  w.u32(static_cast<uint32_t>(entry.files.size()));
  for (const auto& f : entry.files) {
    w.str(f.name);
    w.str(f.data);
  }
  const std::string& raw = w.data();
  ByteWriter out;
  out.raw(std::string_view(kMagic, sizeof kMagic));
  out.u32(kEntryFormatVersion);
  out.u64(raw.size());
  out.raw(sha256_raw(raw));
  out.raw(zstd_compress(raw));
  return std::move(out.data());
}

Expected<CacheEntry> decode_entry(const std::string& bytes) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return make_error("not a cache entry (bad magic or truncated header)");
  }
  ByteReader header(std::string_view(bytes).substr(4, 12));
  uint32_t version = 0;
  uint64_t raw_size = 0;
  header.u32(version);
  header.u64(raw_size);
  if (version != kEntryFormatVersion) return make_error("cache entry format version " + std::to_string(version) + " not supported");
  if (raw_size > kMaxEntry) return make_error("cache entry declares an impossible size");
  std::string checksum = bytes.substr(16, 32);
  auto raw = zstd_decompress(std::string_view(bytes).substr(kHeaderSize), raw_size);
  if (!raw) return make_error("cache entry is corrupt: " + raw.error().message);
  if (raw->size() != raw_size || sha256_raw(*raw) != checksum) return make_error("cache entry checksum mismatch");
  ByteReader r(*raw);
  CacheEntry entry;
  uint32_t flags = 0;
  uint32_t count = 0;
  if (!r.u32(flags) || !r.str(entry.stdout_data) || !r.str(entry.stderr_data) || !r.u32(count)) {
    return make_error("cache entry is malformed");
  }
  entry.stderr_has_color = (flags & 1U) != 0;
  for (uint32_t i = 0; i < count; ++i) {
    EntryFile f;
    if (!r.str(f.name) || !r.str(f.data)) return make_error("cache entry is malformed");
    entry.files.push_back(std::move(f));
  }
  if (!r.at_end()) return make_error("cache entry has trailing data");
  return entry;
}

}  // namespace sccache
