#pragma once
// Direct-mode manifests: for one (compiler, arguments, input content) they list earlier
// compiles' include files (with content digests) and the shadowing candidates of those files
// (paths earlier in the search order), each leading to a result key. An entry applies only if
// every file and candidate is as recorded.
#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

struct ManifestFile {
  std::string path;    // absolute
  std::string digest;  // hex SHA-256 of the content
  bool operator==(const ManifestFile&) const = default;
};

// A path where a new or changed file would change which file an #include finds.
struct ManifestDir {
  std::string path;       // absolute
  int64_t mtime_ns = -1;  // -1 = did not exist
  bool operator==(const ManifestDir&) const = default;
};

struct ManifestEntry {
  std::string result_key;
  std::vector<ManifestFile> files;
  std::vector<ManifestDir> dirs;
  bool operator==(const ManifestEntry&) const = default;
};

struct Manifest {
  std::vector<ManifestEntry> entries;  // newest first
};

constexpr size_t kMaxManifestEntries = 32;

// Like entries, a manifest carries the key it was stored under and is checked against it.
std::string encode_manifest(const std::string& key, const Manifest& m);
Expected<Manifest> decode_manifest(const std::string& bytes, const std::string& key);

}  // namespace sccache
