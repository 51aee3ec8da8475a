#include "distributed/build_server/overlay/job_setup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "distributed/build_server/overlay/in_root.hpp"
#include "util/fs.hpp"

namespace sccache::dist::overlay {

namespace {

// The job's own paths: absolute, no NUL, nothing under /proc or /dev (the sandbox replaces them).
Status check_paths(const SandboxJob& job, JobFiles& files) {
  if (job.cwd.empty() || job.cwd[0] != '/') return make_error("the job's cwd must be absolute: `" + job.cwd + "`");
  if (job.executable.empty()) return make_error("the job has no executable");
  std::vector<std::string> all_paths{job.cwd};
  for (const auto& in : job.inputs) {
    if (in.path.empty() || in.path[0] != '/') return make_error("input path must be absolute: `" + in.path + "`");
    all_paths.push_back(in.path);
  }
  for (const auto& out : job.outputs) {
    files.output_abs.push_back(absolute_from(job.cwd, out));
    all_paths.push_back(files.output_abs.back());
  }
  for (const auto& p : all_paths) {
    if (has_nul(p)) return make_error("a job path contains a NUL byte");
    std::string top = top_component(p);
    if (top == "proc" || top == "dev") {
      std::string message = "job path `";
      message.append(p).append("` is under /").append(top).append(", which the sandbox replaces");
      return make_error(std::move(message));
    }
    files.under_tmp = files.under_tmp || top == "tmp";
  }
  if (has_nul(job.executable) || std::any_of(job.args.begin(), job.args.end(), has_nul)) {
    return make_error("the job's command line contains a NUL byte");
  }
  return Ok{};
}

// The directories to make (cwd, the outputs' and the inputs' parents) and the inputs to write.
Status plan_dirs(const SandboxJob& job, JobFiles& files) {
  std::set<std::string> planned;
  auto plan_dir = [&](const std::string& abs_dir) {
    auto parts = components(abs_dir);
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string path = join_components(parts, i + 1);
      if (planned.insert(path).second) files.mkdirs.push_back({join_components(parts, i), parts[i], path});
    }
    return join_components(parts, parts.size());
  };
  files.check_dirs.push_back(plan_dir(job.cwd));
  for (const auto& out : files.output_abs) files.check_dirs.push_back(plan_dir(dirname_of(out)));
  for (const auto& in : job.inputs) {
    auto parts = components(in.path);
    if (parts.empty() || parts.back() == "..") return make_error("input path is not a file path: `" + in.path + "`");
    std::string name = parts.back();
    parts.pop_back();
    std::string parent = join_components(parts, parts.size());
    plan_dir("/" + parent);
    files.inputs.push_back({parent, name, &in.data, static_cast<mode_t>(in.mode & 0777)});
  }
  return Ok{};
}

// ---- the child: between fork and exec, so only system calls ----

[[noreturn]] void child_fail(const ChildPlan& p, Stage stage, size_t index, int err) {
  ChildMessage m{stage, static_cast<int32_t>(index), err};
  ssize_t ignored = ::write(p.status_fd, &m, sizeof m);
  (void)ignored;
  ::_exit(127);
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// /tmp (when the job's paths are there), the planned directories, then the checks.
void make_dirs_in_root(const ChildPlan& p, int root) {
  const JobFiles& f = *p.files;
  if (f.under_tmp) {
    if (::mkdirat(root, "tmp", 01777) != 0 && errno != EEXIST) child_fail(p, kMakeTmp, 0, errno);
    int fd = open_in_root(root, "tmp", O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ::fchmod(fd, 01777) != 0) child_fail(p, kMakeTmp, 0, errno);
    ::close(fd);
  }
  for (size_t i = 0; i < f.mkdirs.size(); ++i) {
    const MkdirStep& s = f.mkdirs[i];
    int parent = open_in_root(root, s.parent.c_str(), O_PATH | O_DIRECTORY);
    if (parent < 0) child_fail(p, kMkdir, i, errno);
    // EEXIST also for a symlink: the check below (and later steps) resolve it inside the root.
    if (::mkdirat(parent, s.name.c_str(), 0755) != 0 && errno != EEXIST) child_fail(p, kMkdir, i, errno);
    ::close(parent);
  }
  for (size_t i = 0; i < f.check_dirs.size(); ++i) {
    int fd = open_in_root(root, f.check_dirs[i].c_str(), O_PATH | O_DIRECTORY);
    if (fd < 0) child_fail(p, kCheckDir, i, errno);
    ::close(fd);
  }
}

void write_inputs(const ChildPlan& p, int root) {
  const auto& inputs = p.files->inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ChildInput& in = inputs[i];
    int parent = open_in_root(root, in.parent.c_str(), O_PATH | O_DIRECTORY);
    if (parent < 0) child_fail(p, kInputParent, i, errno);
    int fd = ::openat(parent, in.name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) child_fail(p, kInputOpen, i, errno);
    if (!write_all(fd, in.data->data(), in.data->size()) || ::fchmod(fd, in.mode) != 0 || ::close(fd) != 0) {
      child_fail(p, kInputWrite, i, errno);
    }
    ::close(parent);
  }
}

}  // namespace

