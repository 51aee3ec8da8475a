#pragma once
// Azure Blob storage (SPEC 5.7; newest sccache's SCCACHE_AZURE_*): one block blob per entry at
// <BlobEndpoint>/<container>/<prefix><k0>/<k1>/<k2>/<key>, authorized with SharedKey
// (net/azure_sharedkey.hpp) or a shared access signature from the connection string; without
// either, anonymous and read-only (a public container).
#include <memory>
#include <optional>
#include <string>

#include "cache/remote_timeouts.hpp"
#include "cache/storage.hpp"
#include "config/config.hpp"
#include "net/http.hpp"

namespace sccache {

// What a connection string says (`Name=Value;...`, names as Microsoft documents them).
struct AzureAccount {
  std::string account;        // AccountName
  std::string key;            // AccountKey (base64); empty: none
  std::string sas;            // SharedAccessSignature, without a leading '?'; empty: none
  std::string blob_endpoint;  // BlobEndpoint, or <protocol>://<account>.blob.<EndpointSuffix>; no trailing '/'
};

// Error names the part at fault, never the key.
Expected<AzureAccount> parse_azure_connection_string(std::string_view text);

class AzureStorage final : public Storage {
 public:
  static Expected<std::unique_ptr<AzureStorage>> create(const AzureConfig& config, RemoteTimeouts timeouts);

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  // `Azure, container: BlobContainer(url=<endpoint>/<container>/)` (SPEC 3.2), and the prefix.
  [[nodiscard]] std::string location() const override;
  [[nodiscard]] std::optional<uint64_t> current_size() const override { return std::nullopt; }
  [[nodiscard]] std::optional<uint64_t> max_size() const override { return std::nullopt; }
  [[nodiscard]] bool read_only() const override { return account_.key.empty() && account_.sas.empty(); }

  // The blob's name for a cache key, below the container: <prefix><k0>/<k1>/<k2>/<key>.
  [[nodiscard]] std::string blob_name(const std::string& key) const;

 private:
  AzureStorage(AzureAccount account, std::string container, std::string prefix, std::unique_ptr<HttpClient> http);
  Expected<HttpResponse> send(const std::string& method, const std::string& key, const std::string& body);

  AzureAccount account_;
  std::string container_;
  std::string prefix_;  // "" or "dir/"
  std::string path_;    // the endpoint's own path ("/devstoreaccount1" on Azurite, else "")
  std::unique_ptr<HttpClient> http_;
};

}  // namespace sccache
