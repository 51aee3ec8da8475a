#include "distributed/build_server/docker/docker_builder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>

#include "distributed/build_server/archive.hpp"
#include "distributed/build_server/docker/docker_cli.hpp"
#include "distributed/build_server/toolchain_cache.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

namespace sccache::dist {

namespace {

using docker::Cmd;
using docker::Docker;
using docker::first_line;
using docker::has_nul;
using docker::kCmdTimeout;
using docker::lines_of;
using docker::starts_with;
using docker::trim;
using Fd = UniqueFd;

constexpr std::string_view kPrefix = "sccache-builder-";
constexpr const char* kBaseImage = "sccache-builder-base";
constexpr std::chrono::seconds kImportTimeout{900};  // docker cp of a toolchain archive
constexpr std::chrono::seconds kPoolWait{5};         // a job waits this long for a container being cleaned
constexpr int kNotRegular = 42;                      // exit code of the output reader: not a regular file
// PID 1 of a pooled container: a shell (it reaps the orphans of jobs) around a long sleep that
// `kill -9 -1` may kill between jobs.
constexpr const char* kIdleLoop = "while :; do /busybox sleep 31536000; done";
constexpr const char* kRunScript = R"(cd "$1" && shift && exec "$@")";
constexpr const char* kCatScript = R"([ -f "$1" ] || exit 42; exec /busybox cat -- "$1")";

std::string errno_text(int e) { return std::strerror(e); }

// ---- start-up ----

// `docker version` answered by dockerd: its version. `where` names the daemon for the errors.
Expected<std::string> dockerd_version(const Docker& dk, const std::string& where) {
  auto version = dk({"version", "--format", "{{.Server.Version}}"});
  if (!version) return make_error("cannot run the docker CLI " + dk.exe + ": " + version.error().message);
  if (!version->ok()) {
    return make_error("the docker builder cannot reach dockerd at " + where +
                      " (is dockerd running?): " + Docker::describe({"version"}, *version));
  }
  return trim(version->out);
}

// The ids of the containers in `docker ps` lines (id, names, image) named or made from sccache-builder-*.
std::vector<std::string> our_containers(const std::string& ps_out) {
  std::vector<std::string> ours_ids;
  for (const auto& line : lines_of(ps_out)) {
    auto t1 = line.find('\t');
    auto t2 = line.find('\t', t1 == std::string::npos ? line.size() : t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    std::string names = line.substr(t1 + 1, t2 - t1 - 1);
    bool ours = starts_with(std::string_view(line).substr(t2 + 1), kPrefix);
    size_t i = 0;
    while (!ours && i <= names.size()) {
      size_t j = names.find(',', i);
      if (j == std::string::npos) j = names.size();
      ours = starts_with(std::string_view(names).substr(i, j - i), kPrefix);
      i = j + 1;
    }
    if (ours) ours_ids.push_back(line.substr(0, t1));
  }
  return ours_ids;
}

// Leftovers of an earlier build server: containers first (they hold their images).
Status remove_leftovers(const Docker& dk) {
  SCCACHE_TRY(ps, dk.check({"ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}\t{{.Image}}"}));
  std::vector<std::string> stale = our_containers(ps.out);
  if (!stale.empty()) {
    std::vector<std::string> args{"rm", "-f"};
    args.insert(args.end(), stale.begin(), stale.end());
    SCCACHE_TRY_STATUS(dk.check(args));
  }
  SCCACHE_TRY(images, dk.check({"images", "--format", "{{.Repository}}:{{.Tag}}"}));
  std::vector<std::string> old_images;
  for (const auto& line : lines_of(images.out)) {
    if (starts_with(line, kPrefix)) old_images.push_back(line);
  }
  if (!old_images.empty()) {
    std::vector<std::string> args{"rmi", "-f"};
    args.insert(args.end(), old_images.begin(), old_images.end());
    SCCACHE_TRY_STATUS(dk.check(args));
  }
  if (!stale.empty() || !old_images.empty()) {
    spdlog::info("docker builder: removed {} old container(s) and {} image(s)", stale.size(), old_images.size());
  }
  return Ok{};
}

// The base image: /busybox and /tmp, nothing pulled; and one container of it as a check.
Status import_base_image(const Docker& dk, const std::string& busybox, const std::string& busybox_path) {
  SCCACHE_TRY(base_tar, make_tar_gz({{"busybox", busybox, 0755}, {"tmp", "", S_IFDIR | 01777}}));
  SCCACHE_TRY(base_fd, docker::memory_file(base_tar));
  SCCACHE_TRY_STATUS(dk.check({"import", "-", kBaseImage}, base_fd.get()));
  auto probe =
      dk({"run", "--rm", "--pull", "never", "--network", "none", "--cap-drop", "ALL", kBaseImage, "/busybox", "true"});
  if (!probe) return probe.error();
  if (!probe->ok()) {
    return make_error("a container of the docker builder's base image does not run (" + busybox_path +
                      " must be a statically linked busybox, as Debian's busybox-static installs): " +
                      Docker::describe({"run", kBaseImage, "/busybox", "true"}, *probe));
  }
  return Ok{};
}

// ---- one job ----

// A job checked and made ready for its container.
struct PreparedJob {
  std::vector<std::string> output_abs;  // job.outputs made absolute, in the same order
  std::vector<std::string> mkdir;       // `exec <cid> mkdir -p -- <cwd> <output parents>`; [1] is the cid
  std::optional<Fd> inputs_fd;          // the inputs as a tar.gz (none without inputs)
};

Expected<PreparedJob> prepare_job(const SandboxJob& job) {
  if (!ToolchainCache::valid_id(job.toolchain_id)) {
    return make_error("the docker builder needs the toolchain's archive id, got `" + job.toolchain_id + "`");
  }
  if (job.toolchain_archive.empty()) return make_error("the docker builder needs the toolchain archive's path");
  if (job.cwd.empty() || job.cwd[0] != '/') return make_error("the job's cwd must be absolute: `" + job.cwd + "`");
  if (job.executable.empty()) return make_error("the job has no executable");
  if (has_nul(job.cwd) || has_nul(job.executable) || std::any_of(job.args.begin(), job.args.end(), has_nul)) {
    return make_error("the job's command line contains a NUL byte");
  }
  std::vector<ArchiveFile> files;
  for (const auto& in : job.inputs) {
    if (in.path.empty() || in.path[0] != '/') return make_error("input path must be absolute: `" + in.path + "`");
    size_t skip = in.path.find_first_not_of('/');
    if (skip == std::string::npos) return make_error("input path is not a file path: `" + in.path + "`");
    files.push_back({in.path.substr(skip), in.data, in.mode & 0777});
  }
  PreparedJob prepared;
  prepared.mkdir = {"exec", "", "/busybox", "mkdir", "-p", "--", job.cwd};
  for (const auto& out : job.outputs) {
    if (has_nul(out)) return make_error("an output path contains a NUL byte");
    prepared.output_abs.push_back(absolute_from(job.cwd, out));
    std::string parent = dirname_of(prepared.output_abs.back());
    auto& mkdir = prepared.mkdir;
    if (std::find(mkdir.begin() + 6, mkdir.end(), parent) == mkdir.end()) mkdir.push_back(parent);
  }
  if (!files.empty()) {
    SCCACHE_TRY(tar, make_tar_gz(files));
    SCCACHE_TRY(fd, docker::memory_file(tar));
    prepared.inputs_fd = std::move(fd);
  }
  return prepared;
}

// `docker exec -e K=V... <cid> /busybox sh -c 'cd "$1" && shift && exec "$@"' sh <cwd> <exe> <args>`
std::vector<std::string> exec_args(const SandboxJob& job, const std::string& cid) {
  std::vector<std::string> args{"exec"};
  for (const auto& [k, v] : job.env) {
    if (k.empty() || k.find('=') != std::string::npos || has_nul(k) || has_nul(v)) continue;
    args.insert(args.end(), {"-e", k + "=" + v});
  }
  args.insert(args.end(), {cid, "/busybox", "sh", "-c", kRunScript, "sh", job.cwd, job.executable});
  args.insert(args.end(), job.args.begin(), job.args.end());
  return args;
}

Error over_cap(const SandboxJob& job) {
  return make_error("the job's stdout, stderr and outputs exceed max_job_output_size (" +
                    std::to_string(job.max_output_size) + " bytes)");
}

// Each output that is a regular file, read with /busybox cat within what is left of
// max_output_size; missing ones are skipped.
Status read_outputs(const Docker& dk, const std::string& cid, const SandboxJob& job,
                    const std::vector<std::string>& output_abs, SandboxResult& result) {
  uint64_t used = result.stdout_data.size() + result.stderr_data.size();
  for (size_t i = 0; i < job.outputs.size(); ++i) {
    std::vector<std::string> cat{"exec", cid, "/busybox", "sh", "-c", kCatScript, "sh", output_abs[i]};
    SCCACHE_TRY(read, dk(cat, -1, kCmdTimeout, job.max_output_size - used));
    if (read.too_large || used + read.out.size() > job.max_output_size) return over_cap(job);
    used += read.out.size();
    if (read.ok()) {
      result.outputs.emplace_back(job.outputs[i], std::move(read.out));
    } else if (read.timed_out || read.signal != 0 || read.exit_code != kNotRegular) {
      return make_error("reading output " + output_abs[i] + ": " + Docker::describe(cat, read));
    }
  }
  return Ok{};
}

}  // namespace

std::optional<std::vector<std::string>> paths_to_clean(const std::string& diff_output) {
  std::set<std::string> added;
  for (const auto& line : lines_of(diff_output)) {
    if (line == "C /tmp") continue;  // files were made and deleted in /tmp (its additions are listed)
    if (line.size() < 3 || line[0] != 'A' || line[1] != ' ' || line[2] != '/') return std::nullopt;
    added.insert(line.substr(2));
  }
  // Only the topmost added paths: rm -rf takes what is below.
  std::vector<std::string> out;
  for (const auto& path : added) {
    bool under_added = false;
    for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1)) {
      if (added.count(path.substr(0, slash)) != 0) {
        under_added = true;
        break;
      }
    }
    if (!under_added) out.push_back(path);
  }
  return out;
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): by value in the public API
Expected<std::unique_ptr<DockerBuilder>> DockerBuilder::create(DockerBuilderOptions options) {
  auto cli = docker::find_program(options.docker);
  if (!cli) {
    return make_error("the docker builder needs the docker CLI: `" + options.docker +
                      "` was not found in PATH (install docker.io)");
  }
  struct stat st {};
  if (::stat(options.busybox.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error("the docker builder's base image needs a static busybox at " + options.busybox +
                      ", which does not exist (install busybox-static)");
  }
  SCCACHE_TRY(busybox, read_file(options.busybox));
  size_t max_idle = options.max_idle_per_toolchain;
  if (max_idle == 0) max_idle = std::max<size_t>(2, std::thread::hardware_concurrency());
  std::unique_ptr<DockerBuilder> builder(new DockerBuilder(*cli, max_idle));
  Docker dk{builder->docker_};

  const char* host = std::getenv("DOCKER_HOST");
  std::string where = host != nullptr && *host != '\0' ? std::string("DOCKER_HOST=") + host : "the default socket";
  SCCACHE_TRY(version, dockerd_version(dk, where));
  SCCACHE_TRY_STATUS(remove_leftovers(dk));
  SCCACHE_TRY_STATUS(import_base_image(dk, busybox, options.busybox));
  spdlog::info(
      "docker builder: dockerd {} at {}, CLI {}, base image {} (busybox {}), up to {} idle containers per toolchain",
      version, where, *cli, kBaseImage, options.busybox, max_idle);
  return builder;
}

DockerBuilder::~DockerBuilder() {
  std::vector<std::string> cids;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return cleaning_total_ == 0; });
    for (auto& [id, list] : idle_) cids.insert(cids.end(), list.begin(), list.end());
    idle_.clear();
  }
  remove_containers(cids);
}

