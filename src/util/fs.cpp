#include "util/fs.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

namespace sccache {

namespace {
std::string errno_text() { return std::strerror(errno); }

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(getpid()) + "." + std::to_string(counter++) + "." + std::to_string(rng() % 1000000);
}
}  // namespace

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<FileStat> stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStat fs;
  fs.size = static_cast<uint64_t>(st.st_size);
  fs.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  fs.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  fs.inode = st.st_ino;
  fs.mode = st.st_mode;
  return fs;
}

Expected<std::string> read_file(const std::string& path, uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return make_error("cannot open " + path + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error("cannot read " + path + ": not a regular file");
  }
  auto too_large = [&](uint64_t size) {
    ::close(fd);
    return make_error("cannot read " + path + ": " + std::to_string(size) + " bytes is more than the limit of " +
                      std::to_string(max_bytes));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large(static_cast<uint64_t>(st.st_size));
  std::string data;
  data.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = errno_text();
      ::close(fd);
      return make_error("cannot read " + path + ": " + err);
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) return too_large(data.size() + static_cast<size_t>(n));
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                         const std::string& dir_for_temp) {
  std::string dir = dir_for_temp.empty() ? dirname_of(path) : dir_for_temp;
  std::string tmp = join_path(dir, "." + basename_of(path) + ".tmp." + unique_suffix());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot create " + tmp + ": " + errno_text());
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error("cannot write " + tmp + ": " + err);
    }
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    std::string err = errno_text();
    ::unlink(tmp.c_str());
    return make_error("cannot finish " + tmp + ": " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = errno_text();
    ::unlink(tmp.c_str());
    return make_error("cannot rename into " + path + ": " + err);
  }
  return Ok{};
}

Status make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return make_error("cannot create directory " + path + ": " + ec.message());
  return Ok{};
}

std::string dirname_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string basename_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty() || (!b.empty() && b[0] == '/')) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

std::string absolute_from(const std::string& cwd, const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  return join_path(cwd, path);
}

std::optional<std::string> find_in_path(const std::string& name, const std::string& path_list, const std::string& cwd) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    std::string p = absolute_from(cwd, name);
    return executable(p) ? std::optional<std::string>(p) : std::nullopt;
  }
  for (size_t i = 0; i <= path_list.size();) {
    size_t j = std::min(path_list.find(':', i), path_list.size());
    std::string dir = path_list.substr(i, j - i);
    std::string candidate = dir.empty() ? join_path(cwd, name) : absolute_from(cwd, join_path(dir, name));
    if (executable(candidate)) return candidate;
    i = j + 1;
  }
  return std::nullopt;
}

std::optional<std::string> real_path(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  if (r == nullptr) return std::nullopt;
  std::string out(r);
  std::free(r);  // NOLINT(cppcoreguidelines-no-malloc)
  return out;
}

std::string current_dir() {
  std::error_code ec;
  auto p = std::filesystem::current_path(ec);
  return ec ? std::string(".") : p.string();
}

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  return "/";
}

Expected<std::string> make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return make_error("cannot create temp dir " + tmpl + ": " + errno_text());
  return tmpl;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace sccache

namespace sccache {

Expected<std::vector<std::string>> list_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  if (ec) return make_error("cannot list " + dir + ": " + ec.message());
  return names;
}

void write_file_stat(ByteWriter& out, const FileStat& st) {
  out.u64(st.size);
  out.u64(static_cast<uint64_t>(st.mtime_ns));
  out.u64(static_cast<uint64_t>(st.ctime_ns));
  out.u64(st.inode);
  out.u32(st.mode);
}

bool read_file_stat(ByteReader& in, FileStat& st) {
  uint64_t mtime = 0;
  uint64_t ctime = 0;
  if (!in.u64(st.size) || !in.u64(mtime) || !in.u64(ctime) || !in.u64(st.inode) || !in.u32(st.mode)) return false;
  st.mtime_ns = static_cast<int64_t>(mtime);
  st.ctime_ns = static_cast<int64_t>(ctime);
  return true;
}

}  // namespace sccache
