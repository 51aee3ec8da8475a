// The sccache-dist scheduler's role logic (SPEC 7.3, 7.4) with an explicit clock: registration and
// re-registration, server choice (load, per-cpu cap, remembered errors, dead servers), the job state
// machine and the status counts.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "distributed/scheduler/scheduler_core.hpp"

namespace sccache::dist {
namespace {

using std::chrono::seconds;

constexpr const char* kA = "10.0.0.1:10501";
constexpr const char* kB = "10.0.0.2:10501";
constexpr const char* kC = "10.0.0.3:10501";

ServerHeartbeat hb(const std::string& id, uint64_t cpus = 1, uint64_t nonce = 1) {
  ServerHeartbeat h;
  h.server_id = id;
  h.num_cpus = cpus;
  h.server_nonce = nonce;
  h.jwt_key = "key-" + id + "-" + std::to_string(nonce);
  h.cert_digest = "digest-" + id;
  h.cert_pem = "pem-" + id;
  return h;
}

class SchedulerCoreTest : public ::testing::Test {
 protected:
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  SchedulerCore core;

  void advance(seconds s) { now += s; }

  bool register_server(const std::string& id, uint64_t cpus = 1, uint64_t nonce = 1) {
    auto r = core.heartbeat(hb(id, cpus, nonce), now);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r && *r;
  }

  // allocate + assign_succeeded(pending); returns the allocation.
  Allocation alloc(JobState initial = JobState::pending) {
    auto a = core.allocate(now);
    EXPECT_TRUE(a.has_value()) << (a ? "" : a.error().message);
    if (!a) return {};
    EXPECT_TRUE(core.assign_succeeded(a->job_id, initial).has_value());
    return *a;
  }

  std::string alloc_server() { return alloc().server_id; }

  void complete(const Allocation& a) {
    auto state = JobState::pending;
    for (auto next : {JobState::ready, JobState::started, JobState::complete}) {
      auto st = core.update_job(a.server_id, a.job_id, next, now);
      ASSERT_TRUE(st.has_value()) << st.error().message << " (from " << job_state_name(state) << ")";
      state = next;
    }
  }

  std::string alloc_error() {
    auto a = core.allocate(now);
    EXPECT_FALSE(a.has_value());
    return a ? std::string("(allocated ") + a->server_id + ")" : a.error().message;
  }
};

TEST(JobStateTest, NamesRoundTrip) {
  EXPECT_EQ(job_state_name(JobState::pending), "pending");
  EXPECT_EQ(job_state_name(JobState::ready), "ready");
  EXPECT_EQ(job_state_name(JobState::started), "started");
  EXPECT_EQ(job_state_name(JobState::complete), "complete");
  for (auto s : {JobState::pending, JobState::ready, JobState::started, JobState::complete}) {
    EXPECT_EQ(parse_job_state(job_state_name(s)), s);
  }
  EXPECT_EQ(parse_job_state("Complete"), std::nullopt);
  EXPECT_EQ(parse_job_state(""), std::nullopt);
  EXPECT_EQ(static_cast<int>(JobState::complete), 3);  // bincode variant index
}

// ---- registration ---------------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, FirstHeartbeatIsNewThenRefresh) {
  EXPECT_FALSE(core.is_registered(kA, now));
  EXPECT_EQ(core.jwt_key(kA), std::nullopt);
  EXPECT_EQ(core.certificate(kA), std::nullopt);

  EXPECT_TRUE(register_server(kA, 4));
  EXPECT_TRUE(core.is_registered(kA, now));
  EXPECT_EQ(core.jwt_key(kA), "key-10.0.0.1:10501-1");
  auto cert = core.certificate(kA);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->first, "digest-10.0.0.1:10501");
  EXPECT_EQ(cert->second, "pem-10.0.0.1:10501");

  advance(seconds(30));
  EXPECT_FALSE(register_server(kA, 4));
  EXPECT_FALSE(core.is_registered(kB, now));
}

