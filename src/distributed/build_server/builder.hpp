#pragma once
// What a sccache-dist build server runs jobs with (SPEC 7.9): the Builder interface and the job
// and result it takes and gives. Two builders implement it: the overlay builder
// (overlay/overlay_builder.hpp: overlayfs + bubblewrap) and the docker builder
// (docker/docker_builder.hpp).
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace sccache::dist {

struct SandboxInput {
  std::string path;  // absolute inside the sandbox, e.g. "/work/src/t.i"
  std::string data;
  uint32_t mode = 0644;  // permission bits (& 0777)
};

struct SandboxJob {
  std::string toolchain_dir;         // unpacked toolchain: the overlay's read-only lower layer ("/")
  std::string toolchain_id;          // docker builder: the archive id (image sccache-builder-<id>)
  std::string toolchain_archive;     // docker builder: the archive file, imported on the id's first use
  std::vector<SandboxInput> inputs;  // written into the overlay before the run
  std::string executable;            // path inside the sandbox, e.g. "/usr/bin/gcc"
  std::vector<std::string> args;
  // The job's whole environment (keys containing '=' or empty are skipped); nothing else leaks in.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;                    // absolute; created inside
  std::vector<std::string> outputs;   // absolute or relative to cwd; collected after the run
  std::chrono::seconds timeout{600};  // the whole sandbox is killed after this (<= 0: no limit)
  // stdout + stderr + the outputs together (max_job_output_size): a job that writes more is
  // killed / its outputs refused, an Error naming the setting.
  uint64_t max_output_size = UINT64_MAX;
};

struct SandboxResult {
  // bwrap's exit status: the job's exit code, or 128+N when the job died of signal N.
  int exit_code = 0;
  int signal = 0;  // non-zero when bwrap itself was killed (SIGKILL on timeout)
  bool timed_out = false;
  std::string stdout_data;
  std::string stderr_data;
  // (path as requested, content) for the outputs that exist as regular files after the run.
  std::vector<std::pair<std::string, std::string>> outputs;
};

// What a build server runs jobs with: OverlayBuilder or DockerBuilder.
class Builder {
 public:
  Builder() = default;
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  virtual ~Builder() = default;
  // Runs one job (thread-safe). An Error means the job could not be set up or its environment
  // failed; a job that ran and failed is a result with its exit code.
  virtual Expected<SandboxResult> run(const SandboxJob& job) = 0;
};

}  // namespace sccache::dist
