#pragma once
// The build server's job bookkeeping without sockets (docs/distributed.md): the jobs the scheduler
// assigned here, with the toolchain each one needs and the state last reported to the scheduler;
// the check of a job token; and the state steps to report. The HTTP front
// (apps/sccache-dist/server_main.cpp) calls in and does the network work; reports to the scheduler
// go through the `Reporter` it passes, called outside the lock.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "distributed/common/messages.hpp"

namespace sccache::dist {

class BuildServerCore {
 public:
  using Reporter = std::function<void(uint64_t job_id, JobState state)>;

  // `jwt_key`: this server's key for job tokens (published in its heartbeats).
  BuildServerCore(std::string jwt_key, Reporter report) : jwt_key_(std::move(jwt_key)), report_(std::move(report)) {}

  struct TokenCheck {
    std::optional<uint64_t> job_id;  // set when the token is valid for the job of the path
    std::string code;                // else the refusal: "no_bearer_auth" or "invalid_jwt"
    std::string why;
  };
  // Job tokens are HS256 JWTs {"job_id": N} signed with this server's key: valid only for that
  // job on this server. `authorization` is the header's value, `path_job_id` the id of the URL.
  [[nodiscard]] TokenCheck check_token(const std::string& authorization, std::optional<uint64_t> path_job_id) const;

  // assign_job: the job needs toolchain `archive_id`; it starts pending (the toolchain must be
  // uploaded) or ready. Nothing is reported: the scheduler learns the state from the reply.
  void assign(uint64_t job_id, std::string archive_id, bool need_toolchain);
  // The toolchain of a job assigned here and not finished.
  [[nodiscard]] std::optional<std::string> archive_of(uint64_t job_id) const;
  // Reports the states between the job's current one and `target` (the scheduler accepts only
  // pending -> ready -> started -> complete, one step at a time). An unknown job is ignored.
  void advance(uint64_t job_id, JobState target);
  // The job is over (ran, or cannot run): complete it at the scheduler and forget it.
  void finish(uint64_t job_id);

 private:
  struct Job {
    std::string archive_id;
    JobState state;  // as last reported to the scheduler
  };

  std::string jwt_key_;
  Reporter report_;
  mutable std::mutex mu_;
  std::map<uint64_t, Job> jobs_;  // guarded by mu_
};

}  // namespace sccache::dist
