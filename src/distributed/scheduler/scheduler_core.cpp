#include "distributed/scheduler/scheduler_core.hpp"

#include <array>
#include <vector>

namespace sccache::dist {

namespace {

// a/b < c/d for b, d > 0, exactly and without overflow (compares the continued fractions).
bool ratio_less(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  for (;;) {
    uint64_t qa = a / b;
    uint64_t qc = c / d;
    if (qa != qc) return qa < qc;
    uint64_t ra = a % b;
    uint64_t rc = c % d;
    if (rc == 0) return false;  // a/b >= q == c/d
    if (ra == 0) return true;   // a/b == q < c/d
    // ra/b < rc/d  <=>  d/rc < b/ra
    uint64_t old_b = b;
    a = d;
    b = rc;
    c = old_b;
    d = ra;
  }
}

std::string transition_error(uint64_t job_id, JobState from, JobState to) {
  return "Invalid state transition for job " + std::to_string(job_id) + ": " + std::string(job_state_name(from)) +
         " -> " + std::string(job_state_name(to));
}

}  // namespace

SchedulerCore::SchedulerCore(SchedulerOptions options) : options_(options) {}

bool SchedulerCore::is_dead(const Server& server, TimePoint now) const {
  return now - server.last_seen > options_.heartbeat_timeout;
}

bool SchedulerCore::eligible(const Server& server) const {
  // jobs / cpus < max  <=>  floor(jobs / cpus) < max, as max is an integer.
  return server.jobs.size() / server.num_cpus < options_.max_jobs_per_cpu;
}

void SchedulerCore::prune(TimePoint now) {
  // Jobs a client abandoned (it never uploaded the toolchain, or never ran the job) give their
  // slot back. Started jobs are never timed out: a compile may take long.
  std::vector<uint64_t> abandoned;
  for (const auto& [id, job] : jobs_) {
    auto idle = now - job.since;
    if ((job.state == JobState::pending && idle > options_.unclaimed_pending_timeout) ||
        (job.state == JobState::ready && idle > options_.unclaimed_ready_timeout)) {
      abandoned.push_back(id);
    }
  }
  for (uint64_t id : abandoned) drop_job(id);
  for (auto it = servers_.begin(); it != servers_.end();) {
    if (!is_dead(it->second, now)) {
      ++it;
      continue;
    }
    for (uint64_t job_id : it->second.jobs) jobs_.erase(job_id);
    it = servers_.erase(it);
  }
}

void SchedulerCore::drop_job(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  auto server = servers_.find(it->second.server_id);
  if (server != servers_.end()) server->second.jobs.erase(job_id);
  jobs_.erase(it);
}

void SchedulerCore::finish_job(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  finished_.push_back(Finished{job_id, it->second.server_id});
  while (finished_.size() > options_.finished_ring) finished_.pop_front();
  drop_job(job_id);
}

const SchedulerCore::Finished* SchedulerCore::find_finished(uint64_t job_id) const {
  for (const auto& f : finished_) {
    if (f.job_id == job_id) return &f;
  }
  return nullptr;
}

Expected<bool> SchedulerCore::heartbeat(const ServerHeartbeat& hb, TimePoint now) {
  if (hb.server_id.empty()) return make_error("Heartbeat without a server id");
  if (hb.num_cpus == 0) return make_error("Invalid number of CPUs (0) specified in heartbeat");
  std::lock_guard lock(mu_);
  prune(now);  // a server back after being dead counts as new, whether or not an allocation pruned it
  certificates_[hb.server_id] = {hb.cert_digest, hb.cert_pem};
  auto it = servers_.find(hb.server_id);
  if (it != servers_.end() && it->second.nonce == hb.server_nonce) {
    Server& server = it->second;
    server.last_seen = now;
    server.num_cpus = hb.num_cpus;
    server.jwt_key = hb.jwt_key;
    return false;
  }
  if (it != servers_.end()) {  // restarted: whatever it was running is gone
    for (uint64_t job_id : it->second.jobs) jobs_.erase(job_id);
  }
  Server fresh;
  fresh.num_cpus = hb.num_cpus;
  fresh.nonce = hb.server_nonce;
  fresh.jwt_key = hb.jwt_key;
  fresh.last_seen = now;
  servers_[hb.server_id] = std::move(fresh);
  return true;
}

Expected<Allocation> SchedulerCore::allocate(TimePoint now) {
  std::lock_guard lock(mu_);
  prune(now);
  auto best = servers_.end();
  auto best_errored = servers_.end();
  for (auto it = servers_.begin(); it != servers_.end(); ++it) {
    Server& server = it->second;
    if (server.last_error && now - *server.last_error > options_.error_memory) server.last_error.reset();
    if (!eligible(server)) continue;
    if (server.last_error) {
      if (best_errored == servers_.end() || *server.last_error < *best_errored->second.last_error) best_errored = it;
      continue;
    }
    if (best == servers_.end() ||
        ratio_less(server.jobs.size(), server.num_cpus, best->second.jobs.size(), best->second.num_cpus)) {
      best = it;
      if (server.jobs.empty()) break;  // nothing beats an idle server
    }
  }
  if (best == servers_.end()) best = best_errored;
  if (best == servers_.end()) {
    return make_error("Insufficient capacity across " + std::to_string(servers_.size()) + " available servers");
  }
  uint64_t job_id = next_job_id_++;
  best->second.jobs.insert(job_id);
  jobs_[job_id] = Job{best->first, JobState::pending, false, now};
  auto cert = certificates_.find(best->first);  // always there: set by every heartbeat
  return Allocation{job_id, best->first, best->second.jwt_key, cert == certificates_.end() ? "" : cert->second.first};
}

void SchedulerCore::assign_failed(uint64_t job_id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  auto server = servers_.find(it->second.server_id);
  if (server != servers_.end()) server->second.last_error = now;
  drop_job(job_id);
}

Status SchedulerCore::assign_succeeded(uint64_t job_id, JobState state) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return make_error("Unknown job " + std::to_string(job_id) + " (its server was pruned or re-registered)");
  }
  Job& job = it->second;
  if (job.accepted) return make_error("Job " + std::to_string(job_id) + " was already accepted by its server");
  if (state != JobState::pending && state != JobState::ready) {
    return make_error("Job " + std::to_string(job_id) + " cannot start in state " + std::string(job_state_name(state)));
  }
  job.accepted = true;
  job.state = state;
  return Ok{};
}

