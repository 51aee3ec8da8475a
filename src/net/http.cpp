#include "net/http.hpp"

#include <curl/curl.h>

#include <cstring>

#include "util/dynlib.hpp"
#include "util/strings.hpp"

namespace sccache {

struct HttpClient::Api {
  decltype(&::curl_global_init) curl_global_init = nullptr;
  decltype(&::curl_easy_init) curl_easy_init = nullptr;
  decltype(&::curl_easy_cleanup) curl_easy_cleanup = nullptr;
  decltype(&::curl_easy_reset) curl_easy_reset = nullptr;
  decltype(&::curl_easy_setopt) curl_easy_setopt = nullptr;
  decltype(&::curl_easy_perform) curl_easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) curl_easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) curl_easy_strerror = nullptr;
  decltype(&::curl_slist_append) curl_slist_append = nullptr;
  decltype(&::curl_slist_free_all) curl_slist_free_all = nullptr;
};

namespace {

Expected<HttpClient::Api> load_api() {
  SCCACHE_TRY(lib, DynLib::open({"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"}, "libcurl4"));
  HttpClient::Api api;
  SCCACHE_DLSYM(lib, api, curl_global_init);
  SCCACHE_DLSYM(lib, api, curl_easy_init);
  SCCACHE_DLSYM(lib, api, curl_easy_cleanup);
  SCCACHE_DLSYM(lib, api, curl_easy_reset);
  SCCACHE_DLSYM(lib, api, curl_easy_setopt);
  SCCACHE_DLSYM(lib, api, curl_easy_perform);
  SCCACHE_DLSYM(lib, api, curl_easy_getinfo);
  SCCACHE_DLSYM(lib, api, curl_easy_strerror);
  SCCACHE_DLSYM(lib, api, curl_slist_append);
  SCCACHE_DLSYM(lib, api, curl_slist_free_all);
  if (api.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return make_error("curl_global_init failed");
  return api;
}

const Expected<HttpClient::Api>& api_once() {
  static const Expected<HttpClient::Api> api = load_api();
  return api;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    (*static_cast<std::map<std::string, std::string>*>(user))[to_lower(line.substr(0, colon))] =
        trim(line.substr(colon + 1));
  }
  return size * n;
}

struct Upload {
  const std::string* body;
  size_t offset = 0;
};

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->body->size() - up->offset);
  std::memcpy(buffer, up->body->data() + up->offset, len);
  up->offset += len;
  return len;
}

}  // namespace

Expected<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
  const auto& api = api_once();
  if (!api) return api.error();
  return std::unique_ptr<HttpClient>(new HttpClient(*api, options));
}

HttpClient::~HttpClient() {
  for (void* h : idle_) api_.curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return api_.curl_easy_init();
}

void HttpClient::release(void* handle, bool healthy) {
  if (!healthy) {
    api_.curl_easy_cleanup(static_cast<CURL*>(handle));
    return;
  }
  std::lock_guard lock(mu_);
  idle_.push_back(handle);
}

namespace {

// The method and, for PUT and POST, the body.
template <typename SetOpt>
void set_method(SetOpt set, CURL* h, const HttpRequest& request, Upload& upload) {
  if (request.method == "GET") {
    set(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    set(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    set(h, CURLOPT_UPLOAD, 1L);
    set(h, CURLOPT_READFUNCTION, &on_read);
    set(h, CURLOPT_READDATA, &upload);
    set(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    set(h, CURLOPT_POST, 1L);
    set(h, CURLOPT_POSTFIELDS, request.body.data());
    set(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    set(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

}  // namespace

Expected<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  auto* h = static_cast<CURL*>(acquire());
  if (h == nullptr) return make_error("curl_easy_init failed");
  // reset keeps the handle's connection cache: reuse is the point of the pool.
  api_.curl_easy_reset(h);
  HttpResponse response;
  Upload upload{&request.body};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) headers = api_.curl_slist_append(headers, (name + ": " + value).c_str());
  headers = api_.curl_slist_append(headers, "Expect:");  // no 100-continue round trip on PUT
  auto set = api_.curl_easy_setopt;
  char errbuf[CURL_ERROR_SIZE] = {0};  // "Failed to connect to ... : Connection refused", not just the code
  set(h, CURLOPT_ERRORBUFFER, errbuf);
  set(h, CURLOPT_URL, request.url.c_str());
  set(h, CURLOPT_NOSIGNAL, 1L);
  set(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));  // NOLINT(google-runtime-int)
  set(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(options_.stall_timeout.count() / 1000)));  // NOLINT
  set(h, CURLOPT_TCP_NODELAY, 1L);
  set(h, CURLOPT_HTTPHEADER, headers);
  set(h, CURLOPT_WRITEFUNCTION, &on_body);
  set(h, CURLOPT_WRITEDATA, &response.body);
  set(h, CURLOPT_HEADERFUNCTION, &on_header);
  set(h, CURLOPT_HEADERDATA, &response.headers);
  curl_blob ca{};
  if (!request.ca_pem.empty()) {
    ca.data = const_cast<char*>(request.ca_pem.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): curl copies it
    ca.len = request.ca_pem.size();
    ca.flags = CURL_BLOB_COPY;
    set(h, CURLOPT_CAINFO_BLOB, &ca);
    set(h, CURLOPT_SSL_VERIFYPEER, 1L);
    set(h, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (request.accept_gzip) set(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  set_method(set, h, request, upload);
  CURLcode rc = api_.curl_easy_perform(h);
  api_.curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] != '\0' ? std::string(errbuf) : std::string(api_.curl_easy_strerror(rc));
    release(h, false);
    return make_error(why, rc == CURLE_OPERATION_TIMEDOUT ? kHttpTimedOut : 0);
  }
  api_.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  release(h, true);
  return response;
}

}  // namespace sccache
