#pragma once
// A remote backend behind a circuit breaker: a slow or dead backend costs misses, never a failed
// or hung build. After a failure the backend is marked down and skipped (operations fail fast,
// still reported as errors so that the stats count them) for a back-off window that starts at
// 1 s and doubles per failed probe up to 10 s; the first operation after the window probes it,
// and a success clears the state. Failures are logged once per burst, with the reason, and the
// recovery is logged too, so a log is not flooded by one outage.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "cache/storage.hpp"

namespace sccache {

struct BreakerBackoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{10000};
};

class GuardedStorage final : public Storage {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Backoff = BreakerBackoff;

  explicit GuardedStorage(std::unique_ptr<Storage> inner, Backoff backoff = {}, Clock clock = {});

  Expected<std::optional<std::string>> get(const std::string& key) override;
  Status put(const std::string& key, const std::string& bytes) override;
  void remove(const std::string& key) override;
  [[nodiscard]] std::string location() const override { return inner_->location(); }
  [[nodiscard]] std::optional<uint64_t> current_size() const override;
  [[nodiscard]] std::optional<uint64_t> max_size() const override;
  [[nodiscard]] bool read_only() const override { return inner_->read_only(); }

  // True while the backend is marked down (for tests and stats).
  [[nodiscard]] bool is_down() const;

 private:
  // Null when the backend may be used now; otherwise the error to return without trying.
  std::optional<Error> refuse();
  void record(bool ok, const Error* error);

  std::unique_ptr<Storage> inner_;
  Backoff backoff_;
  Clock clock_;
  mutable std::mutex mu_;
  // All guarded by mu_:
  bool down_ = false;
  bool probing_ = false;                                // one probe at a time after the window
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds window_{0};
  uint64_t failures_in_burst_ = 0;
  std::string last_reason_;
};

}  // namespace sccache