TEST_F(SchedulerCoreTest, RefreshUpdatesCpusKeyAndCertificate) {
  register_server(kA, 1);
  auto h = hb(kA, 8, 1);
  h.jwt_key = "rotated";
  h.cert_digest = "d2";
  h.cert_pem = "p2";
  auto r = core.heartbeat(h, now);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(core.status(now).num_cpus, 8u);
  EXPECT_EQ(core.jwt_key(kA), "rotated");
  EXPECT_EQ(core.certificate(kA), std::make_pair(std::string("d2"), std::string("p2")));
}

TEST_F(SchedulerCoreTest, NewNonceReRegistersAndDropsJobs) {
  register_server(kA, 2, 111);
  auto j0 = alloc();
  auto j1 = core.allocate(now);  // allocated, not yet accepted
  ASSERT_TRUE(j1);
  ASSERT_TRUE(core.update_job(kA, j0.job_id, JobState::ready, now));
  EXPECT_EQ(core.status(now).in_progress, 2u);

  advance(seconds(5));
  EXPECT_TRUE(register_server(kA, 2, 222));  // restarted
  EXPECT_EQ(core.jwt_key(kA), "key-10.0.0.1:10501-222");
  EXPECT_EQ(core.status(now).in_progress, 0u);

  auto st = core.update_job(kA, j0.job_id, JobState::started, now);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "Unknown job 0");
  EXPECT_FALSE(core.assign_succeeded(j1->job_id, JobState::ready));

  // The same nonce again is a refresh; ids keep counting.
  EXPECT_FALSE(register_server(kA, 2, 222));
  EXPECT_EQ(alloc().job_id, 2u);
}

TEST_F(SchedulerCoreTest, ZeroCpusRefused) {
  auto r = core.heartbeat(hb(kA, 0), now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Invalid number of CPUs (0) specified in heartbeat");
  EXPECT_FALSE(core.is_registered(kA, now));
  EXPECT_EQ(core.status(now).num_servers, 0u);

  // A refresh with 0 cpus is refused too and leaves the registration as it was.
  register_server(kA, 2);
  EXPECT_FALSE(core.heartbeat(hb(kA, 0), now));
  EXPECT_EQ(core.status(now).num_cpus, 2u);
}

TEST_F(SchedulerCoreTest, EmptyServerIdRefused) { EXPECT_FALSE(core.heartbeat(hb("", 4), now)); }

// ---- choice by load --------------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, NoServersMeansNoCapacity) {
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 0 available servers");
}

TEST_F(SchedulerCoreTest, AllocationCarriesKeyAndDigestAndCountsFromZero) {
  register_server(kA);
  auto a = core.allocate(now);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->job_id, 0u);
  EXPECT_EQ(a->server_id, kA);
  EXPECT_EQ(a->jwt_key, "key-10.0.0.1:10501-1");
  EXPECT_EQ(a->cert_digest, "digest-10.0.0.1:10501");
  core.assign_failed(a->job_id, now);  // ids are not reused
  EXPECT_EQ(core.allocate(now)->job_id, 1u);
  EXPECT_EQ(core.allocate(now)->job_id, 2u);
}

TEST_F(SchedulerCoreTest, SpreadsOverTwoServers) {
  register_server(kA, 4);
  register_server(kB, 4);
  std::map<std::string, int> count;
  for (int i = 0; i < 8; ++i) ++count[alloc_server()];
  EXPECT_EQ(count[kA], 4);
  EXPECT_EQ(count[kB], 4);
  EXPECT_EQ(core.status(now).in_progress, 8u);
}

TEST_F(SchedulerCoreTest, PicksIdleServerFirst) {
  register_server(kA, 4);
  alloc();
  alloc();
  register_server(kB, 1);
  EXPECT_EQ(alloc_server(), kB);  // load 0 beats 2/4
}

TEST_F(SchedulerCoreTest, LoadIsJobsPerCpu) {
  register_server(kA, 4);
  register_server(kB, 3);
  // Choices by jobs/cpus: A (0, tie: lowest id), B (0 < 1/4), A (1/4 < 1/3), B (1/3 < 2/4), A (2/4 < 2/3).
  std::map<std::string, int> count;
  for (int i = 0; i < 5; ++i) ++count[alloc_server()];
  EXPECT_EQ(count[kA], 3);
  EXPECT_EQ(count[kB], 2);
  EXPECT_EQ(alloc_server(), kB);  // 2/3 < 3/4
  EXPECT_EQ(alloc_server(), kA);  // 3/4 < 3/3
}

