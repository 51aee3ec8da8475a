#include "cache/manifest.hpp"

#include <cstring>

#include "util/bytes.hpp"
#include "util/compress.hpp"
#include "util/hash.hpp"

namespace sccache {

namespace {
constexpr char kMagic[4] = {'S', 'C', 'C', 'M'};
constexpr uint32_t kManifestVersion = 1;
constexpr size_t kHeader = 4 + 4 + 8 + 32;
}  // namespace

std::string encode_manifest(const Manifest& m) {
  ByteWriter w;
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
  const std::string& raw = w.data();
  ByteWriter out;
  out.raw(std::string_view(kMagic, 4));
  out.u32(kManifestVersion);
  out.u64(raw.size());
  out.raw(sha256_raw(raw));
  out.raw(zstd_compress(raw));
  return std::move(out.data());
}

Expected<Manifest> decode_manifest(const std::string& bytes) {
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 4) != 0) return make_error("not a manifest");
  ByteReader h(std::string_view(bytes).substr(4, 12));
  uint32_t version = 0;
  uint64_t raw_size = 0;
  h.u32(version);
  h.u64(raw_size);
  if (version != kManifestVersion) return make_error("manifest version not supported");
  auto raw = zstd_decompress(std::string_view(bytes).substr(kHeader), 64U << 20);
  if (!raw || raw->size() != raw_size || sha256_raw(*raw) != bytes.substr(16, 32)) {
    return make_error("manifest is corrupt");
  }
  ByteReader r(*raw);
  Manifest m;
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
