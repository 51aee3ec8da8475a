#include "distributed/build_server/build_server_core.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "distributed/common/auth.hpp"

namespace sccache::dist {

BuildServerCore::TokenCheck BuildServerCore::check_token(const std::string& authorization,
                                                         std::optional<uint64_t> path_job_id) const {
  TokenCheck out;
  out.code = "invalid_jwt";
  if (authorization.rfind("Bearer ", 0) != 0) {
    out.code = "no_bearer_auth";
    out.why = "no bearer token";
  } else if (auto claims = jwt_hs256_verify(authorization.substr(7), jwt_key_); !claims) {
    out.why = claims.error().message;
  } else if (!path_job_id || !(*claims)["job_id"].is_number_unsigned() ||
             (*claims)["job_id"].get<uint64_t>() != *path_job_id) {
    out.why = "the token is for another job";
  } else {
    out.job_id = path_job_id;
    out.code.clear();
  }
  return out;
}

void BuildServerCore::assign(uint64_t job_id, std::string archive_id, bool need_toolchain) {
  std::lock_guard lock(mu_);
  jobs_[job_id] = Job{std::move(archive_id), need_toolchain ? JobState::pending : JobState::ready};
}

std::optional<std::string> BuildServerCore::archive_of(uint64_t job_id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.archive_id;
}

void BuildServerCore::advance(uint64_t job_id, JobState target) {
  std::vector<JobState> steps;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return;
    for (auto s = it->second.state; s < target;) {
      s = static_cast<JobState>(static_cast<int>(s) + 1);
      steps.push_back(s);
    }
    it->second.state = std::max(it->second.state, target);
  }
  for (auto s : steps) report_(job_id, s);
}

void BuildServerCore::finish(uint64_t job_id) {
  advance(job_id, JobState::complete);
  std::lock_guard lock(mu_);
  jobs_.erase(job_id);
}

}  // namespace sccache::dist
