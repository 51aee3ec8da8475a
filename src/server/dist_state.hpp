#pragma once
// The sccache server's connection to a sccache-dist scheduler (SPEC 7.11, 3.4).
//
// No `dist.scheduler_url`: disabled. Otherwise the client is created on the first compile that
// wants it (or `--dist-status`) and the scheduler's status is fetched; if that fails, compiles run
// locally and creation is retried after kRetryDelay. A fatal reply during a compile (a 4xx from the
// scheduler, e.g. a wrong token) resets the state so that the next compile tries again at once.
// Thread-safe.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "distributed/client/client_toolchains.hpp"
#include "distributed/client/dist_client.hpp"

namespace sccache {

class DistState {
 public:
  static constexpr std::chrono::seconds kRetryDelay{30};

  explicit DistState(const DistConfig& config);
  [[nodiscard]] bool enabled() const { return config_.scheduler_url.has_value(); }
  // The client, or null while not connected (the reason is logged once per attempt).
  std::shared_ptr<dist::DistClient> client();
  // After a fatal error: drop the client; the next call to client() creates a new one.
  void reset(const std::string& why);
  dist::ClientToolchains& toolchains() { return toolchains_; }
  // `--dist-status`: {"Disabled":"disabled"} | {"NotConnected":[url,msg]} | {"SchedulerStatus":[url,{...}]}.
  std::string status_json();

 private:
  DistConfig config_;
  dist::ClientToolchains toolchains_;
  std::mutex mu_;
  std::shared_ptr<dist::DistClient> client_;                       // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> retry_at_;  // guarded by mu_
  std::string last_error_;                                         // guarded by mu_
};

// `<dist.cache_dir>` or `$XDG_CACHE_HOME/sccache-dist-client` (`~/.cache/...`).
std::string dist_cache_dir(const DistConfig& config);

}  // namespace sccache