size_t DockerBuilder::idle_containers(const std::string& toolchain_id) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return cleaning_total_ == 0; });
  auto it = idle_.find(toolchain_id);
  return it == idle_.end() ? 0 : it->second.size();
}

Status DockerBuilder::ensure_image(const std::string& id, const std::string& archive) {
  std::shared_ptr<Image> image;
  {
    std::unique_lock lock(mu_);
    auto it = images_.find(id);
    if (it != images_.end()) {
      image = it->second;
      cv_.wait(lock, [&] { return image->done; });
      if (image->error.empty()) return Ok{};
      return make_error(image->error);
    }
    image = std::make_shared<Image>();
    images_[id] = image;
  }
  auto built = build_image(id, archive);
  {
    std::lock_guard lock(mu_);
    image->done = true;
    if (!built) {
      image->error = built.error().message;
      auto it = images_.find(id);
      if (it != images_.end() && it->second == image) images_.erase(it);  // the next job tries again
    }
  }
  cv_.notify_all();
  return built;
}

Status DockerBuilder::build_image(const std::string& id, const std::string& archive) {
  const auto start = std::chrono::steady_clock::now();
  Docker dk{docker_};
  Fd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return make_error("cannot open the toolchain archive " + archive + ": " + errno_text(errno));
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = std::string(kPrefix) + "tc-" + std::to_string(::getpid()) + "-" + std::to_string(next_container_++);
  }
  SCCACHE_TRY(created, dk.check({"create", "--pull", "never", "--network", "none", "--name", name, kBaseImage,
                                 "/busybox", "true"}));
  const std::string cid = trim(created.out);
  auto copied = dk.check({"cp", "-", cid + ":/"}, fd.get(), kImportTimeout);
  Status st = copied ? Status(Ok{}) : Status(copied.error());
  if (st) {
    auto committed = dk.check({"commit", cid, std::string(kPrefix) + id});
    if (!committed) st = committed.error();
  }
  remove_containers({cid});
  if (!st) return make_error("docker builder: making the image of toolchain " + id + ": " + st.error().message);
  spdlog::info("docker builder: image {}{} made in {} ms", kPrefix, id,
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  return Ok{};
}