TEST_F(SchedulerCoreTest, PerCpuCapAndCapacityError) {
  register_server(kA, 1);
  register_server(kB, 2);
  for (int i = 0; i < 30; ++i) alloc();  // 10 per cpu
  auto s = core.status(now);
  EXPECT_EQ(s.in_progress, 30u);
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 2 available servers");
}

TEST_F(SchedulerCoreTest, CustomCap) {
  SchedulerOptions opts;
  opts.max_jobs_per_cpu = 2;
  SchedulerCore small(opts);
  ASSERT_TRUE(small.heartbeat(hb(kA, 3), now));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(small.allocate(now)) << i;
  auto a = small.allocate(now);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message, "Insufficient capacity across 1 available servers");
}

TEST_F(SchedulerCoreTest, CompletedJobsFreeCapacity) {
  register_server(kA, 1);
  std::vector<Allocation> jobs;
  jobs.reserve(10);
  for (int i = 0; i < 10; ++i) jobs.push_back(alloc());
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 1 available servers");
  complete(jobs[3]);
  EXPECT_EQ(core.status(now).in_progress, 9u);
  auto next = alloc();
  EXPECT_EQ(next.server_id, kA);
  EXPECT_EQ(next.job_id, 10u);
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 1 available servers");
}

TEST_F(SchedulerCoreTest, AssignFailureFreesTheSlot) {
  register_server(kA, 1);
  for (int i = 0; i < 9; ++i) alloc();
  auto a = core.allocate(now);
  ASSERT_TRUE(a);
  EXPECT_FALSE(core.allocate(now));
  core.assign_failed(a->job_id, now);
  EXPECT_EQ(core.status(now).in_progress, 9u);
  EXPECT_FALSE(core.assign_succeeded(a->job_id, JobState::ready));
  EXPECT_TRUE(core.allocate(now));  // the only server, errored, still takes work
  core.assign_failed(999, now);     // unknown: ignored
}

// ---- remembered errors -----------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, ErroredServerAvoidedWhileACleanOneExists) {
  register_server(kA, 4);
  register_server(kB, 1);
  auto a = core.allocate(now);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->server_id, kA);  // tie at 0: lowest id
  core.assign_failed(a->job_id, now);

  // B takes everything up to its cap although A, idle with 4 cpus, has the lower load.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(alloc_server(), kB) << i;
  // B full: the errored A is used rather than failing.
  EXPECT_EQ(alloc_server(), kA);
}

TEST_F(SchedulerCoreTest, AllErroredChooseOldestError) {
  register_server(kA, 1);
  register_server(kB, 1);
  register_server(kC, 1);
  auto fail_on = [&](const std::string& id) {
    // allocate until `id` is chosen, accept the others
    for (;;) {
      auto a = core.allocate(now);
      ASSERT_TRUE(a);
      if (a->server_id == id) {
        core.assign_failed(a->job_id, now);
        return;
      }
      ASSERT_TRUE(core.assign_succeeded(a->job_id, JobState::pending));
    }
  };
  fail_on(kB);
  advance(seconds(10));
  fail_on(kC);
  advance(seconds(10));
  fail_on(kA);
  advance(seconds(10));
  // Loads differ (A holds a job, B and C none), but only the age of the error counts.
  EXPECT_EQ(alloc_server(), kB);
  EXPECT_EQ(alloc_server(), kB);
  // A fresh failure on B makes C's error the oldest.
  auto b = core.allocate(now);
  ASSERT_EQ(b->server_id, kB);
  core.assign_failed(b->job_id, now);
  EXPECT_EQ(alloc_server(), kC);
}

TEST_F(SchedulerCoreTest, ErrorForgottenAfterErrorMemory) {
  register_server(kA, 4);
  register_server(kB, 1);
  auto a = core.allocate(now);
  ASSERT_EQ(a->server_id, kA);
  core.assign_failed(a->job_id, now);
  alloc();  // B: load 1

  for (int t = 0; t < 300; t += 30) {  // keep both alive
    advance(seconds(30));
    register_server(kA, 4);
    register_server(kB, 1);
  }
  // Exactly 300 s after the error: still remembered, so B (1/1, still eligible) beats the idle A.
  EXPECT_EQ(alloc_server(), kB);
  advance(seconds(1));
  // 301 s: forgotten, A (0/4) is the least loaded again.
  EXPECT_EQ(alloc_server(), kA);
}

