#pragma once
// base64url (RFC 4648 §5) without padding: JWTs, keys and the dist wire format's byte fields; and
// standard base64 with padding (RFC 4648 §4) for HTTP Basic authentication.
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache {

std::string base64url_encode(std::string_view bytes);
// The standard alphabet ('+', '/') with '=' padding.
std::string base64_encode(std::string_view bytes);
// Accepts padding and the standard alphabet's '+' and '/' too.
Expected<std::string> base64url_decode(std::string_view text);

}  // namespace sccache
