#include "net/azure_sharedkey.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>

#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache::azure {

namespace {

std::string header(const SignedRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (to_lower(k) == name) return v;
  }
  return "";
}


}  // namespace

std::string string_to_sign(const SignedRequest& r, std::string_view account) {
  std::string out = r.method + "\n";
  for (std::string_view name : {"content-encoding", "content-language"}) out += header(r, name) + "\n";
  out += (r.content_length == 0 ? std::string() : std::to_string(r.content_length)) + "\n";
  for (std::string_view name : {"content-md5", "content-type", "date", "if-modified-since", "if-match", "if-none-match",
                                "if-unmodified-since", "range"}) {
    out += header(r, name) + "\n";
  }
  std::vector<std::pair<std::string, std::string>> ms;
  for (const auto& [k, v] : r.headers) {
    std::string name = to_lower(trim(k));
    if (name.rfind("x-ms-", 0) == 0) ms.emplace_back(name, trim(v));
  }
  std::sort(ms.begin(), ms.end());
  for (const auto& [k, v] : ms) out += k + ":" + v + "\n";
  out += "/" + std::string(account) + r.path;
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : r.query) query.emplace_back(to_lower(k), v);
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size();) {
    std::string line = "\n" + query[i].first + ":" + query[i].second;
    size_t j = i + 1;
    for (; j < query.size() && query[j].first == query[i].first; ++j) line += "," + query[j].second;
    out += line;
    i = j;
  }
  return out;
}

Expected<std::string> authorization(const SignedRequest& request, std::string_view account, std::string_view key_base64) {
  auto key = base64url_decode(key_base64);
  if (!key || key->empty()) return make_error("the account key is not base64");
  std::string mac = hmac_sha256(*key, string_to_sign(request, account));
  if (mac.empty()) return make_error("HMAC-SHA256 failed");
  return "SharedKey " + std::string(account) + ":" + base64_encode(mac);
}

std::string http_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string content_md5(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_digest(nullptr, "MD5", nullptr, bytes.data(), bytes.size(), out, &len) == 0) return {};
  return base64_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace sccache::azure