TEST_F(SchedulerCoreTest, NewNonceClearsError) {
  register_server(kA, 1, 1);
  register_server(kB, 1);
  auto a = core.allocate(now);
  ASSERT_EQ(a->server_id, kA);
  core.assign_failed(a->job_id, now);
  alloc();  // B
  EXPECT_EQ(alloc_server(), kB);
  register_server(kA, 1, 2);
  EXPECT_EQ(alloc_server(), kA);
}

// ---- liveness --------------------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, DeadServerPrunedWithItsJobsAndNeverChosen) {
  register_server(kA, 8);
  register_server(kB, 1);
  auto on_a = alloc();
  ASSERT_EQ(on_a.server_id, kA);
  ASSERT_TRUE(core.update_job(kA, on_a.job_id, JobState::ready, now));
  EXPECT_EQ(alloc_server(), kB);

  advance(seconds(30));
  register_server(kB, 1);
  advance(seconds(30));  // A: 60 s since its heartbeat, still alive
  EXPECT_TRUE(core.is_registered(kA, now));
  EXPECT_EQ(core.status(now).num_servers, 2u);

  advance(seconds(1));  // A: 61 s, dead
  EXPECT_FALSE(core.is_registered(kA, now));
  EXPECT_TRUE(core.is_registered(kB, now));
  auto s = core.status(now);
  EXPECT_EQ(s.num_servers, 1u);
  EXPECT_EQ(s.num_cpus, 1u);
  EXPECT_EQ(s.in_progress, 1u);

  // A (8 idle cpus) is never chosen; B alone takes jobs up to its cap.
  for (int i = 0; i < 9; ++i) EXPECT_EQ(alloc_server(), kB);
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 1 available servers");

  // A's job went with it.
  auto st = core.update_job(kA, on_a.job_id, JobState::started, now);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "Unknown job 0");
  EXPECT_EQ(core.jwt_key(kA), std::nullopt);
  EXPECT_TRUE(core.certificate(kA));  // kept: a client may still fetch it

  // Back with the same nonce: a new registration, with no jobs.
  EXPECT_TRUE(register_server(kA, 8));
  EXPECT_EQ(alloc_server(), kA);
}

TEST_F(SchedulerCoreTest, DeadServerIsNewOnReturnEvenWithoutAnAllocation) {
  register_server(kA, 2);
  alloc();
  advance(seconds(61));
  EXPECT_EQ(core.status(now).num_servers, 0u);
  EXPECT_TRUE(register_server(kA, 2));
  EXPECT_EQ(core.status(now).in_progress, 0u);
}

TEST_F(SchedulerCoreTest, AllDeadMeansNoCapacity) {
  register_server(kA);
  register_server(kB);
  advance(seconds(61));
  EXPECT_EQ(alloc_error(), "Insufficient capacity across 0 available servers");
}

TEST_F(SchedulerCoreTest, JobReportKeepsServerAlive) {
  register_server(kA);
  auto a = alloc();
  advance(seconds(50));
  ASSERT_TRUE(core.update_job(kA, a.job_id, JobState::ready, now));
  advance(seconds(50));  // 100 s after the heartbeat, 50 s after the report
  EXPECT_TRUE(core.is_registered(kA, now));
}

TEST_F(SchedulerCoreTest, CustomHeartbeatTimeout) {
  SchedulerOptions opts;
  opts.heartbeat_timeout = seconds(5);
  SchedulerCore quick(opts);
  ASSERT_TRUE(quick.heartbeat(hb(kA), now));
  EXPECT_TRUE(quick.is_registered(kA, now + seconds(5)));
  EXPECT_FALSE(quick.is_registered(kA, now + seconds(6)));
}

