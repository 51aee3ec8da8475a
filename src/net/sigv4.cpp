#include "net/sigv4.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache::aws {

namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// Trims and folds every whitespace run (including obsolete line folding) into a single space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (unsigned char c : value) {
    if (std::isspace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

// Lowercased names, sorted (stably, so repeated names keep their order), repeated names merged with ','.
HeaderList canonical_header_list(const HeaderList& headers) {
  HeaderList items;
  items.reserve(headers.size());
  for (const auto& [name, value] : headers) items.emplace_back(to_lower(trim(name)), canonical_header_value(value));
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  HeaderList merged;
  for (auto& item : items) {
    if (!merged.empty() && merged.back().first == item.first) {
      merged.back().second += ',';
      merged.back().second += item.second;
    } else {
      merged.push_back(std::move(item));
    }
  }
  return merged;
}


bool is_managed_header(std::string_view name) {
  std::string lower = to_lower(trim(name));
  return lower == "x-amz-date" || lower == "x-amz-content-sha256" || lower == "x-amz-security-token" ||
         lower == "authorization";
}

}  // namespace

std::string uri_encode(std::string_view s, bool encode_slash) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xF]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  return uri_encode(path, false);
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_headers(const HeaderList& headers) {
  std::string out;
  for (const auto& [name, value] : canonical_header_list(headers)) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  return out;
}

std::string signed_headers(const HeaderList& headers) {
  std::string out;
  for (const auto& [name, value] : canonical_header_list(headers)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonical_request(const SignInput& in) {
  std::string out;
  out += in.method;
  out += '\n';
  out += canonical_uri(in.path);
  out += '\n';
  out += canonical_query(in.query);
  out += '\n';
  out += canonical_headers(in.headers);
  out += '\n';
  out += signed_headers(in.headers);
  out += '\n';
  out += in.payload_sha256;
  return out;
}

std::string credential_scope(const std::string& date8, const std::string& region, const std::string& service) {
  return date8 + '/' + region + '/' + service + "/aws4_request";
}

std::string string_to_sign(const std::string& amz_date, const std::string& scope,
                           const std::string& canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += sha256_hex(canonical_request);
  return out;
}

std::string signing_key(const std::string& secret, const std::string& date8, const std::string& region,
                        const std::string& service) {
  std::string key = hmac_sha256("AWS4" + secret, date8);
  if (key.empty()) return {};
  key = hmac_sha256(key, region);
  if (key.empty()) return {};
  key = hmac_sha256(key, service);
  if (key.empty()) return {};
  return hmac_sha256(key, "aws4_request");
}

std::string signature_hex(const std::string& signing_key, const std::string& string_to_sign) {
  if (signing_key.empty()) return {};
  std::string mac = hmac_sha256(signing_key, string_to_sign);
  if (mac.empty()) return {};
  return hex(mac);
}

std::string authorization_value(const std::string& access_key, const std::string& scope,
                                const std::string& signed_headers, const std::string& signature) {
  std::string out(kAlgorithm);
  out += " Credential=" + access_key + '/' + scope;
  out += ", SignedHeaders=" + signed_headers;
  out += ", Signature=" + signature;
  return out;
}

std::string format_amz_date(std::time_t t) {
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return {};
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

HeaderList sign(const SignInput& in, const Credentials& creds, const std::string& region, const std::string& service,
                const std::string& amz_date) {
  HeaderList added;
  added.emplace_back("x-amz-date", amz_date);
  added.emplace_back("x-amz-content-sha256", in.payload_sha256);
  if (!creds.session_token.empty()) added.emplace_back("x-amz-security-token", creds.session_token);

  SignInput full;
  full.method = in.method;
  full.path = in.path;
  full.query = in.query;
  full.payload_sha256 = in.payload_sha256;
  full.headers.reserve(in.headers.size() + added.size());
  for (const auto& header : in.headers) {
    if (!is_managed_header(header.first)) full.headers.push_back(header);
  }
  full.headers.insert(full.headers.end(), added.begin(), added.end());

  const std::string scope = credential_scope(amz_date.substr(0, 8), region, service);
  const std::string to_sign = string_to_sign(amz_date, scope, canonical_request(full));
  const std::string key = signing_key(creds.secret_key, amz_date.substr(0, 8), region, service);
  added.emplace_back("Authorization", authorization_value(creds.access_key, scope, signed_headers(full.headers),
                                                          signature_hex(key, to_sign)));
  return added;
}

}  // namespace sccache::aws