void DockerBuilder::forget_image(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = images_.find(id);
  if (it != images_.end() && it->second->done) images_.erase(it);
}

Expected<std::string> DockerBuilder::start_container(const std::string& id) {
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = std::string(kPrefix) + id.substr(0, 12) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(next_container_++);
  }
  Docker dk{docker_};
  auto ran = dk.check({"run", "-d", "--pull", "never", "--network", "none", "--ipc", "private", "--cap-drop", "ALL",
                       "--security-opt", "no-new-privileges", "--name", name, std::string(kPrefix) + id, "/busybox", "sh",
                       "-c", kIdleLoop});
  if (!ran) {
    remove_containers({name});  // `run` may have created it before failing or timing out
    return ran.error();
  }
  std::string cid = trim(ran->out);
  if (cid.empty()) return make_error("`docker run -d` printed no container id");
  spdlog::debug("docker builder: started container {} ({})", name, cid.substr(0, 12));
  return cid;
}

Expected<std::string> DockerBuilder::take_container(const std::string& id, const std::string& archive) {
  SCCACHE_TRY_STATUS(ensure_image(id, archive));
  {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + kPoolWait;
    while (true) {
      auto& list = idle_[id];
      if (!list.empty()) {
        std::string cid = list.back();
        list.pop_back();
        return cid;
      }
      // A container of this toolchain is being cleaned: that is quicker than starting one.
      if (cleaning_[id] == 0) break;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
    }
  }
  auto cid = start_container(id);
  if (!cid && cid.error().message.find("No such image") != std::string::npos) {
    spdlog::warn("docker builder: image {}{} disappeared; making it again", kPrefix, id);
    forget_image(id);
    SCCACHE_TRY_STATUS(ensure_image(id, archive));
    cid = start_container(id);
  }
  return cid;
}

