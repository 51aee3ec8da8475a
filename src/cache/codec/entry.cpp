#include "cache/codec/entry.hpp"

#include "cache/codec/sealed.hpp"
#include "util/bytes.hpp"

namespace sccache {

namespace {

constexpr std::string_view kMagic = "SCCE";
constexpr size_t kMaxEntry = size_t{4} << 30;

}  // namespace

// Layout (v4): seal header, then one sealed part with the key, stdout, stderr and the files'
// names, then one sealed part per file: each file is decompressed straight into its own buffer.
std::string encode_entry(const std::string& key, const CacheEntry& entry) {
  ByteWriter head;
  head.str(key);
  head.str(entry.stdout_data);
  head.str(entry.stderr_data);
  head.u32(static_cast<uint32_t>(entry.files.size()));
  for (const auto& f : entry.files) head.str(f.name);
  ByteWriter out;
  write_seal_header(out, kMagic, kEntryFormatVersion);
  write_sealed_part(out, head.data());
  for (const auto& f : entry.files) write_sealed_part(out, f.data);
  return std::move(out.data());
}

Expected<CacheEntry> decode_entry(const std::string& bytes, const std::string& key) {
  ByteReader in(bytes);
  if (auto st = read_seal_header(in, kMagic, kEntryFormatVersion); !st) return make_error("cache entry: " + st.error().message);
  auto head_raw = read_sealed_part(in, kMaxEntry);
  if (!head_raw) return make_error("cache entry: " + head_raw.error().message);
  ByteReader head(*head_raw);
  CacheEntry entry;
  uint32_t count = 0;
  std::string stored_key;
  if (!head.str(stored_key)) return make_error("cache entry is malformed");
  if (stored_key != key) return make_error("cache entry was stored under another key (" + stored_key + ")");
  if (!head.str(entry.stdout_data) || !head.str(entry.stderr_data) || !head.u32(count) || count > bytes.size()) {
    return make_error("cache entry is malformed");
  }
  for (uint32_t i = 0; i < count; ++i) {
    EntryFile f;
    if (!head.str(f.name)) return make_error("cache entry is malformed");
    auto data = read_sealed_part(in, kMaxEntry);
    if (!data) return make_error("cache entry: " + f.name + ": " + data.error().message);
    f.data = std::move(*data);
    entry.files.push_back(std::move(f));
  }
  if (!head.at_end() || !in.at_end()) return make_error("cache entry has trailing data");
  return entry;
}

}  // namespace sccache
