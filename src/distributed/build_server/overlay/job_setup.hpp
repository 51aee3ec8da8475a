#pragma once
// One overlay job's setup. In the server, before the fork: the job's paths checked and planned
// (plan_job_files). In the forked child, before bubblewrap is executed (setup_job_root, the
// child_setup of SystemProcessRunner): a mount namespace of its own, the overlay mounted on the
// job's target, the directories and inputs made beneath it, then the handshake with the server:
// "ready" on the status pipe, and the exec only once the server sends "go" (it first opens the
// merged root through /proc/<child>/root). Nothing but system calls runs in the child.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "distributed/build_server/builder.hpp"
#include "util/expected.hpp"

namespace sccache::dist::overlay {

struct MkdirStep {
  std::string parent;  // path of the parent below the root ("" = the root)
  std::string name;    // component to create in it
  std::string path;    // parent/name
};

struct ChildInput {
  std::string parent;  // below the root
  std::string name;
  const std::string* data = nullptr;  // the job's input
  mode_t mode = 0644;
};

// A job's paths, checked (absolute, no NUL, not under /proc or /dev) and planned.
struct JobFiles {
  std::string toolchain;                // real path of the overlay's lower layer
  std::vector<std::string> output_abs;  // job.outputs made absolute, in the same order
  bool under_tmp = false;               // a job path is under /tmp: no tmpfs there (make_tmp instead)
  std::vector<MkdirStep> mkdirs;        // in order: parents first
  std::vector<std::string> check_dirs;  // must be directories afterwards (cwd, output parents)
  std::vector<ChildInput> inputs;       // in the order of job.inputs
};

// The Error names what is wrong with the job. The result points into `job`.
Expected<JobFiles> plan_job_files(const SandboxJob& job);

// What the child reports on the status pipe: kReady, or the step that failed and its errno.
enum Stage : int32_t {
  kReady = 0,
  kUnshare,
  kPrivate,
  kMount,
  kOpenTarget,
  kMakeTmp,
  kMkdir,
  kCheckDir,
  kInputParent,
  kInputOpen,
  kInputWrite,
};

struct ChildMessage {
  int32_t stage = kReady;
  int32_t index = 0;  // which mkdir, check_dir or input
  int32_t err = 0;
};

struct ChildPlan {
  const char* target = nullptr;  // the job's target directory: the overlay is mounted there
  const char* overlay_options = nullptr;
  const JobFiles* files = nullptr;
  int status_fd = -1;  // child -> parent: ChildMessage (close-on-exec: EOF once bwrap runs)
  int go_fd = -1;      // parent -> child: one byte once the parent holds the merged root
};

// In the child. Returns once the parent said go; any failure is reported on status_fd and the
// child exits (127; 126 when the parent gave up).
void setup_job_root(const ChildPlan& plan);

// Reads one ChildMessage; false on EOF (the child exec'd or died).
bool read_message(int fd, ChildMessage& m);

// "sandbox setup failed: <step>: <errno text>" for a failure the child reported.
std::string describe_failure(const ChildMessage& m, const SandboxJob& job, const JobFiles& files,
                             const std::string& target);

}  // namespace sccache::dist::overlay
