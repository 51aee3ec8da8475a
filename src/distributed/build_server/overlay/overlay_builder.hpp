#pragma once
// The "overlay" builder of sccache-dist build servers (SPEC 7.9): every job runs in a bubblewrap
// sandbox whose root is an overlayfs with the client's unpacked toolchain as the read-only lower
// layer and a per-job upper layer, in a mount namespace of its own.
//
// Per job, in <build_dir>/builds/<n>/{upper,work,target}, a forked child
//   1. unshares the mount namespace and makes / recursively private (nothing propagates back),
//   2. mounts overlay(lower = toolchain_dir, upper, work) on target,
//   3. creates the cwd and the outputs' parent directories and writes the inputs, resolving every
//      path as if target were "/" (openat2 RESOLVE_IN_ROOT): a symlink in the toolchain or the
//      inputs can never make the server write outside the overlay,
//   4. execs bwrap --die-with-parent --cap-drop ALL --unshare-{user,ipc,pid,net,uts,cgroup-try}
//      --bind target / --proc /proc --dev /dev --tmpfs /tmp --chdir cwd [--clearenv]
//      --setenv K V ... -- executable args...  with an empty environment.
// The child is SystemProcessRunner's (util/process.hpp): steps 1-3 are its child_setup
// (overlay/job_setup.hpp), the runner runs bwrap in a process group of its own with default
// signals and no other descriptor of the server, kills that group on timeout or once stdout +
// stderr pass max_output_size, and watches bwrap's exit (pidfd).
// Before the exec the parent opens the merged overlay root through /proc/<child>/root, so that it
// can read the outputs after the job from the same view the job had, even though the mount only
// exists in the job's namespace. Outputs are opened beneath that root without following symlinks
// (O_NOFOLLOW, RESOLVE_IN_ROOT) and only regular files are returned. The mount disappears with the
// job's namespace and that descriptor; then the job directory is deleted.
//
// Needs root, bubblewrap >= 0.3.0, overlayfs, Linux >= 5.6 (openat2, pidfd_open).
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "distributed/build_server/builder.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

class OverlayBuilder final : public Builder {
 public:
  // Checks: running as root, `bwrap --version` >= 0.3.0 (the error names the version found),
  // overlay in /proc/filesystems, openat2/pidfd_open available; prepares build_dir with
  // prepare_build_dir (overlay/overlay_host.hpp: marked, only builds/ ever deleted). bwrap_path without
  // '/' is looked up in PATH.
  static Expected<std::unique_ptr<OverlayBuilder>> create(std::string build_dir, std::string bwrap_path = "bwrap");

  // Runs one job (thread-safe; jobs run concurrently, each in its own directory). An Error means
  // the sandbox could not be set up; a job that ran and failed is a result with its exit code.
  Expected<SandboxResult> run(const SandboxJob& job) override;

  [[nodiscard]] const std::string& build_dir() const { return build_dir_; }
  [[nodiscard]] const std::string& bwrap_path() const { return bwrap_path_; }
  [[nodiscard]] const std::string& bwrap_version() const { return bwrap_version_; }

 private:
  OverlayBuilder(std::string build_dir, std::string bwrap_path, std::string bwrap_version, bool clearenv)
      : build_dir_(std::move(build_dir)),
        bwrap_path_(std::move(bwrap_path)),
        bwrap_version_(std::move(bwrap_version)),
        clearenv_(clearenv) {}

  std::string build_dir_;
  std::string bwrap_path_;     // absolute
  std::string bwrap_version_;  // e.g. "0.8.0"
  bool clearenv_;              // bwrap >= 0.5.0 knows --clearenv (bwrap runs with an empty env anyway)
  std::atomic<uint64_t> next_job_{0};
};

// "bubblewrap 0.8.0" -> {0, 8, 0}; missing minor/patch parts are 0. Exposed for tests.
std::optional<std::array<int, 3>> parse_bwrap_version(std::string_view version_output);

}  // namespace sccache::dist
