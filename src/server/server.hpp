#pragma once
// The background server: a loopback listener, one thread per connection, an idle timer, and
// an orderly shutdown that waits (bounded) for live connections.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "cache/storage.hpp"
#include "config/config.hpp"
#include "protocol/local_endpoint.hpp"
#include "server/compile_service.hpp"
#include "server/compiler_cache.hpp"
#include "server/stats_collector.hpp"
#include "server/warm_state.hpp"
#include "util/process.hpp"

namespace sccache {

class Server {
 public:
  // Listens on 127.0.0.1:port or SCCACHE_SERVER_UDS. Error = taken or cannot be bound.
  static Expected<std::unique_ptr<Server>> bind(const Config& config, std::unique_ptr<Storage> storage);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const { return endpoint_.is_unix() ? 0 : endpoint_.port; }
  // Serves until idle timeout or a Shutdown request; returns once connections are done.
  void run();

 private:
  // Marks one request (and its after-reply work) as in progress for the idle timer.
  struct BusyMark {
    explicit BusyMark(Server& s);
    ~BusyMark();
    BusyMark(const BusyMark&) = delete;
    BusyMark& operator=(const BusyMark&) = delete;
    Server& server;
  };
  Server(const Config& config, std::unique_ptr<Storage> storage, int listen_fd, LocalEndpoint endpoint,
         std::string work_dir);
  void session(int fd);
  bool admit(int fd);
  void shed_connection();
  void warn_fd_limit();
  ServerInfo info() const;
  void request_shutdown();
  WarmParts warm_parts();
  // Saves server/warm_state when requests came since the last save: at exit, or when the
  // interval has passed.
  void save_warm_state_if(bool at_exit);

  Config config_;
  std::unique_ptr<Storage> storage_;
  int listen_fd_;
  int wake_pipe_[2] = {-1, -1};
  LocalEndpoint endpoint_;
  int spare_fd_ = -1;  // reserved for shedding connections at the open-file limit
  static constexpr auto kFdWarningInterval = std::chrono::seconds(10);
  std::chrono::steady_clock::time_point last_fd_warning_{};  // guarded by mu_
  std::string work_dir_;
  SystemProcessRunner runner_;
  StatsCollector stats_;
  CompilerCache compilers_;
  DistState dist_;
  CompileService service_;

  std::mutex mu_;
  std::condition_variable idle_cv_;
  // The idle timer counts requests, not connections: a port probe or an open idle connection
  // does not keep the server alive. `busy_`: requests being handled (with their after-reply
  // work); `last_activity_`: when the last one started or ended. Both guarded by mu_.
  int busy_ = 0;
  std::chrono::steady_clock::time_point last_activity_;
  uint64_t requests_since_save_ = 0;                  // guarded by mu_
  std::chrono::steady_clock::time_point last_save_;  // guarded by mu_
  std::atomic<bool> shutting_down_{false};
};

}  // namespace sccache