// ---- job state machine -----------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, LegalTransitions) {
  register_server(kA, 2);
  auto a = alloc(JobState::pending);
  EXPECT_TRUE(core.update_job(kA, a.job_id, JobState::ready, now));
  EXPECT_TRUE(core.update_job(kA, a.job_id, JobState::started, now));
  EXPECT_TRUE(core.update_job(kA, a.job_id, JobState::complete, now));
  EXPECT_EQ(core.status(now).in_progress, 0u);

  // A job whose toolchain the server had starts ready.
  auto b = alloc(JobState::ready);
  EXPECT_TRUE(core.update_job(kA, b.job_id, JobState::started, now));
  EXPECT_TRUE(core.update_job(kA, b.job_id, JobState::complete, now));
}

TEST_F(SchedulerCoreTest, IllegalTransitionsNameJobAndStates) {
  register_server(kA, 2);
  auto a = alloc(JobState::pending);
  auto err = [&](JobState next) {
    auto st = core.update_job(kA, a.job_id, next, now);
    return st ? std::string("(accepted)") : st.error().message;
  };
  EXPECT_EQ(err(JobState::started), "Invalid state transition for job 0: pending -> started");
  EXPECT_EQ(err(JobState::complete), "Invalid state transition for job 0: pending -> complete");
  EXPECT_EQ(err(JobState::pending), "Invalid state transition for job 0: pending -> pending");
  ASSERT_TRUE(core.update_job(kA, a.job_id, JobState::ready, now));
  EXPECT_EQ(err(JobState::ready), "Invalid state transition for job 0: ready -> ready");
  EXPECT_EQ(err(JobState::complete), "Invalid state transition for job 0: ready -> complete");
  EXPECT_EQ(err(JobState::pending), "Invalid state transition for job 0: ready -> pending");
  ASSERT_TRUE(core.update_job(kA, a.job_id, JobState::started, now));
  EXPECT_EQ(err(JobState::ready), "Invalid state transition for job 0: started -> ready");
  EXPECT_EQ(err(JobState::started), "Invalid state transition for job 0: started -> started");
  ASSERT_TRUE(core.update_job(kA, a.job_id, JobState::complete, now));
  // Finished: a repeated complete is fine, anything else is not.
  EXPECT_EQ(err(JobState::complete), "(accepted)");
  EXPECT_EQ(err(JobState::started), "Invalid state transition for job 0: complete -> started");
  EXPECT_EQ(core.status(now).in_progress, 0u);
}

TEST_F(SchedulerCoreTest, AssignSucceededChecks) {
  register_server(kA, 2);
  auto a = core.allocate(now);
  ASSERT_TRUE(a);
  // Not yet accepted: no reports.
  auto early = core.update_job(kA, a->job_id, JobState::ready, now);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().message, "Job 0 has not been accepted by its server yet");

  auto bad = core.assign_succeeded(a->job_id, JobState::started);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Job 0 cannot start in state started");
  EXPECT_TRUE(core.assign_succeeded(a->job_id, JobState::pending));
  EXPECT_FALSE(core.assign_succeeded(a->job_id, JobState::pending));
  EXPECT_FALSE(core.assign_succeeded(42, JobState::ready));
}

TEST_F(SchedulerCoreTest, OnlyTheAssignedServerMayReport) {
  register_server(kA, 1);
  register_server(kB, 1);
  auto a = alloc();
  ASSERT_EQ(a.server_id, kA);
  auto st = core.update_job(kB, a.job_id, JobState::ready, now);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "Job 0 is not registered on server 10.0.0.2:10501");
  complete(a);
  EXPECT_FALSE(core.update_job(kB, a.job_id, JobState::complete, now));  // finished, still not B's
  EXPECT_FALSE(core.update_job("10.9.9.9:1", a.job_id, JobState::ready, now));
}

TEST_F(SchedulerCoreTest, UnknownJob) {
  register_server(kA);
  auto st = core.update_job(kA, 7, JobState::ready, now);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "Unknown job 7");
}

