#pragma once
// The client side of sccache-dist's wire format (docs/distributed.md): alloc_job and the server
// certificates at the scheduler, submit_toolchain and run_job at the build servers. Used by the
// sccache server process for cache misses (server/dist_state) and by tests. HTTP is libcurl
// (net/http.hpp, loaded on first use); each build server's self-signed certificate is fetched
// from the scheduler, checked against the digest the allocation names, and is the only trust
// root for connections to that server.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "distributed/common/messages.hpp"  // SchedulerStatus, JobAlloc and the scheduler bodies
#include "distributed/common/run_job_codec.hpp"
#include "net/http.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

// Error::code values. kFatal = a 4xx reply from the scheduler to alloc_job or to the certificate
// fetch (e.g. a wrong client token): SPEC 7.2 makes that compile fail instead of falling back.
inline constexpr int kDistFatal = 401;

class DistClient {
 public:
  // `scheduler_url` as configured ("http://host:port" with or without a trailing '/').
  static Expected<std::unique_ptr<DistClient>> create(const std::string& scheduler_url, std::string token);

  // The URL in the form `--dist-status` prints: "http://host:port/".
  [[nodiscard]] const std::string& scheduler_url() const { return base_; }

  Expected<SchedulerStatus> status();
  // A `Fail` reply (no capacity) is an ordinary error; a 4xx is an error with code kDistFatal.
  Expected<JobAlloc> alloc_job(const std::string& archive_id);
  // Anything but `Success` (JobNotFound, CannotCache: digest mismatch, too large) is an error.
  Status submit_toolchain(const JobAlloc& job, const std::string& archive);
  // The compile's own failure is a result (code != 0); transport and server errors are errors.
  Expected<JobResult> run_job(const JobAlloc& job, const CompileCommand& command,
                              const std::vector<std::string>& outputs, const std::vector<JobInput>& inputs);

 private:
  DistClient(std::unique_ptr<HttpClient> sched, std::unique_ptr<HttpClient> http, std::string base, std::string token)
      : sched_(std::move(sched)), http_(std::move(http)), base_(std::move(base)), token_(std::move(token)) {}
  Expected<std::string> cert_for(const JobAlloc& job);
  Expected<HttpResponse> to_server(const JobAlloc& job, const std::string& what, std::string body);

  std::unique_ptr<HttpClient> sched_;  // the scheduler: answers at once (30 s stall bound)
  std::unique_ptr<HttpClient> http_;   // build servers: a compile may run minutes (600 s)
  std::string base_;
  std::string token_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> certs_;  // server id -> (digest, pem); guarded by mu_
};

}  // namespace sccache::dist
