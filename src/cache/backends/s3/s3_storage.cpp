#include "cache/backends/s3/s3_storage.hpp"

#include "cache/http_failure.hpp"
#include "cache/read_only_storage.hpp"
#include "cache/storage_backend.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <thread>

#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/strings.hpp"
#include "util/url.hpp"

namespace sccache {

namespace {

std::optional<std::string> env_get(const EnvMap& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// The <Code> element of an S3 XML error body ("" if none).
std::string error_code(const std::string& body) {
  auto open = body.find("<Code>");
  if (open == std::string::npos) return "";
  auto close = body.find("</Code>", open);
  if (close == std::string::npos) return "";
  return body.substr(open + 6, close - open - 6);
}

Error no_such_bucket(const std::string& bucket) {
  return storage_error(StorageFailure::misconfigured, "bucket `" + bucket + "` does not exist (HTTP 404 NoSuchBucket)");
}

std::string describe(const HttpResponse& r) {
  std::string code = error_code(r.body);
  std::string text = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
  if (r.status == 403) {
    if (code == "SignatureDoesNotMatch") text += " (wrong AWS_SECRET_ACCESS_KEY?)";
    if (code == "InvalidAccessKeyId") text += " (unknown AWS_ACCESS_KEY_ID)";
    if (code == "AccessDenied") text += " (access denied to the bucket)";
  }
  return text;
}

bool retryable(long status) {  // NOLINT(google-runtime-int)
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

Expected<std::optional<aws::Credentials>> find_aws_credentials(const EnvMap& env) {
  auto id = env_get(env, "AWS_ACCESS_KEY_ID");
  auto secret = env_get(env, "AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    return std::optional<aws::Credentials>(aws::Credentials{*id, *secret, env_get(env, "AWS_SESSION_TOKEN").value_or("")});
  }
  std::string path;
  if (auto f = env_get(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    path = *f;
  } else if (auto home = env_get(env, "HOME")) {
    path = join_path(*home, ".aws/credentials");
  } else {
    return std::optional<aws::Credentials>();
  }
  auto text = read_file(path);
  if (!text) return std::optional<aws::Credentials>();
  std::string profile = env_get(env, "AWS_PROFILE").value_or("default");
  // INI: [profile] sections of `key = value` lines; '#' and ';' start comments.
  std::string section;
  aws::Credentials c;
  bool found = false;
  for (const auto& raw : split(*text, '\n')) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return make_error(path + ": malformed section line `" + line + "`");
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    if (section != profile) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = to_lower(trim(line.substr(0, eq)));
    std::string v = trim(line.substr(eq + 1));
    found = true;
    if (k == "aws_access_key_id") c.access_key = v;
    if (k == "aws_secret_access_key") c.secret_key = v;
    if (k == "aws_session_token") c.session_token = v;
  }
  if (!found) return std::optional<aws::Credentials>();
  if (c.access_key.empty() || c.secret_key.empty()) {
    return make_error(path + ": profile [" + profile + "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return std::optional<aws::Credentials>(c);
}

Expected<S3Target> s3_target(const S3Config& config) {
  S3Target t;
  t.key_prefix = normalized_key_prefix(config.key_prefix);
  bool vhost = false;
  if (!config.endpoint) {
    t.scheme = config.use_ssl.value_or(true) ? "https" : "http";
    t.authority = "s3." + config.region + ".amazonaws.com";
    vhost = config.virtual_host_style.value_or(true);
  } else {
    std::string ep = *config.endpoint;
    if (ep.find("://") == std::string::npos) ep = (config.use_ssl.value_or(false) ? "https://" : "http://") + ep;
    auto url = parse_url(ep);
    if (!url) return make_error("endpoint: " + url.error().message);
    if (url->scheme != "http" && url->scheme != "https") {
      return make_error("endpoint `" + *config.endpoint + "`: expected http:// or https://");
    }
    if (url->host.empty()) return make_error("endpoint `" + *config.endpoint + "`: missing host");
    if (!url->path.empty() && url->path != "/") {
      return make_error("endpoint `" + *config.endpoint + "`: unexpected path `" + url->path + "`");
    }
    t.scheme = config.use_ssl ? (*config.use_ssl ? "https" : "http") : url->scheme;
    t.authority = url_authority(*url);
    vhost = config.virtual_host_style.value_or(false);
  }
  if (config.bucket.empty()) return make_error("empty bucket name");
  if (vhost) {
    t.authority = config.bucket + "." + t.authority;
  } else {
    t.path_prefix = "/" + config.bucket;
  }
  return t;
}

Expected<std::unique_ptr<S3Storage>> S3Storage::create(const S3Config& config, const EnvMap& env,
                                                       RemoteTimeouts timeouts) {
  SCCACHE_TRY(target, s3_target(config));
  std::optional<aws::Credentials> creds;
  if (!config.no_credentials) {
    SCCACHE_TRY(found, find_aws_credentials(env));
    creds = std::move(found);
  }
  SCCACHE_TRY(http, HttpClient::create(HttpOptions{timeouts.connect, timeouts.io}));
  auto storage = std::unique_ptr<S3Storage>(new S3Storage(config, std::move(target), std::move(creds), std::move(http)));
  if (!storage->credentials_) {
    spdlog::warn("{}: no AWS credentials found: reading anonymously, cache writes are skipped", storage->location());
  }
  return storage;
}

std::string S3Storage::location() const {
  return "S3, bucket: " + config_.bucket + ", endpoint: " + target_.scheme + "://" + target_.authority +
         (target_.key_prefix.empty() ? "" : ", prefix: " + target_.key_prefix);
}

std::string S3Storage::object_name(const std::string& key) const { return sharded_object_name(target_.key_prefix, key); }

Expected<HttpResponse> S3Storage::send(const std::string& method, const std::string& key, const std::string& body) {
  std::string path = target_.path_prefix + "/" + object_name(key);
  HttpRequest req;
  req.method = method;
  req.url = target_.scheme + "://" + target_.authority + aws::uri_encode(path, false);
  req.body = body;
  std::string payload_hash = body.empty() ? std::string(aws::kEmptyPayloadSha256) : sha256_hex(body);
  if (credentials_) {
    aws::SignInput in;
    in.method = method;
    in.path = path;
    in.headers = {{"host", target_.authority}};
    in.payload_sha256 = payload_hash;
    req.headers = aws::sign(in, *credentials_, config_.region, "s3", aws::format_amz_date(std::time(nullptr)));
  } else {
    req.headers = {{"x-amz-content-sha256", payload_hash}};
  }
  if (method == "PUT") req.headers.emplace_back("Content-Type", "application/octet-stream");
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto r = http_->perform(req);
    if (!r) {
      return unanswered(r.error(), method + " " + req.url);
    }
    if (!retryable(r->status) || attempt == kAttempts) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << (2 * (attempt - 1))));  // 100, 400 ms
  }
}

Expected<std::optional<std::string>> S3Storage::get(const std::string& key) {
  SCCACHE_TRY(r, send("GET", key, ""));
  if (r.status == 200) return std::optional<std::string>(std::move(r.body));
  if (r.status == 404) {
    std::string code = error_code(r.body);
    if (code == "NoSuchBucket") return no_such_bucket(config_.bucket);
    return std::optional<std::string>();
  }
  return storage_error(failure_of_status(r.status), "GET " + object_name(key) + ": " + describe(r));
}

Status S3Storage::put(const std::string& key, const std::string& bytes) {
  if (!credentials_) return storage_error(StorageFailure::item_rejected, "no credentials: read-only");
  SCCACHE_TRY(r, send("PUT", key, bytes));
  if (r.status == 200 || r.status == 201 || r.status == 204) return Ok{};
  if (r.status == 404 && error_code(r.body) == "NoSuchBucket") return no_such_bucket(config_.bucket);
  return storage_error(failure_of_status(r.status), "PUT " + object_name(key) + ": " + describe(r));
}

void S3Storage::remove(const std::string& key) {
  if (!credentials_) return;
  auto r = send("DELETE", key, "");
  if (!r) spdlog::debug("{}: delete failed: {}", location(), r.error().message);
}

namespace {
Expected<std::unique_ptr<Storage>> create_s3(const Config& config, const EnvMap& env, const RemoteTimeouts& t) {
  auto s3 = S3Storage::create(*config.remote.s3, env, t);
  if (!s3) return make_error("S3 cache (SCCACHE_BUCKET / [cache.s3]): " + s3.error().message);
  if (!(*s3)->has_credentials()) return std::unique_ptr<Storage>(std::make_unique<ReadOnlyStorage>(std::move(*s3)));
  return std::unique_ptr<Storage>(std::move(*s3));
}
}  // namespace

const StorageBackend kS3Backend{"S3", "s3", [](const RemoteCacheConfig& r) { return r.s3.has_value(); }, create_s3};

}  // namespace sccache
