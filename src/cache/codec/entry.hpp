#pragma once
// Cache entry codec: the outputs of one compile plus its stdout/stderr, zstd-compressed, with an
// XXH3-128 of each part so that a corrupt or truncated entry decodes to an error, never to data.
#include <cstdint>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

struct EntryFile {
  std::string name;  // "obj", "d", "dwo", "gcno", ...
  std::string data;
  bool operator==(const EntryFile&) const = default;
};

struct CacheEntry {
  std::vector<EntryFile> files;
  std::string stdout_data;
  std::string stderr_data;
  bool operator==(const CacheEntry&) const = default;
};

constexpr uint32_t kEntryFormatVersion = 4;  // 3: the key it was stored under; 4: XXH3-128, a part per file

// An entry carries the key it was stored under: one copied or served under another key (a
// swapped file, a confused shared cache) decodes to an error, never to the wrong object.
std::string encode_entry(const std::string& key, const CacheEntry& entry);
Expected<CacheEntry> decode_entry(const std::string& bytes, const std::string& key);

}  // namespace sccache
