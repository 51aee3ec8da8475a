#include "cache/codec/manifest.hpp"

#include "cache/codec/sealed.hpp"
#include "util/bytes.hpp"

namespace sccache {

namespace {
constexpr std::string_view kMagic = "SCCM";
constexpr uint32_t kManifestVersion = 3;  // 2: the key it was stored under; 3: XXH3-128
}  // namespace

std::string encode_manifest(const std::string& key, const Manifest& m) {
  ByteWriter w;
  w.str(key);
  w.u32(static_cast<uint32_t>(m.entries.size()));
  for (const auto& e : m.entries) {
    w.str(e.result_key);
    w.u32(static_cast<uint32_t>(e.files.size()));
    for (const auto& f : e.files) {
      w.str(f.path);
      w.str(f.digest);
    }
    w.u32(static_cast<uint32_t>(e.dirs.size()));
    for (const auto& d : e.dirs) {
      w.str(d.path);
      w.u64(static_cast<uint64_t>(d.mtime_ns));
    }
  }
  return seal(kMagic, kManifestVersion, w.data());
}

Expected<Manifest> decode_manifest(const std::string& bytes, const std::string& key) {
  auto raw = unseal(bytes, kMagic, kManifestVersion, 64U << 20);
  if (!raw) return make_error("manifest: " + raw.error().message);
  ByteReader r(*raw);
  Manifest m;
  std::string stored_key;
  if (!r.str(stored_key)) return make_error("manifest is malformed");
  if (stored_key != key) return make_error("manifest was stored under another key (" + stored_key + ")");
  uint32_t n = 0;
  r.u32(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    ManifestEntry e;
    uint32_t nf = 0;
    uint32_t nd = 0;
    r.str(e.result_key);
    r.u32(nf);
    for (uint32_t j = 0; j < nf && r.ok(); ++j) {
      ManifestFile f;
      r.str(f.path);
      r.str(f.digest);
      e.files.push_back(std::move(f));
    }
    r.u32(nd);
    for (uint32_t j = 0; j < nd && r.ok(); ++j) {
      ManifestDir d;
      uint64_t t = 0;
      r.str(d.path);
      r.u64(t);
      d.mtime_ns = static_cast<int64_t>(t);
      e.dirs.push_back(std::move(d));
    }
    m.entries.push_back(std::move(e));
  }
  if (!r.at_end()) return make_error("manifest is malformed");
  return m;
}

}  // namespace sccache
