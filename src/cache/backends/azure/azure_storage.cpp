#include "cache/backends/azure/azure_storage.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "cache/http_failure.hpp"
#include "cache/storage_backend.hpp"
#include "net/azure_sharedkey.hpp"
#include "net/sigv4.hpp"
#include "util/strings.hpp"

namespace sccache {

namespace {

constexpr std::string_view kApiVersion = "2021-08-06";
// Azurite's and the storage emulator's documented development account.
constexpr std::string_view kDevAccount = "devstoreaccount1";
constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::string describe(const HttpResponse& r) {
  auto code = r.headers.find("x-ms-error-code");
  return "HTTP " + std::to_string(r.status) + (code == r.headers.end() ? "" : " " + code->second);
}

}  // namespace

Expected<AzureAccount> parse_azure_connection_string(std::string_view text) {
  std::map<std::string, std::string> parts;
  for (const std::string& item : split(text, ';')) {
    std::string part = trim(item);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) return make_error("connection string part without `Name=`");
    parts[part.substr(0, eq)] = part.substr(eq + 1);
  }
  auto at = [&](const std::string& name) { return parts.count(name) != 0 ? parts[name] : std::string(); };
  AzureAccount a;
  if (at("UseDevelopmentStorage") == "true") {
    a = {std::string(kDevAccount), std::string(kDevKey), "", "http://127.0.0.1:10000/" + std::string(kDevAccount)};
  }
  if (!at("AccountName").empty()) a.account = at("AccountName");
  if (!at("AccountKey").empty()) a.key = at("AccountKey");
  a.sas = at("SharedAccessSignature");
  if (!a.sas.empty() && a.sas[0] == '?') a.sas.erase(0, 1);
  if (!at("BlobEndpoint").empty()) a.blob_endpoint = at("BlobEndpoint");
  if (a.blob_endpoint.empty()) {
    if (a.account.empty()) return make_error("connection string has neither BlobEndpoint nor AccountName");
    std::string protocol = at("DefaultEndpointsProtocol").empty() ? "https" : at("DefaultEndpointsProtocol");
    std::string suffix = at("EndpointSuffix").empty() ? "core.windows.net" : at("EndpointSuffix");
    a.blob_endpoint = protocol + "://" + a.account + ".blob." + suffix;
  }
  while (!a.blob_endpoint.empty() && a.blob_endpoint.back() == '/') a.blob_endpoint.pop_back();
  if (a.blob_endpoint.rfind("http://", 0) != 0 && a.blob_endpoint.rfind("https://", 0) != 0) {
    return make_error("BlobEndpoint must be an http:// or https:// URL");
  }
  if (!a.key.empty() && a.account.empty()) return make_error("connection string has AccountKey but no AccountName");
  return a;
}

Expected<std::unique_ptr<AzureStorage>> AzureStorage::create(const AzureConfig& config, RemoteTimeouts timeouts) {
  auto account = parse_azure_connection_string(config.connection_string);
  if (!account) return storage_error(StorageFailure::misconfigured, "SCCACHE_AZURE_CONNECTION_STRING: " + account.error().message);
  if (config.container.empty()) return storage_error(StorageFailure::misconfigured, "SCCACHE_AZURE_BLOB_CONTAINER is empty");
  SCCACHE_TRY(http, HttpClient::create(HttpOptions{timeouts.connect, timeouts.io}));
  return std::unique_ptr<AzureStorage>(
      new AzureStorage(std::move(*account), config.container, normalized_key_prefix(config.key_prefix), std::move(http)));
}

AzureStorage::AzureStorage(AzureAccount account, std::string container, std::string prefix, std::unique_ptr<HttpClient> http)
    : account_(std::move(account)), container_(std::move(container)), prefix_(std::move(prefix)), http_(std::move(http)) {
  size_t host = account_.blob_endpoint.find("//") + 2;
  size_t slash = account_.blob_endpoint.find('/', host);
  if (slash != std::string::npos) path_ = account_.blob_endpoint.substr(slash);
}

