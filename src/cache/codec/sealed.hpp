#pragma once
// The framing shared by every stored format (entries, manifests, the server's warm state):
// magic, format version, then sealed parts. A part is the raw size, the XXH3-128 of the raw
// bytes, the compressed size and the zstd frame. Opening checks all of it, so a corrupt,
// truncated or foreign blob is an error, never data.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/bytes.hpp"
#include "util/expected.hpp"

namespace sccache {

// One part: `raw` compressed and checksummed.
void write_sealed_part(ByteWriter& out, std::string_view raw);
// The next part of `in`, decompressed straight into the returned string and verified.
Expected<std::string> read_sealed_part(ByteReader& in, size_t max_raw);

// Magic and version, for formats made of several parts (entries).
void write_seal_header(ByteWriter& out, std::string_view magic4, uint32_t version);
Status read_seal_header(ByteReader& in, std::string_view magic4, uint32_t version);

// What identifies a sealed blob's content (magic, version, first part's size and checksum)
// without opening it; empty if too short.
std::string_view sealed_identity(std::string_view blob);

// A blob of exactly one part.
std::string seal(std::string_view magic4, uint32_t version, std::string_view raw);
Expected<std::string> unseal(const std::string& bytes, std::string_view magic4, uint32_t version, size_t max_raw);

}  // namespace sccache
