#pragma once
// Splitting the URLs users write in backend settings (redis://, tcp://, http://) into parts.
// Only the generic syntax `scheme://[user[:password]@]host[:port][/path][?query]` is handled;
// user and password are percent-decoded, IPv6 hosts are written `[::1]`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

struct Url {
  std::string scheme;  // lower case
  std::optional<std::string> user, password;
  std::string host;    // without brackets for IPv6
  std::optional<uint16_t> port;
  std::string path;    // "" or starting with '/'
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded
};

Expected<Url> parse_url(std::string_view text);
std::string percent_decode(std::string_view text);
// host[:port] as it appears in a URL (IPv6 in brackets).
std::string url_authority(const Url& url);

}  // namespace sccache
