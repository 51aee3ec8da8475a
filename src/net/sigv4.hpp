#pragma once
// AWS Signature Version 4 (header-based, single-chunk payload) for the S3 backend.
// Pure functions: the caller supplies the time stamp, so every step is reproducible against AWS's published
// vectors. The path is canonicalised the S3 way: each segment URI-encoded once, no normalisation.
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sccache::aws {

struct Credentials {
  std::string access_key, secret_key, session_token;  // session_token may be empty
};

struct SignInput {
  std::string method;  // "GET", "PUT", ...
  // Raw, unencoded absolute path, e.g. "/bucket/my key+x"; each segment is URI-encoded, '/' kept.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // raw unencoded name/value pairs, any order
  // Name/value as sent; must include "host". Names are case-insensitive; repeated names are joined with ','
  // in the order given. Values are trimmed and inner whitespace runs collapsed to one space.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 unreserved kept (A-Z a-z 0-9 - _ . ~), everything else %XX uppercase; '/' kept iff !encode_slash.
std::string uri_encode(std::string_view s, bool encode_slash);

// The pieces of the canonical request, exposed for tests and for callers that need them.
std::string canonical_uri(std::string_view path);  // "" becomes "/"
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);
std::string canonical_headers(const HeaderList& headers);  // "name:value\n" per distinct name, sorted
std::string signed_headers(const HeaderList& headers);     // "host;range;x-amz-date"

// The 6-part canonical request text: method, URI, query, headers (+ blank line), signed headers, payload hash.
std::string canonical_request(const SignInput& in);
// "20150830/us-east-1/service/aws4_request"
std::string credential_scope(const std::string& date8, const std::string& region, const std::string& service);
std::string string_to_sign(const std::string& amz_date, const std::string& scope, const std::string& canonical_request);
// Raw 32 bytes: HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". Empty on OpenSSL failure.
std::string signing_key(const std::string& secret, const std::string& date8, const std::string& region,
                        const std::string& service);
// Lowercase hex HMAC-SHA256 of string_to_sign; empty on OpenSSL failure.
std::string signature_hex(const std::string& signing_key, const std::string& string_to_sign);
// "AWS4-HMAC-SHA256 Credential=<key>/<scope>, SignedHeaders=<list>, Signature=<hex>"
std::string authorization_value(const std::string& access_key, const std::string& scope,
                                const std::string& signed_headers, const std::string& signature);
std::string format_amz_date(std::time_t t);  // "20150830T123600Z" (UTC)

// Returns the headers to add to the request: "x-amz-date", "x-amz-content-sha256" (= payload_sha256),
// "x-amz-security-token" (only if session_token non-empty) and "Authorization". The signed headers are
// all of in.headers plus x-amz-date, x-amz-content-sha256 and the token header (all lowercase, sorted).
// Any of those four names already present in in.headers is ignored, since the returned value replaces it.
HeaderList sign(const SignInput& in, const Credentials& creds, const std::string& region, const std::string& service,
                const std::string& amz_date);

}  // namespace sccache::aws
