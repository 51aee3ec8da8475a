#pragma once
// Thread-safe owner of the server's statistics.
#include <functional>
#include <mutex>

#include "protocol/stats.hpp"

namespace sccache {

class StatsCollector {
 public:
  void update(const std::function<void(ServerStats&)>& fn) {
    std::lock_guard lock(mu_);
    fn(stats_);
  }
  ServerStats snapshot() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  void reset() {
    std::lock_guard lock(mu_);
    stats_ = ServerStats{};
  }

 private:
  mutable std::mutex mu_;
  ServerStats stats_;  // guarded by mu_
};

}  // namespace sccache
