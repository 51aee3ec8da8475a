#include "distributed/build_server/docker/docker_builder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
#include "distributed/build_server/toolchain_cache.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): not declared by every libc header

namespace sccache::dist {

namespace {

constexpr std::string_view kPrefix = "sccache-builder-";
constexpr const char* kBaseImage = "sccache-builder-base";
constexpr std::chrono::seconds kCmdTimeout{120};       // every docker call but the job and imports
constexpr std::chrono::seconds kImportTimeout{900};    // docker cp of a toolchain archive
constexpr std::chrono::seconds kPoolWait{5};           // a job waits this long for a container being cleaned
constexpr std::chrono::milliseconds kKillGrace{5000};  // reading a killed CLI's pipes
constexpr uint64_t kMaxCmdOutput = 64ULL << 20;        // what docker's own commands may print
constexpr int kNotRegular = 42;                        // exit code of the output reader: not a regular file
// PID 1 of a pooled container: a shell (it reaps the orphans of jobs) around a long sleep that
// `kill -9 -1` may kill between jobs.
constexpr const char* kIdleLoop = "while :; do /busybox sleep 31536000; done";
constexpr const char* kRunScript = R"(cd "$1" && shift && exec "$@")";
constexpr const char* kCatScript = R"([ -f "$1" ] || exit 42; exec /busybox cat -- "$1")";

std::string errno_text(int e) { return std::strerror(e); }

using Fd = UniqueFd;

struct Cmd {
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  bool too_large = false;  // stdout + stderr passed the limit: the CLI was killed
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return signal == 0 && !timed_out && exit_code == 0; }
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
  return s.substr(i);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Runs argv (argv[0] absolute) with the server's environment, stdin from `in_fd` (-1: /dev/null)
// and stdout/stderr captured. After `timeout` (none: no limit), or once stdout + stderr hold
// more than `max_out` bytes, it is killed with SIGKILL.
Expected<Cmd> run_cmd(const std::vector<std::string>& argv, int in_fd,
                      std::optional<std::chrono::milliseconds> timeout, uint64_t max_out) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd out_r(out_pipe[0]);
  Fd out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
  Fd err_r(err_pipe[0]);
  Fd err_w(err_pipe[1]);
  Fd devnull;
  if (in_fd < 0) {
    devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull.get() < 0) return make_error("/dev/null: " + errno_text(errno));
    in_fd = devnull.get();
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  // dup2 clears close-on-exec on the copies; every other descriptor of ours is O_CLOEXEC.
  ::posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  out_w.reset();
  err_w.reset();
  devnull.reset();
  if (rc != 0) return make_error("cannot run " + argv[0] + ": " + errno_text(rc));