void DockerBuilder::remove_containers(const std::vector<std::string>& cids) {
  if (cids.empty()) return;
  std::vector<std::string> args{"rm", "-f"};
  args.insert(args.end(), cids.begin(), cids.end());
  auto r = Docker{docker_}.check(args);
  if (!r) spdlog::warn("docker builder: removing container(s): {}", r.error().message);
}

bool DockerBuilder::clean_container(const std::string& cid) {
  Docker dk{docker_};
  const std::string short_id = cid.substr(0, 12);
  auto diff = dk.check({"diff", cid});
  if (!diff) {
    spdlog::warn("docker builder: container {}: {}", short_id, diff.error().message);
    return false;
  }
  auto paths = paths_to_clean(diff->out);
  if (!paths) {
    std::string why;
    for (const auto& line : lines_of(diff->out)) {
      if (line != "C /tmp" && !starts_with(line, "A /")) {
        why = line;
        break;
      }
    }
    spdlog::info("docker builder: container {} discarded: the job changed the image: {}", short_id, why);
    return false;
  }
  if (paths->empty()) return true;
  std::vector<std::string> args{"exec", cid, "/busybox", "rm", "-rf", "--"};
  args.insert(args.end(), paths->begin(), paths->end());
  auto removed = dk.check(args);
  if (!removed) {
    spdlog::info("docker builder: container {} discarded: {}", short_id, removed.error().message);
    return false;
  }
  auto after = dk.check({"diff", cid});
  if (!after) {
    spdlog::warn("docker builder: container {}: {}", short_id, after.error().message);
    return false;
  }
  for (const auto& line : lines_of(after->out)) {
    if (line != "C /tmp") {
      spdlog::info("docker builder: container {} discarded: still differs from its image after cleaning: {}", short_id,
                   line);
      return false;
    }
  }
  return true;
}