Expected<JobFiles> plan_job_files(const SandboxJob& job) {
  JobFiles files;
  auto toolchain = real_path(job.toolchain_dir);
  struct stat st {};
  if (job.toolchain_dir.empty() || !toolchain || ::stat(toolchain->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error("toolchain directory `" + job.toolchain_dir + "` does not exist");
  }
  files.toolchain = *toolchain;
  SCCACHE_TRY_STATUS(check_paths(job, files));
  SCCACHE_TRY_STATUS(plan_dirs(job, files));
  return files;
}

void setup_job_root(const ChildPlan& p) {
  if (::unshare(CLONE_NEWNS) != 0) child_fail(p, kUnshare, 0, errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(p, kPrivate, 0, errno);
  if (::mount("overlay", p.target, "overlay", 0, p.overlay_options) != 0) child_fail(p, kMount, 0, errno);
  int root = ::open(p.target, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) child_fail(p, kOpenTarget, 0, errno);
  make_dirs_in_root(p, root);
  write_inputs(p, root);
  ::close(root);

  ChildMessage ready{};
  if (!write_all(p.status_fd, reinterpret_cast<const char*>(&ready), sizeof ready)) ::_exit(126);
  char go = 0;
  ssize_t got;
  do {
    got = ::read(p.go_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) ::_exit(126);  // the parent gave up on this job
}

bool read_message(int fd, ChildMessage& m) {
  char* p = reinterpret_cast<char*>(&m);
  size_t got = 0;
  while (got < sizeof m) {
    ssize_t n = ::read(fd, p + got, sizeof m - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

std::string describe_failure(const ChildMessage& m, const SandboxJob& job, const JobFiles& files,
                             const std::string& target) {
  auto idx = static_cast<size_t>(std::max(m.index, 0));
  std::string what;
  switch (m.stage) {
    case kUnshare: what = "unshare(CLONE_NEWNS)"; break;
    case kPrivate: what = "making / private in the job's mount namespace"; break;
    case kMount: what = "mounting overlayfs (lower " + files.toolchain + ") on " + target; break;
    case kOpenTarget: what = "opening " + target; break;
    case kMakeTmp: what = "creating /tmp in the sandbox"; break;
    case kMkdir: what = "creating directory /" + (idx < files.mkdirs.size() ? files.mkdirs[idx].path : ""); break;
    case kCheckDir:
      what = "directory /" + (idx < files.check_dirs.size() ? files.check_dirs[idx] : "") + " in the sandbox";
      break;
    case kInputParent:
    case kInputOpen:
    case kInputWrite: what = "writing input " + (idx < job.inputs.size() ? job.inputs[idx].path : ""); break;
    default: what = "stage " + std::to_string(m.stage); break;
  }
  return "sandbox setup failed: " + what + ": " + std::strerror(m.err);
}

}  // namespace sccache::dist::overlay
