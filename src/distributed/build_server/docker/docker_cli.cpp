#include "distributed/build_server/docker/docker_cli.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): not declared by every libc header

namespace sccache::dist::docker {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

std::vector<std::string> server_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

Expected<Cmd> run_cmd(const std::vector<std::string>& argv, int in_fd, std::optional<std::chrono::milliseconds> timeout,
                      uint64_t max_out) {
  ProcessSpec spec{argv, server_environment(), "", std::nullopt};
  spec.stdin_fd = in_fd;
  spec.timeout = timeout;
  spec.max_output = max_out;
  spec.default_signals = true;
  SystemProcessRunner runner;
  SCCACHE_TRY(ran, runner.run(spec));
  if (ran.status_lost) return make_error("waitpid: " + errno_text(ECHILD) + " (is SIGCHLD ignored?)");
  Cmd result;
  result.exit_code = ran.exit_code;
  result.signal = ran.signal;
  result.timed_out = ran.timed_out;
  result.too_large = ran.output_exceeded;
  result.out = std::move(ran.stdout_data);
  result.err = std::move(ran.stderr_data);
  return result;
}

Expected<Cmd> Docker::operator()(std::vector<std::string> args, int in_fd,
                                 std::optional<std::chrono::milliseconds> timeout, uint64_t max_out) const {
  args.insert(args.begin(), exe);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_cmd(args, in_fd, timeout, max_out);
  spdlog::debug(
      "docker builder: `docker {}` took {} ms", args.size() > 1 ? args[1] : "",
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  return r;
}

Expected<Cmd> Docker::check(const std::vector<std::string>& args, int in_fd,
                            std::optional<std::chrono::milliseconds> timeout) const {
  auto r = (*this)(args, in_fd, timeout);
  if (!r) return r.error();
  if (!r->ok()) return make_error(describe(args, *r));
  return r;
}

std::string Docker::describe(const std::vector<std::string>& args, const Cmd& r) {
  std::string what = "`docker";
  for (size_t i = 0; i < args.size() && i < 6; ++i)
    what += " " + (args[i].size() > 80 ? args[i].substr(0, 77) + "..." : args[i]);
  if (args.size() > 6) what += " ...";
  what += "` ";
  if (r.timed_out) return what + "timed out";
  if (r.signal != 0) return what + "was killed by signal " + std::to_string(r.signal);
  return what + "exited " + std::to_string(r.exit_code) + ": " + first_line(r.err.empty() ? r.out : r.err);
}

Expected<UniqueFd> memory_file(std::string_view data) {
  UniqueFd fd(::memfd_create("sccache-docker-stdin", MFD_CLOEXEC));
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
  const char* env_path = std::getenv("PATH");
  return find_in_path(name, env_path != nullptr && *env_path != '\0' ? env_path : "/usr/local/bin:/usr/bin:/bin",
                      current_dir());
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::string first_line(const std::string& text) {
  std::string t = trim(text);
  auto nl = t.find('\n');
  return nl == std::string::npos ? t : t.substr(0, nl) + " ...";
}

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

}  // namespace sccache::dist::docker
