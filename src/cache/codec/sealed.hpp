#pragma once
// The framing shared by every stored format (entries, manifests): magic, format version, raw
// size and SHA-256 of the payload, then the zstd-compressed payload. Opening checks all of it,
// so a corrupt, truncated or foreign blob is an error, never data.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache {

std::string seal(std::string_view magic4, uint32_t version, std::string_view raw);
Expected<std::string> unseal(const std::string& bytes, std::string_view magic4, uint32_t version, size_t max_raw);

}  // namespace sccache
