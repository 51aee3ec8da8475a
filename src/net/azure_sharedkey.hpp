#pragma once
// Azure Storage SharedKey authorization for the Blob service (Microsoft's "Authorize with Shared
// Key" rules, service version 2015-02-21 and later): the string to sign and the Authorization
// header value. Pure functions; the caller sets x-ms-date and x-ms-version itself.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace sccache::azure {

struct SignedRequest {
  std::string method;  // "GET", "PUT", ...
  // The request's path as sent (percent-encoded), starting with '/', and its query parameters.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  // Every header sent; the standard ones the rules name and all x-ms-* are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t content_length = 0;  // signed as empty when 0
};

// VERB, the eleven standard headers (Content-Length empty when 0), the canonicalized x-ms-*
// headers (lower-cased, sorted, `name:value`) and the canonicalized resource
// (`/<account><path>`, then `\nname:value` per query parameter, lower-cased and sorted).
std::string string_to_sign(const SignedRequest& request, std::string_view account);

// `SharedKey <account>:<base64 HMAC-SHA256 of the string to sign with the decoded key>`. Error if
// the key is not base64.
Expected<std::string> authorization(const SignedRequest& request, std::string_view account, std::string_view key_base64);

// An RFC 1123 date (`Thu, 03 Dec 2026 14:00:00 GMT`) for x-ms-date, from seconds since the epoch.
std::string http_date(int64_t unix_seconds);

// Base64 of the MD5 of `bytes`, for Content-MD5.
std::string content_md5(std::string_view bytes);

}  // namespace sccache::azure
