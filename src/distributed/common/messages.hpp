#pragma once
// Values that travel between the sccache-dist roles (docs/distributed.md) and that more than one
// role names: the job states the build servers report to the scheduler, and the scheduler's status.
// One definition here, shared by the client, the scheduler and the build server.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/expected.hpp"

namespace sccache::dist {

// Wire values (bincode variant index) are the enumerator order: Pending=0 … Complete=3.
enum class JobState { pending, ready, started, complete };

std::string_view job_state_name(JobState state);                 // "pending", "ready", "started", "complete"
std::optional<JobState> parse_job_state(std::string_view name);  // inverse of job_state_name

// GET /api/v1/scheduler/status.
struct SchedulerStatus {
  uint64_t num_servers = 0;  // live servers
  uint64_t num_cpus = 0;     // summed over them
  uint64_t in_progress = 0;  // jobs they hold (allocated and not complete)
};

// The status body, one codec for both ends: {"in_progress":…,"num_cpus":…,"num_servers":…}.
std::string encode_scheduler_status(const SchedulerStatus& status);
// Errors: "reply is not JSON: <body>" or "unexpected reply <body>" (body cut at 200 bytes) unless
// the body is an object with unsigned num_servers and num_cpus. in_progress is optional (0).
Expected<SchedulerStatus> decode_scheduler_status(std::string_view body);

}  // namespace sccache::dist