Status SchedulerCore::update_job(const std::string& server_id, uint64_t job_id, JobState next, TimePoint now) {
  std::lock_guard lock(mu_);
  prune(now);
  auto server = servers_.find(server_id);
  if (server != servers_.end()) server->second.last_seen = now;  // it is talking to us, so it is alive

  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    const Finished* done = find_finished(job_id);
    if (done == nullptr) return make_error("Unknown job " + std::to_string(job_id));
    if (done->server_id != server_id) {
      return make_error("Job " + std::to_string(job_id) + " is not registered on server " + server_id);
    }
    if (next == JobState::complete) return Ok{};  // a repeated report of the same outcome
    return make_error(transition_error(job_id, JobState::complete, next));
  }
  Job& job = it->second;
  if (job.server_id != server_id) {
    return make_error("Job " + std::to_string(job_id) + " is not registered on server " + server_id);
  }
  if (!job.accepted) return make_error("Job " + std::to_string(job_id) + " has not been accepted by its server yet");
  bool legal = (job.state == JobState::pending && next == JobState::ready) ||
               (job.state == JobState::ready && next == JobState::started) ||
               (job.state == JobState::started && next == JobState::complete);
  if (!legal) return make_error(transition_error(job_id, job.state, next));
  if (next == JobState::complete) {
    finish_job(job_id);
  } else {
    job.state = next;
    job.since = now;
  }
  return Ok{};
}

SchedulerStatus SchedulerCore::status(TimePoint now) const {
  std::lock_guard lock(mu_);
  SchedulerStatus st;
  for (const auto& [id, server] : servers_) {
    if (is_dead(server, now)) continue;
    ++st.num_servers;
    st.num_cpus += server.num_cpus;
    st.in_progress += server.jobs.size();
  }
  return st;
}

std::optional<std::pair<std::string, std::string>> SchedulerCore::certificate(const std::string& server_id) const {
  std::lock_guard lock(mu_);
  auto it = certificates_.find(server_id);
  if (it == certificates_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> SchedulerCore::jwt_key(const std::string& server_id) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(server_id);
  if (it == servers_.end()) return std::nullopt;
  return it->second.jwt_key;
}

bool SchedulerCore::is_registered(const std::string& server_id, TimePoint now) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(server_id);
  return it != servers_.end() && !is_dead(it->second, now);
}

}  // namespace sccache::dist
