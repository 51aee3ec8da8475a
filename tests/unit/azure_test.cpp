// Azure Blob: SharedKey signing (string to sign and signature against an independent
// implementation: Node's crypto with Microsoft's documented rules, the signer that Azurite
// accepts in docs/TEST-SERVICES), connection strings, blob names and the configuration.
#include <gtest/gtest.h>

#include "cache/backends/azure/azure_storage.hpp"
#include "config/config.hpp"
#include "net/azure_sharedkey.hpp"

namespace sccache {
namespace {

constexpr std::string_view kKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr std::string_view kDate = "Thu, 03 Dec 2026 14:00:00 GMT";

azure::SignedRequest put_request() {
  return {"PUT",
          "/devstoreaccount1/cont/a/b/c/abc",
          {},
          {{"x-ms-date", std::string(kDate)},
           {"x-ms-version", "2021-08-06"},
           {"x-ms-blob-type", "BlockBlob"},
           {"Content-Type", "application/octet-stream"},
           {"Content-MD5", azure::content_md5("hello")}},
          5};
}

TEST(AzureSharedKey, StringToSignFollowsTheDocumentedLayout) {
  EXPECT_EQ(azure::string_to_sign(put_request(), "devstoreaccount1"),
            "PUT\n\n\n5\nXUFAKrxLKna5cZ2REBfFkg==\napplication/octet-stream\n\n\n\n\n\n\n"
            "x-ms-blob-type:BlockBlob\nx-ms-date:Thu, 03 Dec 2026 14:00:00 GMT\nx-ms-version:2021-08-06\n"
            "/devstoreaccount1/devstoreaccount1/cont/a/b/c/abc");
  azure::SignedRequest get{"GET", "/devstoreaccount1/cont", {{"restype", "container"}, {"comp", "list"}, {"Comp", "x"}},
                           {{"X-MS-Date", std::string(kDate)}}, 0};
  // Content-Length 0 is signed as empty; query names lower-cased and sorted, repeated ones joined.
  EXPECT_EQ(azure::string_to_sign(get, "acct"),
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Thu, 03 Dec 2026 14:00:00 GMT\n/acct/devstoreaccount1/cont\ncomp:list,x\n"
            "restype:container");
}

TEST(AzureSharedKey, SignaturesMatchAnIndependentSigner) {
  EXPECT_EQ(azure::content_md5("hello"), "XUFAKrxLKna5cZ2REBfFkg==");
  auto put = azure::authorization(put_request(), "devstoreaccount1", kKey);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(*put, "SharedKey devstoreaccount1:N8HWTOYmBPzDKfPUwg+GUnb+p6mJV8rXMZZpDWDIGdY=");
  azure::SignedRequest get{"GET", "/devstoreaccount1/cont/a/b/c/abc", {{"restype", "container"}, {"comp", "list"}},
                           {{"x-ms-date", std::string(kDate)}, {"x-ms-version", "2021-08-06"}}, 0};
  EXPECT_EQ(*azure::authorization(get, "devstoreaccount1", kKey),
            "SharedKey devstoreaccount1:NCtxv69YPYUW3ql9yLuLVy15VUvp/0GolhnKpzx6DGo=");
  EXPECT_FALSE(azure::authorization(get, "devstoreaccount1", "not base64!"));
}

TEST(AzureSharedKey, HttpDate) {
  EXPECT_EQ(azure::http_date(1796306400), kDate);
  EXPECT_EQ(azure::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(AzureConnectionString, Parts) {
  auto a = parse_azure_connection_string(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + std::string(kKey) +
      ";BlobEndpoint=http://127.0.0.1:10010/devstoreaccount1/;");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->account, "devstoreaccount1");
  EXPECT_EQ(a->key, kKey);  // the key's '=' padding survives the split at the first '='
  EXPECT_EQ(a->blob_endpoint, "http://127.0.0.1:10010/devstoreaccount1");
  auto derived = parse_azure_connection_string("AccountName=acct;AccountKey=" + std::string(kKey));
  EXPECT_EQ(derived->blob_endpoint, "https://acct.blob.core.windows.net");
  auto suffix = parse_azure_connection_string("DefaultEndpointsProtocol=http;AccountName=a;EndpointSuffix=example.org");
  EXPECT_EQ(suffix->blob_endpoint, "http://a.blob.example.org");
  auto sas = parse_azure_connection_string("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=?sv=1&sig=x%3D");
  EXPECT_EQ(sas->sas, "sv=1&sig=x%3D");
  EXPECT_TRUE(sas->key.empty());
  auto dev = parse_azure_connection_string("UseDevelopmentStorage=true");
  EXPECT_EQ(dev->account, "devstoreaccount1");
  EXPECT_EQ(dev->blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  for (const char* bad : {"AccountKey=abc", "garbage", "BlobEndpoint=ftp://x", "=x"}) {
    auto e = parse_azure_connection_string(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().message.find("abc"), std::string::npos) << "no key in the error: " << e.error().message;
  }
}

TEST(AzureStorage, BlobNamesAndLocation) {
  auto s = AzureStorage::create({"BlobEndpoint=http://127.0.0.1:1/acct;AccountName=acct;AccountKey=" + std::string(kKey),
                                 "cont", "/ci/cache"},
                                {});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->blob_name("abcdef"), "ci/cache/a/b/c/abcdef");
  EXPECT_EQ((*s)->location(), "Azure, container: BlobContainer(url=http://127.0.0.1:1/acct/cont/), prefix: ci/cache/");
  EXPECT_EQ((*s)->location().find(kKey), std::string::npos);
  EXPECT_FALSE((*s)->read_only());
  auto anon = AzureStorage::create({"BlobEndpoint=http://127.0.0.1:1/acct", "cont", ""}, {});
  ASSERT_TRUE(anon);
  EXPECT_TRUE((*anon)->read_only());
}

TEST(AzureConfig, EnvAndFile) {
  auto cfg = load_config({{"HOME", "/h"}, {"SCCACHE_AZURE_CONNECTION_STRING", "UseDevelopmentStorage=true"},
                          {"SCCACHE_AZURE_BLOB_CONTAINER", "c1x"}, {"SCCACHE_AZURE_KEY_PREFIX", "p"}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_TRUE(cfg->remote.azure);
  EXPECT_EQ(cfg->remote.azure->container, "c1x");
  EXPECT_EQ(cfg->remote.azure->key_prefix, "p");
  auto missing = load_config({{"HOME", "/h"}, {"SCCACHE_AZURE_CONNECTION_STRING", "UseDevelopmentStorage=true"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("SCCACHE_AZURE_BLOB_CONTAINER"), std::string::npos);
  Config file;
  ASSERT_TRUE(apply_config_text(file, "[cache.azure]\n", "f"));  // 0.2.10's marker
  EXPECT_FALSE(file.remote.azure);
  ASSERT_TRUE(apply_config_text(file, "[cache.azure]\nconnection_string = \"UseDevelopmentStorage=true\"\ncontainer = \"cc1\"\n", "f"));
  ASSERT_TRUE(file.remote.azure);
  EXPECT_EQ(file.remote.azure->container, "cc1");
  Config bad;
  auto refused = apply_config_text(bad, "[cache.azure]\nconnection_string = \"x=y\"\n", "f");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cache.azure.container"), std::string::npos);
}

}  // namespace
}  // namespace sccache
