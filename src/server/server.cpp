#include "server/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "protocol/peer_uid.hpp"
#include "server/warm_state.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {
constexpr auto kShutdownGrace = std::chrono::seconds(10);
// A request must arrive whole within this: a client dripping bytes cannot hold a thread.
constexpr int kRequestReadTimeoutMs = 30'000;
constexpr auto kFdBackoff = std::chrono::milliseconds(100);
// While requests come in, what the server learned is saved this often (and always at exit).
constexpr auto kWarmStateInterval = std::chrono::minutes(5);
constexpr const char* kAtFdLimit =
    "the server is at its open-file limit (too many connections or compiles at once); try again later";
}

Expected<std::unique_ptr<Server>> Server::bind(const Config& config, std::unique_ptr<Storage> storage) {
  LocalEndpoint endpoint{config.port, config.server_uds};
  SCCACHE_TRY(fd, listen_local(endpoint));
  auto work = make_temp_dir("sccache-server-");
  if (!work) {
    ::close(fd);
    remove_local(endpoint);
    return work.error();
  }
  return std::unique_ptr<Server>(new Server(config, std::move(storage), fd, std::move(endpoint), *work));
}

Server::Server(const Config& config, std::unique_ptr<Storage> storage, int listen_fd, LocalEndpoint endpoint,
               std::string work_dir)
    : config_(config),
      storage_(std::move(storage)),
      listen_fd_(listen_fd),
      endpoint_(std::move(endpoint)),
      work_dir_(std::move(work_dir)),
      compilers_(work_dir_, runner_),
      dist_(config.dist),
      service_(*storage_, compilers_, runner_, stats_, std::max(1U, std::thread::hardware_concurrency()),
               config.direct_mode, &dist_),
      last_activity_(std::chrono::steady_clock::now()) {
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (load_warm_state(warm_state_path(config_.disk.dir), warm_parts())) {
    spdlog::debug("loaded {}", warm_state_path(config_.disk.dir));
  }
  last_save_ = std::chrono::steady_clock::now();
}

WarmParts Server::warm_parts() {
  return WarmParts{service_.file_hashes(), compilers_.memo(), service_.plans()};
}

void Server::save_warm_state_if(bool at_exit) {
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (requests_since_save_ == 0 || (!at_exit && now - last_save_ < kWarmStateInterval)) return;
    requests_since_save_ = 0;
    last_save_ = now;
  }
  const std::string path = warm_state_path(config_.disk.dir);
  if (auto st = save_warm_state(path, warm_parts()); !st) {
    spdlog::debug("cannot save {}: {}", path, st.error().message);
  }
}

Server::~Server() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (spare_fd_ >= 0) ::close(spare_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
  remove_tree(work_dir_);
}

ServerInfo Server::info() const {
  ServerInfo i;
  i.stats = stats_.snapshot();
  i.cache_location = storage_->location();
  i.cache_size = storage_->current_size();
  i.max_cache_size = storage_->max_size();
  return i;
}

void Server::request_shutdown() {
  shutting_down_ = true;
  if (wake_pipe_[1] >= 0) {
    char c = 1;
    ssize_t ignored = ::write(wake_pipe_[1], &c, 1);
    (void)ignored;
  }
}

void Server::run() {
  spdlog::info("server listening on {}", endpoint_.describe());
  const auto idle = std::chrono::seconds(config_.idle_timeout_secs);
  while (!shutting_down_) {
    int timeout_ms = 1000;
    if (config_.idle_timeout_secs > 0) {
      std::lock_guard lock(mu_);
      auto now = std::chrono::steady_clock::now();
      if (busy_ == 0 && now - last_activity_ >= idle) {
        spdlog::info("no request for {} s: shutting down", config_.idle_timeout_secs);
        break;
      }
      auto left = busy_ == 0 ? idle - (now - last_activity_) : idle;
      auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
      timeout_ms = static_cast<int>(std::min<int64_t>(left_ms, 3600 * 1000));
    } else {
      timeout_ms = -1;
    }
    save_warm_state_if(false);
    const int save_check_ms = static_cast<int>(std::chrono::milliseconds(kWarmStateInterval).count());
    if (timeout_ms < 0 || timeout_ms > save_check_ms) timeout_ms = save_check_ms;
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int r = ::poll(fds, wake_pipe_[0] >= 0 ? 2 : 1, timeout_ms);
    if (r <= 0) continue;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) shed_connection();
      continue;
    }
    if (!endpoint_.is_unix()) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    std::thread([this, fd] { session(fd); }).detach();
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  remove_local(endpoint_);
  std::unique_lock lock(mu_);
  // Requests in progress finish (their replies and stores); a connection that sends nothing
  // (a probe, an idle client) does not hold the exit up.
  if (!idle_cv_.wait_for(lock, kShutdownGrace, [this] { return busy_ == 0; })) {
    spdlog::warn("shutting down with {} requests still in progress", busy_);
  }
  lock.unlock();
  save_warm_state_if(true);
  remove_tree(work_dir_);  // the process exits without running destructors
}

