#pragma once
// The sccache-dist scheduler's bookkeeping (SPEC 7.3, 7.4) without sockets: which build servers
// are alive (heartbeats), which jobs each one holds, the choice of a server for a new job, and the
// job state machine the servers report through. Time is a parameter, so tests drive it; the HTTP
// layer calls in, does the network work (assign_job, signing job tokens) outside, and reports back.
//
// Liveness is evaluated lazily: every call that takes `now` and changes state first prunes the
// servers not heard from for more than `heartbeat_timeout` (with their jobs), and the queries that
// take `now` ignore such servers. An error is forgotten once it is more than `error_memory` old.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "distributed/common/messages.hpp"  // JobState, SchedulerStatus
#include "util/expected.hpp"

namespace sccache::dist {

using TimePoint = std::chrono::steady_clock::time_point;

struct SchedulerOptions {
  std::chrono::seconds heartbeat_timeout{60};  // no heartbeat for longer than this = server dead, pruned
  std::chrono::seconds error_memory{300};      // a server's last error counts against it this long
  uint64_t max_jobs_per_cpu = 10;              // load = jobs/cpus must stay < this to be eligible
  size_t finished_ring = 1024;                 // completed jobs remembered (for idempotent reports)
  // A job whose client never uploads the toolchain (pending) or never runs it (ready) frees its
  // slot after this long in that state; started jobs never time out.
  std::chrono::seconds unclaimed_pending_timeout{300};
  std::chrono::seconds unclaimed_ready_timeout{60};
};

struct ServerHeartbeat {
  std::string server_id;      // "ip:port" (the server's public_addr); opaque here, must not be empty
  uint64_t num_cpus = 0;      // must be > 0
  uint64_t server_nonce = 0;  // random per server process start; a new nonce re-registers
  std::string jwt_key;        // the server's key for job tokens (opaque bytes)
  std::string cert_digest;    // digest of cert_pem (opaque here)
  std::string cert_pem;
};

struct Allocation {
  uint64_t job_id = 0;
  std::string server_id;
  std::string jwt_key;      // sign the job token with this
  std::string cert_digest;  // sent to the client, which fetches the certificate if it lacks it
};

class SchedulerCore {
 public:
  explicit SchedulerCore(SchedulerOptions options = {});

  // Registers or refreshes a server. Returns is_new: first sight (or seen again after it was
  // pruned as dead), or a new nonce, in which case its old jobs are dropped and its error cleared.
  // A refresh updates the cpu count, keys and certificate. Refused: num_cpus 0, empty server_id.
  Expected<bool> heartbeat(const ServerHeartbeat& hb, TimePoint now);

  // Prunes dead servers (and their jobs), then picks a server among those with load < max_jobs_per_cpu:
  // of the servers without a remembered error, the least loaded (ties: lowest server_id); if there is
  // none, the errored server whose last error is oldest. Creates the next job id (a global counter
  // from 0, never reused) in state pending, holding a slot on that server until it completes or is
  // dropped. Error when no server is eligible: "Insufficient capacity across N available servers".
  Expected<Allocation> allocate(TimePoint now);

  // The synchronous assign_job call to the server failed: the server's last error becomes `now`,
  // the job is dropped. A job already gone (server pruned or re-registered) is ignored.
  void assign_failed(uint64_t job_id, TimePoint now);

  // The server accepted the job: it starts in `state`, pending (needs the toolchain) or ready.
  // Errors: unknown job (dropped meanwhile), already accepted, or another state.
  Status assign_succeeded(uint64_t job_id, JobState state);

  // A server reports a job state. Only the server the job was given to may report it, and only after
  // assign_succeeded; legal transitions: pending->ready, ready->started, started->complete (the job
  // moves to the finished ring and frees its slot). Repeating `complete` for a job in the ring is
  // accepted (idempotent). Anything else is an error naming the job and both states. Prunes dead
  // servers first; a report counts as a sign of life of its server.
  Status update_job(const std::string& server_id, uint64_t job_id, JobState next, TimePoint now);

  [[nodiscard]] SchedulerStatus status(TimePoint now) const;  // live servers only

  // (cert_digest, cert_pem) from the latest heartbeat of the server; kept after it is pruned, as a
  // client may still fetch it for a job allocated just before.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> certificate(const std::string& server_id) const;
  // The job-token key of a registered server (live or not yet pruned).
  [[nodiscard]] std::optional<std::string> jwt_key(const std::string& server_id) const;
  // Registered and not dead at `now`.
  [[nodiscard]] bool is_registered(const std::string& server_id, TimePoint now) const;

 private:
  struct Server {
    uint64_t num_cpus = 0;
    uint64_t nonce = 0;
    std::string jwt_key;
    TimePoint last_seen{};
    std::optional<TimePoint> last_error;
    std::set<uint64_t> jobs;  // ids holding a slot on this server
  };
  struct Job {
    std::string server_id;
    JobState state = JobState::pending;
    bool accepted = false;  // assign_succeeded seen
    TimePoint since{};      // allocation or last state change
  };
  struct Finished {
    uint64_t job_id = 0;
    std::string server_id;
  };

  [[nodiscard]] bool is_dead(const Server& server, TimePoint now) const;
  void prune(TimePoint now);
  void drop_job(uint64_t job_id);
  void finish_job(uint64_t job_id);
  [[nodiscard]] const Finished* find_finished(uint64_t job_id) const;
  [[nodiscard]] bool eligible(const Server& server) const;

  SchedulerOptions options_;
  mutable std::mutex mu_;
  // All guarded by mu_:
  uint64_t next_job_id_ = 0;
  std::map<std::string, Server> servers_;
  std::map<uint64_t, Job> jobs_;
  std::deque<Finished> finished_;  // oldest first, at most options_.finished_ring
  std::map<std::string, std::pair<std::string, std::string>> certificates_;  // id -> (digest, pem)
};

}  // namespace sccache::dist
