#include "distributed/build_server/overlay/in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "util/unique_fd.hpp"

namespace sccache::dist::overlay {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    i = j + 1;
  }
  return out;
}

std::string join_components(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

std::string top_component(const std::string& abs_path) {
  auto norm = std::filesystem::path(abs_path).lexically_normal();
  auto it = norm.begin();
  if (it != norm.end() && it->string() == "/") ++it;
  return it == norm.end() ? std::string() : it->string();
}

std::string escape_overlay_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ',' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.mode = 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

int open_in_root(int root_fd, const char* rel, uint64_t flags) {
  return sys_openat2(root_fd, (rel == nullptr || *rel == '\0') ? "." : rel, flags | O_CLOEXEC,
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
}

Expected<std::optional<std::string>> read_output(int root_fd, const std::string& rel, uint64_t max) {
  // O_NONBLOCK: a FIFO planted as an output must not block the server; regular files ignore it.
  UniqueFd fd(open_in_root(root_fd, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return std::optional<std::string>();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::optional<std::string>();
  auto too_large = [&] { return make_error("/" + rel + " is larger than what is left of max_job_output_size"); };
  if (static_cast<uint64_t>(st.st_size) > max) return too_large();
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::optional<std::string>();
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max) return too_large();  // it grew after the fstat
    data.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(data));
}

}  // namespace sccache::dist::overlay