std::string AzureStorage::location() const {
  return "Azure, container: BlobContainer(url=" + account_.blob_endpoint + "/" + container_ + "/)" +
         (prefix_.empty() ? "" : ", prefix: " + prefix_);
}

std::string AzureStorage::blob_name(const std::string& key) const { return sharded_object_name(prefix_, key); }

Expected<HttpResponse> AzureStorage::send(const std::string& method, const std::string& key, const std::string& body) {
  const std::string blob = aws::uri_encode(blob_name(key), false);
  azure::SignedRequest signed_req{method, path_ + "/" + aws::uri_encode(container_, true) + "/" + blob, {}, {}, body.size()};
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  signed_req.headers = {{"x-ms-date", azure::http_date(now.count())}, {"x-ms-version", std::string(kApiVersion)}};
  if (method == "PUT") {
    signed_req.headers.insert(signed_req.headers.end(), {{"x-ms-blob-type", "BlockBlob"},
                                                         {"Content-Type", "application/octet-stream"},
                                                         {"Content-MD5", azure::content_md5(body)}});
  }
  HttpRequest req;
  req.method = method;
  req.url = account_.blob_endpoint + "/" + aws::uri_encode(container_, true) + "/" + blob;
  req.headers = signed_req.headers;
  req.body = body;
  if (!account_.sas.empty()) {
    req.url += "?" + account_.sas;
  } else if (!account_.key.empty()) {
    auto auth = azure::authorization(signed_req, account_.account, account_.key);
    if (!auth) return storage_error(StorageFailure::misconfigured, "SCCACHE_AZURE_CONNECTION_STRING: AccountKey: " + auth.error().message);
    req.headers.emplace_back("Authorization", *auth);
  }
  auto r = http_->perform(req);
  if (!r) {
    return unanswered(r.error(), method + " " + blob_name(key));
  }
  return r;
}

Expected<std::optional<std::string>> AzureStorage::get(const std::string& key) {
  SCCACHE_TRY(r, send("GET", key, ""));
  if (r.status == 200) return std::optional<std::string>(std::move(r.body));
  auto code = r.headers.find("x-ms-error-code");
  bool blob_missing = code == r.headers.end() || code->second == "BlobNotFound";
  if (r.status == 404 && blob_missing) return std::optional<std::string>();
  if (r.status == 404) {
    return storage_error(StorageFailure::misconfigured, "container `" + container_ + "`: " + describe(r) +
                                                            " (sccache does not create it)");
  }
  return storage_error(failure_of_status(r.status), "GET " + blob_name(key) + ": " + describe(r));
}

Status AzureStorage::put(const std::string& key, const std::string& bytes) {
  SCCACHE_TRY(r, send("PUT", key, bytes));
  if (r.status == 201 || r.status == 200) return Ok{};
  if (r.status == 413) {
    return storage_error(StorageFailure::item_rejected, "PUT " + blob_name(key) + ": " + describe(r) + " (entry of " +
                                                            std::to_string(bytes.size()) + " bytes)");
  }
  return storage_error(failure_of_status(r.status), "PUT " + blob_name(key) + ": " + describe(r));
}

void AzureStorage::remove(const std::string& key) {
  auto r = send("DELETE", key, "");
  if (!r) spdlog::debug("{}: delete failed: {}", location(), r.error().message);
}

namespace {

Expected<std::unique_ptr<Storage>> create_azure(const Config& config, const EnvMap& env, const RemoteTimeouts& t) {
  (void)env;
  auto storage = AzureStorage::create(*config.remote.azure, t);
  if (!storage) return make_error("Azure cache (SCCACHE_AZURE_* / [cache.azure]): " + storage.error().message);
  if ((*storage)->read_only()) spdlog::info("Azure cache: no AccountKey or SharedAccessSignature: read-only");
  return std::unique_ptr<Storage>(std::move(*storage));
}

}  // namespace

const StorageBackend kAzureBackend{"Azure", "azure", [](const RemoteCacheConfig& r) { return r.azure.has_value(); },
                                   create_azure};

}  // namespace sccache
