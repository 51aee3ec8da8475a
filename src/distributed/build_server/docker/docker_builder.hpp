#pragma once
// The "docker" builder of sccache-dist build servers (SPEC 7.9): every job runs in a docker
// container made from an image of the client's toolchain. The docker CLI is run as a subprocess
// (docker_cli.hpp, through SystemProcessRunner; DOCKER_HOST and the rest of its settings come
// from the server's environment).
//
// At start: `docker version` must reach dockerd; every container and image named
// `sccache-builder-*` is removed (so one build server per dockerd); the base image
// `sccache-builder-base` is imported from a tar holding only a static busybox (/busybox, copied
// from busybox-static's /bin/busybox) and /tmp (1777), and one container of it is run as a check.
// No image is ever pulled.
//
// Per toolchain, on first use (once per archive id, however many jobs ask at once):
//   docker create sccache-builder-base /busybox true; docker cp - <cid>:/ < archive;
//   docker commit <cid> sccache-builder-<archive_id>; docker rm -f <cid>
// Containers are pooled per toolchain; a job takes an idle one or starts one with
//   docker run -d --network none --cap-drop ALL --security-opt no-new-privileges
//     --name sccache-builder-<id prefix>-<pid>-<n> <image> /busybox sh -c 'while :; do ...sleep; done'
// Per job: `docker cp -` of the inputs (a tar.gz made from SandboxJob::inputs) to /;
// `docker exec <cid> /busybox mkdir -p -- <cwd> <output parents>`;
// `docker exec -e K=V... <cid> /busybox sh -c 'cd "$1" && shift && exec "$@"' sh <cwd> <exe> <args>`
// (the docker CLI is killed, and the container removed, after SandboxJob::timeout);
// `docker exec <cid> /busybox kill -9 -1` (nothing of the job outlives it); each output read with
// `/busybox cat` when it is a regular file (missing ones skipped, as the overlay builder does).
// Afterwards, in the background: `docker diff`; only additions are allowed (and `C /tmp`): each
// added path is removed with `/busybox rm -rf`, and a second diff must be clean. The container
// then returns to the pool; anything else (a changed or deleted path, any failure) removes it.
//
// Isolation is docker's: the job is root in its container (no capabilities, no new privileges,
// no network, docker's default seccomp profile), sees only the toolchain, its inputs and
// docker's /etc/{hosts,hostname,resolv.conf}, and shares the host kernel. That is weaker than the
// overlay builder (bubblewrap in a user namespace); prefer the overlay builder on shared hosts.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "distributed/build_server/builder.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

struct DockerBuilderOptions {
  std::string docker = "docker";         // the CLI; without '/', looked up in PATH
  std::string busybox = "/bin/busybox";  // a statically linked busybox (Debian: busybox-static)
  size_t max_idle_per_toolchain = 0;     // idle containers kept per toolchain; 0: max(2, CPUs)
};

class DockerBuilder final : public Builder {
 public:
  // Checks dockerd answers, removes every sccache-builder-* container and image, imports the
  // base image and runs one container of it. Errors name what is missing (dockerd, the docker
  // CLI, busybox-static).
  static Expected<std::unique_ptr<DockerBuilder>> create(DockerBuilderOptions options = {});
  // Waits for the background cleanups and removes the pooled containers (images are kept: the
  // next start removes them).
  ~DockerBuilder() override;

  // Needs job.toolchain_id (a 64-hex archive id) and job.toolchain_archive (its tar(.gz));
  // job.toolchain_dir is not used.
  Expected<SandboxResult> run(const SandboxJob& job) override;

  // Idle containers of a toolchain after the background cleanups have finished (tests).
  size_t idle_containers(const std::string& toolchain_id);

 private:
  struct Image {
    bool done = false;
    std::string error;  // set with done when the build failed
  };

  DockerBuilder(std::string docker, size_t max_idle) : docker_(std::move(docker)), max_idle_(max_idle) {}

  Status ensure_image(const std::string& id, const std::string& archive);
  Status build_image(const std::string& id, const std::string& archive);
  void forget_image(const std::string& id);
  Expected<std::string> take_container(const std::string& id, const std::string& archive);
  Expected<std::string> start_container(const std::string& id);
  // Hands the container to a background thread: cleaned and pooled when `reusable`, else removed.
  void give_back(const std::string& id, const std::string& cid, bool reusable);
  bool clean_container(const std::string& cid);
  void remove_containers(const std::vector<std::string>& cids);

  std::string docker_;  // absolute path of the CLI
  size_t max_idle_;
  std::mutex mu_;
  std::condition_variable cv_;                            // images built, containers given back
  std::map<std::string, std::shared_ptr<Image>> images_;  // guarded by mu_
  std::map<std::string, std::vector<std::string>> idle_;  // guarded by mu_: archive id -> cids
  std::map<std::string, int> cleaning_;                   // guarded by mu_: cleanups in flight per id
  int cleaning_total_ = 0;                                // guarded by mu_
  uint64_t next_container_ = 0;                           // guarded by mu_
};

// `docker diff` output -> the topmost added paths (what `rm -rf` must remove to get the image
// back), or nullopt when the container cannot be reused: a path changed or deleted (other than
// `C /tmp`), or a line not understood. Exposed for tests.
std::optional<std::vector<std::string>> paths_to_clean(const std::string& diff_output);

}  // namespace sccache::dist
