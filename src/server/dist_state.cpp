#include "server/dist_state.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

std::string dist_cache_dir(const DistConfig& config) {
  if (config.cache_dir && !config.cache_dir->empty()) return *config.cache_dir;
  const char* xdg = std::getenv("XDG_CACHE_HOME");  // NOLINT(concurrency-mt-unsafe): read before threads
  std::string base = xdg != nullptr && *xdg != '\0' ? std::string(xdg) : join_path(home_dir(), ".cache");
  return join_path(base, "sccache-dist-client");
}

DistState::DistState(const DistConfig& config)
    : config_(config),
      toolchains_(join_path(dist_cache_dir(config), "client"), config.toolchain_cache_size, config.toolchains) {}

std::shared_ptr<dist::DistClient> DistState::client() {
  if (!enabled()) return nullptr;
  std::lock_guard lock(mu_);
  if (client_) return client_;
  auto now = std::chrono::steady_clock::now();
  if (retry_at_ && now < *retry_at_) return nullptr;
  if (config_.auth_type != "token") {
    last_error_ = "enabled, auth not configured";
    retry_at_ = now + kRetryDelay;
    spdlog::warn("dist: auth type `{}` is not supported by this client; compiling locally", config_.auth_type);
    return nullptr;
  }
  auto made = dist::DistClient::create(*config_.scheduler_url, config_.auth_token);
  if (!made) {
    last_error_ = "enabled, not connected, will retry";
    retry_at_ = now + kRetryDelay;
    spdlog::warn("dist: {}", made.error().message);
    return nullptr;
  }
  auto status = (*made)->status();
  if (!status) {
    last_error_ = "enabled, not connected, will retry";
    retry_at_ = now + kRetryDelay;
    spdlog::warn("dist: cannot reach the scheduler at {}: {}; compiling locally, retrying in {} s",
                 *config_.scheduler_url, status.error().message, kRetryDelay.count());
    return nullptr;
  }
  spdlog::info("dist: connected to {} ({} servers, {} cpus)", (*made)->scheduler_url(), status->num_servers,
               status->num_cpus);
  retry_at_.reset();
  client_ = std::move(*made);
  return client_;
}

void DistState::reset(const std::string& why) {
  std::lock_guard lock(mu_);
  spdlog::warn("dist: {}; reconnecting on the next compile", why);
  client_.reset();
  retry_at_.reset();
}

std::string DistState::status_json() {
  using nlohmann::json;
  if (!enabled()) return json{{"Disabled", "disabled"}}.dump();
  auto c = client();
  if (!c) {
    std::lock_guard lock(mu_);
    std::string url = *config_.scheduler_url;
    if (url.empty() || url.back() != '/') url.push_back('/');
    return json{{"NotConnected", json::array({url, last_error_})}}.dump();
  }
  auto status = c->status();
  if (!status) {
    return json{{"NotConnected", json::array({c->scheduler_url(), "could not communicate with scheduler"})}}.dump();
  }
  return json{
      {"SchedulerStatus",
       json::array({c->scheduler_url(), {{"num_servers", status->num_servers}, {"num_cpus", status->num_cpus}}})}}
      .dump();
}

}  // namespace sccache