TEST_F(SchedulerCoreTest, FinishedRingIsBounded) {
  SchedulerOptions opts;
  opts.finished_ring = 2;
  SchedulerCore ring(opts);
  ASSERT_TRUE(ring.heartbeat(hb(kA, 1), now));
  for (int i = 0; i < 3; ++i) {
    auto a = ring.allocate(now);
    ASSERT_TRUE(a);
    ASSERT_TRUE(ring.assign_succeeded(a->job_id, JobState::ready));
    ASSERT_TRUE(ring.update_job(kA, a->job_id, JobState::started, now));
    ASSERT_TRUE(ring.update_job(kA, a->job_id, JobState::complete, now));
  }
  EXPECT_FALSE(ring.update_job(kA, 0, JobState::complete, now));  // fell out of the ring
  EXPECT_TRUE(ring.update_job(kA, 1, JobState::complete, now));
  EXPECT_TRUE(ring.update_job(kA, 2, JobState::complete, now));
}

// ---- status ----------------------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, StatusCounts) {
  EXPECT_EQ(core.status(now).num_servers, 0u);
  register_server(kA, 4);
  register_server(kB, 2);
  alloc();
  alloc();
  auto pending = core.allocate(now);  // allocated, being assigned: holds a slot
  ASSERT_TRUE(pending);
  auto s = core.status(now);
  EXPECT_EQ(s.num_servers, 2u);
  EXPECT_EQ(s.num_cpus, 6u);
  EXPECT_EQ(s.in_progress, 3u);
}

// ---- concurrency -----------------------------------------------------------------------------------

TEST_F(SchedulerCoreTest, ConcurrentAllocateAndComplete) {
  register_server(kA, 4);
  register_server(kB, 4);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto a = core.allocate(now);
        if (!a) continue;  // momentarily full
        if (!core.assign_succeeded(a->job_id, JobState::ready)) continue;
        if (core.update_job(a->server_id, a->job_id, JobState::started, now) &&
            core.update_job(a->server_id, a->job_id, JobState::complete, now)) {
          ++done;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), 800);  // 4 threads hold at most 4 slots of 80
  EXPECT_EQ(core.status(now).in_progress, 0u);
}

}  // namespace
}  // namespace sccache::dist

namespace sccache::dist {
namespace {

TEST_F(SchedulerCoreTest, AbandonedJobsGiveTheirSlotBack) {
  register_server(kA, 1);
  auto pending = alloc(JobState::pending);  // the client never uploads the toolchain
  auto ready = alloc(JobState::ready);      // the client never runs it
  auto started = alloc(JobState::ready);
  ASSERT_TRUE(core.update_job(kA, started.job_id, JobState::started, now).has_value());
  EXPECT_EQ(core.status(now).in_progress, 3U);

  // Heartbeats every 30 s keep the server alive; each one prunes.
  advance(seconds(30));
  register_server(kA, 1);
  advance(seconds(31));
  register_server(kA, 1);
  EXPECT_EQ(core.status(now).in_progress, 2U) << "a ready job unclaimed for 61 s is dropped";
  auto gone = core.update_job(kA, ready.job_id, JobState::started, now);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("Unknown job"), std::string::npos);

  for (int i = 0; i < 8; ++i) {  // 61 + 8 * 30 = 301 s: the pending job goes too
    advance(seconds(30));
    register_server(kA, 1);
  }
  EXPECT_EQ(core.status(now).in_progress, 1U) << "a pending job unclaimed for 301 s is dropped";
  EXPECT_FALSE(core.update_job(kA, pending.job_id, JobState::ready, now));
  // A started compile is never timed out, however long it runs.
  ASSERT_TRUE(core.update_job(kA, started.job_id, JobState::complete, now).has_value());
  EXPECT_EQ(core.status(now).in_progress, 0U);
}

TEST_F(SchedulerCoreTest, AStateChangeRestartsTheUnclaimedClock) {
  register_server(kA, 1);
  auto a = alloc(JobState::pending);
  for (int i = 0; i < 5; ++i) {  // 250 s, heartbeating
    advance(seconds(50));
    register_server(kA, 1);
  }
  ASSERT_TRUE(core.update_job(kA, a.job_id, JobState::ready, now).has_value());  // toolchain arrived
  advance(seconds(55));
  register_server(kA, 1);
  EXPECT_TRUE(core.update_job(kA, a.job_id, JobState::started, now).has_value())
      << "305 s after allocation, but only 55 s after becoming ready";
}

}  // namespace
}  // namespace sccache::dist
