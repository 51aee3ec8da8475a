#pragma once
// Small string helpers shared by every layer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

std::vector<std::string> split(std::string_view text, char sep);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
std::string trim(std::string_view text);
// Parses "10G", "512M", "100K", "1T" (binary multiples) or a plain byte count.
std::optional<uint64_t> parse_size(std::string_view text);
// "1 KiB" style as sccache prints sizes.
std::string format_binary_size(uint64_t bytes);
std::string hex(std::string_view bytes);
// "what: <strerror(errno)>", for an error right after a failed system call.
std::string errno_text(const std::string& what);

}  // namespace sccache
