#include "cache/codec/entry.hpp"

#include "cache/codec/sealed.hpp"
#include "util/bytes.hpp"

namespace sccache {

namespace {

constexpr std::string_view kMagic = "SCCE";
constexpr size_t kMaxEntry = size_t{4} << 30;

}  // namespace

std::string encode_entry(const std::string& key, const CacheEntry& entry) {
  ByteWriter w;
  w.str(key);
  w.str(entry.stdout_data);
  w.str(entry.stderr_data);
  w.u32(static_cast<uint32_t>(entry.files.size()));
  for (const auto& f : entry.files) {
    w.str(f.name);
    w.str(f.data);
  }
  return seal(kMagic, kEntryFormatVersion, w.data());
}

Expected<CacheEntry> decode_entry(const std::string& bytes, const std::string& key) {
  auto raw = unseal(bytes, kMagic, kEntryFormatVersion, kMaxEntry);
  if (!raw) return make_error("cache entry: " + raw.error().message);
  ByteReader r(*raw);
  CacheEntry entry;
  uint32_t count = 0;
  std::string stored_key;
  if (!r.str(stored_key)) return make_error("cache entry is malformed");
  if (stored_key != key) return make_error("cache entry was stored under another key (" + stored_key + ")");
  if (!r.str(entry.stdout_data) || !r.str(entry.stderr_data) || !r.u32(count)) {
    return make_error("cache entry is malformed");
  }
  for (uint32_t i = 0; i < count; ++i) {
    EntryFile f;
    if (!r.str(f.name) || !r.str(f.data)) return make_error("cache entry is malformed");
    entry.files.push_back(std::move(f));
  }
  if (!r.at_end()) return make_error("cache entry has trailing data");
  return entry;
}

}  // namespace sccache
