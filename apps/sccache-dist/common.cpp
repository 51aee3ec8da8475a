#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>

#include "distributed/common/dist_config.hpp"
#include "dist_main.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"

namespace sccache::dist {

std::optional<uint64_t> parse_job_id(const std::string& text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Expected<std::chrono::seconds> env_seconds(const EnvMap& env, const std::string& name, std::chrono::seconds fallback,
                                           int64_t max) {
  auto it = env.find(name);
  if (it == env.end()) return fallback;
  const std::string& text = it->second;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || ec != std::errc() || end != text.data() + text.size() || v < 1 || v > max) {
    return make_error(name + "=`" + text + "` is not a whole number of seconds from 1 to " + std::to_string(max));
  }
  return std::chrono::seconds(v);
}

void exclusive_listen_options(int sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

Status check_port_free(const std::string& ip, uint16_t port, const std::string& setting) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&ss); ::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {  // NOLINT
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss); ::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {  // NOLINT
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return make_error(setting + ": `" + ip + "` is not a numeric IP address");
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  exclusive_listen_options(fd);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);  // NOLINT
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error("cannot listen on " + ip + ":" + std::to_string(port) + " (" + setting + "): " + std::strerror(err));
  }
  return Ok{};
}

int dist_fail(const std::string& message) {
  std::cerr << "sccache-dist: error: " << message << "\n";
  return 2;
}

bool daemonize_unless_foreground(const EnvMap& env) {
  auto it = env.find("SCCACHE_NO_DAEMON");
  if (it != env.end() && it->second == "1") return true;
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid > 0) ::_exit(0);
  ::setsid();
  pid = ::fork();
  if (pid < 0) return false;
  if (pid > 0) ::_exit(0);
  int devnull = ::open("/dev/null", O_RDWR);
  ::dup2(devnull, 0);
  ::dup2(devnull, 1);
  if (devnull > 2) ::close(devnull);
  return true;
}

namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, [](BIO* b) { BIO_free(b); }>>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Expected<SelfSignedCert> make_self_signed_cert(const std::string& ip) {
  PkeyPtr key(EVP_RSA_gen(2048));
  X509Ptr cert(X509_new());
  if (!key || !cert) return make_error("cannot generate the server's TLS key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sccache-internal"),  // NOLINT
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "IP:" + ip;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (ext == nullptr) return make_error("cannot make a certificate for `" + ip + "`");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return make_error("cannot sign the certificate");
  SelfSignedCert out;
  BioPtr cb(BIO_new(BIO_s_mem()));
  BioPtr kb(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cb.get(), cert.get());
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.cert_pem = bio_text(cb.get());
  out.key_pem = bio_text(kb.get());
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) return make_error("cannot encode the certificate");
  out.digest = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));  // NOLINT
  OPENSSL_free(der);
  return out;
}

Expected<std::unique_ptr<httplib::SSLClient>> https_client_for(const std::string& server_id, const std::string& cert_pem) {
  SCCACHE_TRY(addr, parse_socket_addr(server_id));
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return make_error("server " + server_id + " published an unreadable certificate");
  X509_STORE* store = X509_STORE_new();  // owned by the client after set_ca_cert_store
  X509_STORE_add_cert(store, cert.get());
  auto client = std::make_unique<httplib::SSLClient>(addr.first, addr.second);
  client->set_ca_cert_store(store);
  client->set_tcp_nodelay(true);  // headers and body go out as separate writes: no Nagle stall
  client->enable_server_certificate_verification(true);
  client->set_connection_timeout(std::chrono::seconds(5));
  client->set_read_timeout(std::chrono::seconds(600));
  client->set_write_timeout(std::chrono::seconds(600));
  return client;
}

}  // namespace sccache::dist
