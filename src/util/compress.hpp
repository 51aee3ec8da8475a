#pragma once
// zstd one-shot compression helpers.
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache {

std::string zstd_compress(std::string_view data, int level = 3);
// Fails on a corrupt or truncated frame, or if the frame would exceed `max_size`.
Expected<std::string> zstd_decompress(std::string_view data, size_t max_size);

}  // namespace sccache