  using Clock = std::chrono::steady_clock;
  Cmd result;
  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = start + *timeout;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  char buf[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) {
        if (result.timed_out) break;  // the killed CLI's pipes are still held open: give up on them
        ::kill(pid, SIGKILL);
        result.timed_out = true;
        deadline = Clock::now() + kKillGrace;
        continue;
      }
      wait_ms = static_cast<int>(std::min<long long>(left + 1, 1 << 30));
    }
    int r = ::poll(fds, 2, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        continue;
      }
      (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
      if (result.out.size() + result.err.size() > max_out) {
        ::kill(pid, SIGKILL);
        result.too_large = true;
        fds[0].fd = fds[1].fd = -1;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error("waitpid: " + errno_text(errno) + " (is SIGCHLD ignored?)");
  }
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

// A memory file holding `data`, positioned at its start (stdin for docker cp and docker import).
Expected<Fd> memory_file(std::string_view data) {
  Fd fd(::memfd_create("sccache-docker-stdin", MFD_CLOEXEC));
  if (fd.get() < 0) return make_error("memfd_create: " + errno_text(errno));
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("writing a memory file: " + errno_text(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return make_error("lseek: " + errno_text(errno));
  return fd;
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return std::nullopt;
    return absolute_from(current_dir(), name);
  }
  const char* env_path = std::getenv("PATH");
  std::string path = env_path != nullptr && *env_path != '\0' ? env_path : "/usr/local/bin:/usr/bin:/bin";
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string candidate = absolute_from(current_dir(), join_path(dir, name));
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    i = j + 1;
  }
  return std::nullopt;
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::string first_line(const std::string& text) {
  std::string t = trim(text);
  auto nl = t.find('\n');
  return nl == std::string::npos ? t : t.substr(0, nl) + " ...";
}

}  // namespace

// ---- docker calls ----

namespace {

struct Docker {
  const std::string& exe;

  Expected<Cmd> operator()(std::vector<std::string> args, int in_fd = -1,
                           std::optional<std::chrono::milliseconds> timeout = kCmdTimeout,
                           uint64_t max_out = kMaxCmdOutput) const {
    args.insert(args.begin(), exe);
    const auto start = std::chrono::steady_clock::now();
    auto r = run_cmd(args, in_fd, timeout, max_out);
    spdlog::debug(
        "docker builder: `docker {}` took {} ms", args.size() > 1 ? args[1] : "",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
    return r;
  }

  // Runs and requires exit 0; the error names the command and quotes docker's stderr.
  Expected<Cmd> check(const std::vector<std::string>& args, int in_fd = -1,
                      std::optional<std::chrono::milliseconds> timeout = kCmdTimeout) const {
    auto r = (*this)(args, in_fd, timeout);
    if (!r) return r.error();
    if (!r->ok()) return make_error(describe(args, *r));
    return r;
  }

  static std::string describe(const std::vector<std::string>& args, const Cmd& r) {
    std::string what = "`docker";
    for (size_t i = 0; i < args.size() && i < 6; ++i)
      what += " " + (args[i].size() > 80 ? args[i].substr(0, 77) + "..." : args[i]);
    if (args.size() > 6) what += " ...";
    what += "` ";
    if (r.timed_out) return what + "timed out";
    if (r.signal != 0) return what + "was killed by signal " + std::to_string(r.signal);
    return what + "exited " + std::to_string(r.exit_code) + ": " + first_line(r.err.empty() ? r.out : r.err);
  }
};

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
  auto docker = find_program(options.docker);
  if (!docker) {
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
  std::unique_ptr<DockerBuilder> builder(new DockerBuilder(*docker, max_idle));
  Docker dk{builder->docker_};

  const char* host = std::getenv("DOCKER_HOST");
  std::string where = host != nullptr && *host != '\0' ? std::string("DOCKER_HOST=") + host : "the default socket";
  auto version = dk({"version", "--format", "{{.Server.Version}}"});
  if (!version) return make_error("cannot run the docker CLI " + *docker + ": " + version.error().message);
  if (!version->ok()) {
    return make_error("the docker builder cannot reach dockerd at " + where +
                      " (is dockerd running?): " + Docker::describe({"version"}, *version));
  }

  // Leftovers of an earlier build server: containers first (they hold their images).
  SCCACHE_TRY(ps, dk.check({"ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Names}}\t{{.Image}}"}));
  std::vector<std::string> stale;
  for (const auto& line : lines_of(ps.out)) {
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
    if (ours) stale.push_back(line.substr(0, t1));
  }
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

  // The base image: /busybox and /tmp, nothing pulled.
  SCCACHE_TRY(base_tar, make_tar_gz({{"busybox", busybox, 0755}, {"tmp", "", S_IFDIR | 01777}}));
  SCCACHE_TRY(base_fd, memory_file(base_tar));
  SCCACHE_TRY_STATUS(dk.check({"import", "-", kBaseImage}, base_fd.get()));
  auto probe =
      dk({"run", "--rm", "--pull", "never", "--network", "none", "--cap-drop", "ALL", kBaseImage, "/busybox", "true"});
  if (!probe) return probe.error();
  if (!probe->ok()) {
    return make_error("a container of the docker builder's base image does not run (" + options.busybox +
                      " must be a statically linked busybox, as Debian's busybox-static installs): " +
                      Docker::describe({"run", kBaseImage, "/busybox", "true"}, *probe));
  }
  spdlog::info(
      "docker builder: dockerd {} at {}, CLI {}, base image {} (busybox {}), up to {} idle containers per toolchain",
      trim(version->out), where, *docker, kBaseImage, options.busybox, max_idle);
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
  std::vector<std::string> output_abs;
  std::vector<std::string> mkdir{"exec", "", "/busybox", "mkdir", "-p", "--", job.cwd};
  for (const auto& out : job.outputs) {
    if (has_nul(out)) return make_error("an output path contains a NUL byte");
    output_abs.push_back(absolute_from(job.cwd, out));
    std::string parent = dirname_of(output_abs.back());
    if (std::find(mkdir.begin() + 6, mkdir.end(), parent) == mkdir.end()) mkdir.push_back(parent);
  }
  std::optional<Fd> inputs_fd;
  if (!files.empty()) {
    SCCACHE_TRY(tar, make_tar_gz(files));
    SCCACHE_TRY(fd, memory_file(tar));
    inputs_fd = std::move(fd);
  }

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
  if (inputs_fd) SCCACHE_TRY_STATUS(dk.check({"cp", "-", cid + ":/"}, inputs_fd->get()));
  mkdir[1] = cid;
  SCCACHE_TRY_STATUS(dk.check(mkdir));

  std::vector<std::string> args{"exec"};
  for (const auto& [k, v] : job.env) {
    if (k.empty() || k.find('=') != std::string::npos || has_nul(k) || has_nul(v)) continue;
    args.insert(args.end(), {"-e", k + "=" + v});
  }
  args.insert(args.end(), {cid, "/busybox", "sh", "-c", kRunScript, "sh", job.cwd, job.executable});
  args.insert(args.end(), job.args.begin(), job.args.end());
  std::optional<std::chrono::milliseconds> limit;
  if (job.timeout.count() > 0 && job.timeout < std::chrono::hours(24 * 365 * 100)) limit = job.timeout;
  const auto over_cap = [&] {
    return make_error("the job's stdout, stderr and outputs exceed max_job_output_size (" +
                      std::to_string(job.max_output_size) + " bytes)");
  };
  SCCACHE_TRY(ran, dk(args, -1, limit, job.max_output_size));
  if (ran.too_large) return over_cap();  // the container is removed, with whatever still runs
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
  uint64_t used = result.stdout_data.size() + result.stderr_data.size();
  for (size_t i = 0; i < job.outputs.size(); ++i) {
    std::vector<std::string> cat{"exec", cid, "/busybox", "sh", "-c", kCatScript, "sh", output_abs[i]};
    SCCACHE_TRY(read, dk(cat, -1, kCmdTimeout, job.max_output_size - used));
    if (read.too_large || used + read.out.size() > job.max_output_size) return over_cap();
    used += read.out.size();
    if (read.ok()) {
      result.outputs.emplace_back(job.outputs[i], std::move(read.out));
    } else if (read.timed_out || read.signal != 0 || read.exit_code != kNotRegular) {
      return make_error("reading output " + output_abs[i] + ": " + Docker::describe(cat, read));
    }
  }
  reusable = true;
  return result;
}

}  // namespace sccache::dist