void Server::warn_fd_limit() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_fd_warning_ < kFdWarningInterval) return;
  last_fd_warning_ = now;
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  spdlog::warn("at the open-file limit ({} descriptors): refusing new connections until compiles finish",
               static_cast<unsigned long long>(lim.rlim_cur));
}

// At the open-file limit a pending connection cannot be accepted, so poll() would report it
// forever: give back the reserved descriptor, accept, tell the client why, close, and back off.
void Server::shed_connection() {
  warn_fd_limit();
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    spare_fd_ = -1;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      (void)write_frame(fd, encode_response(ErrorResponse{kAtFdLimit}));
      ::close(fd);
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  std::this_thread::sleep_for(kFdBackoff);
}

// Only the server's own user may use it: the uid behind the connection is asked of the
// kernel before any request is read.
bool Server::admit(int fd) {
  auto uid = socket_peer_uid(fd);
  const uid_t own = ::geteuid();
  if (uid && *uid == own) return true;
  std::string why;
  if (uid) {
    why = "this sccache server serves only uid " + std::to_string(own) +
          " (its own user); the connecting process runs as uid " + std::to_string(*uid);
    spdlog::warn("refusing a connection on {}: {}", endpoint_.describe(), why);
  } else if (uid.error().code == kPeerLookupNoDescriptor) {
    why = kAtFdLimit;  // no descriptor left even to ask who is connecting
    warn_fd_limit();
  } else {
    why = "cannot tell which user is connecting (" + uid.error().message + "); refusing";
    spdlog::warn("refusing a connection on {}: {}", endpoint_.describe(), why);
  }
  (void)write_frame(fd, encode_response(ErrorResponse{why}));
  return false;
}

Server::BusyMark::BusyMark(Server& s) : server(s) {
  std::lock_guard lock(server.mu_);
  ++server.busy_;
  ++server.requests_since_save_;
  server.last_activity_ = std::chrono::steady_clock::now();
}

Server::BusyMark::~BusyMark() {
  std::lock_guard lock(server.mu_);
  --server.busy_;
  server.last_activity_ = std::chrono::steady_clock::now();
  server.idle_cv_.notify_all();
}

void Server::session(int fd) {
  auto finish = [fd] { ::close(fd); };
  try {
    if (!admit(fd) || !write_frame(fd, greeting_payload())) return finish();
    while (true) {
      auto frame = read_frame(fd, kRequestReadTimeoutMs, config_.max_frame_length);
      if (!frame) {
        if (frame.error().message.rfind("connection closed", 0) != 0) {
          spdlog::warn("dropping a client connection: {}", frame.error().message);
          (void)write_frame(fd, encode_response(ErrorResponse{frame.error().message}));
        }
        break;
      }
      auto request = decode_request(*frame);
      if (!request) {
        (void)write_frame(fd, encode_response(ErrorResponse{request.error().message}));
        break;
      }
      BusyMark busy(*this);
      std::function<void()> after_reply;
      Response response = std::visit(
          [&](const auto& req) -> Response {
            using T = std::decay_t<decltype(req)>;
            if constexpr (std::is_same_v<T, ZeroStatsRequest>) {
              stats_.reset();
              return StatsResponse{info()};
            } else if constexpr (std::is_same_v<T, GetStatsRequest>) {
              return StatsResponse{info()};
            } else if constexpr (std::is_same_v<T, ShutdownRequest>) {
              request_shutdown();
              return ShuttingDownResponse{info()};
            } else if constexpr (std::is_same_v<T, DistStatusRequest>) {
              return DistStatusResponse{dist_.status_json()};
            } else {
              CompileOutcome outcome = service_.handle(req, fd);
              after_reply = std::move(outcome.after_reply);
              return std::move(outcome.response);
            }
          },
          *request);
      (void)write_frame(fd, encode_response(response));
      if (after_reply) {
        after_reply();
        after_reply = nullptr;  // frees the stored entry and the job
        // A miss leaves megabytes of free heap (its preprocessed text, object, entry) scattered
        // between live blocks; give those pages back, or the next misses' add up.
        ::malloc_trim(0);
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("session failed: {}", e.what());
  }
  finish();
}

}  // namespace sccache