void DockerBuilder::give_back(const std::string& id, const std::string& cid, bool reusable) {
  {
    std::lock_guard lock(mu_);
    ++cleaning_[id];
    ++cleaning_total_;
  }
  auto work = [this, id, cid, reusable] {
    bool keep = reusable && clean_container(cid);
    if (keep) {
      std::lock_guard lock(mu_);
      auto& list = idle_[id];
      keep = list.size() < max_idle_;
      if (keep) list.push_back(cid);
    }
    if (!keep) remove_containers({cid});
    // Notified under the lock: once it is released the destructor may run.
    std::lock_guard lock(mu_);
    --cleaning_[id];
    --cleaning_total_;
    cv_.notify_all();
  };
  try {
    std::thread(work).detach();
  } catch (const std::system_error&) {
    work();  // no thread to be had: clean up on the job's own
  }
}

Expected<SandboxResult> DockerBuilder::run(const SandboxJob& job) {
  SCCACHE_TRY(prepared, prepare_job(job));
  SCCACHE_TRY(cid, take_container(job.toolchain_id, job.toolchain_archive));
  // Whatever happens below, the container goes back: to the pool once the job is over and read.
  bool reusable = false;
  struct GiveBack {
    DockerBuilder* builder;
    const std::string& id;
    const std::string& cid;
    const bool& reusable;
    ~GiveBack() { builder->give_back(id, cid, reusable); }
  } give_back_guard{this, job.toolchain_id, cid, reusable};

  Docker dk{docker_};
  if (prepared.inputs_fd) SCCACHE_TRY_STATUS(dk.check({"cp", "-", cid + ":/"}, prepared.inputs_fd->get()));
  prepared.mkdir[1] = cid;
  SCCACHE_TRY_STATUS(dk.check(prepared.mkdir));
  std::optional<std::chrono::milliseconds> limit;
  if (job.timeout.count() > 0 && job.timeout < std::chrono::hours(24 * 365 * 100)) limit = job.timeout;
  SCCACHE_TRY(ran, dk(exec_args(job, cid), -1, limit, job.max_output_size));
  if (ran.too_large) return over_cap(job);  // the container is removed, with whatever still runs
  SandboxResult result;
  result.stdout_data = std::move(ran.out);
  result.stderr_data = std::move(ran.err);
  if (ran.timed_out) {
    // The job still runs in the container: removing the container stops it.
    result.timed_out = true;
    result.signal = SIGKILL;
    return result;
  }
  if (ran.signal != 0) return make_error("the docker CLI running the job died of signal " + std::to_string(ran.signal));
  result.exit_code = ran.exit_code;
  // Nothing the job started outlives it (and the outputs are read as it left them).
  SCCACHE_TRY_STATUS(dk.check({"exec", cid, "/busybox", "kill", "-9", "-1"}));
  SCCACHE_TRY_STATUS(read_outputs(dk, cid, job, prepared.output_abs, result));
  reusable = true;
  return result;
}

}  // namespace sccache::dist
