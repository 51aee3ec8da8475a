#include "client/client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cache/storage_backend.hpp"
#include "client/connection.hpp"
#include "distributed/client/toolchain_pkg.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace sccache {

namespace {

constexpr const char* kVersion = "sccache 0.2.10 (sccache-cpp 0.1.0)";

const char* kUsage =
    "sccache 0.2.10 (sccache-cpp)\n"
    "Shared compilation cache\n"
    "\n"
    "USAGE:\n"
    "    sccache [FLAGS] [OPTIONS] [cmd]...\n"
    "\n"
    "FLAGS:\n"
    "    -h, --help            Prints help information\n"
    "    -s, --show-stats      show cache statistics\n"
    "        --start-server    start background server\n"
    "        --stop-server     stop background server\n"
    "    -V, --version         Prints version information\n"
    "    -z, --zero-stats      zero statistics counters\n"
    "        --dist-status     show status of the distributed client\n"
    "\n"
    "OPTIONS:\n"
    "        --package-toolchain <executable> <out>    package toolchain for distributed compilation\n"
    "        --stats-format <stats-format>             set output format of statistics [default: text]\n"
    "                                                  [possible values: text, json]\n"
    "\n"
    "ARGS:\n"
    "    <cmd>...\n"
    "\n"
    "Enabled features:\n";

// The usage text, with the feature list derived from the storage backend table.
std::string help_text() {
  std::string out = kUsage;
  for (const StorageBackend* backend : storage_backends()) {
    std::string label = std::string(backend->name) + ":";
    label.resize(std::max<size_t>(label.size() + 1, 11), ' ');
    out += "    " + label + (backend->create != nullptr ? "true" : "false") + "\n";
  }
  return out;
}

int usage_error(const std::string& msg) {
  std::cout << "sccache: " << msg << "\n\n" << help_text();
  return 1;
}

int runtime_error(const std::string& msg) {
  std::cerr << "error: " << msg << "\n";
  return 2;
}

std::string self_real_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return real_path(buf).value_or(buf);
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

void write_all(FILE* f, const std::string& data) {
  if (!data.empty()) std::fwrite(data.data(), 1, data.size(), f);
  std::fflush(f);
}

bool keep_color(WireColor mode, int fd, const EnvMap& env) {
  if (mode == WireColor::on) return true;
  if (mode == WireColor::off) return false;
  auto term = env.find("TERM");
  return ::isatty(fd) != 0 && (term == env.end() || term->second != "dumb");
}

[[noreturn]] void run_locally(const std::string& compiler, const std::string& argv0, const std::vector<std::string>& args) {
  std::vector<std::string> argv{argv0};
  argv.insert(argv.end(), args.begin(), args.end());
  std::fflush(nullptr);
  Error e = exec_replace(compiler, argv);
  std::cerr << "error: " << e.message << "\n";
  std::exit(2);
}

// sccache --package-toolchain <executable> <out> (SPEC 7.7): the same packager as for dist compiles.
// A bare name is looked up in PATH, like a compiler to wrap.
int package_toolchain(const EnvMap& env, const std::string& executable, const std::string& out) {
  auto path_it = env.find("PATH");
  std::string exe = resolve_compiler(executable, path_it == env.end() ? "" : path_it->second, current_dir(), "");
  if (exe.empty()) return runtime_error("failed to package toolchain: compiler `" + executable + "` not found");
  auto flavor = dist::detect_toolchain_flavor(exe);
  if (!flavor) return runtime_error("failed to package toolchain: " + flavor.error().message);
  auto archive = dist::package_toolchain(exe, *flavor);
  if (!archive) return runtime_error("failed to package toolchain: " + archive.error().message);
  auto written = write_file_atomic(absolute_from(current_dir(), out), *archive, 0644);
  if (!written) return runtime_error("failed to write toolchain: " + written.error().message);
  return 0;
}

int compile(const Config& cfg, const EnvMap& env, const std::string& name, const std::vector<std::string>& args) {
  std::string cwd = current_dir();
  auto path_it = env.find("PATH");
  std::string compiler = resolve_compiler(name, path_it == env.end() ? "" : path_it->second, cwd, self_real_path());
  if (compiler.empty()) return runtime_error("failed to execute compile: compiler `" + name + "` not found");

  CompileRequest req;
  req.exe = compiler;
  req.cwd = cwd;
  req.args = args;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) req.env.emplace_back(*e);
  mode_t mask = ::umask(022);
  ::umask(mask);
  req.umask = mask;
  req.stderr_is_tty = ::isatty(2) != 0;

  ConnectFailure kind = ConnectFailure::other;
  auto conn = connect_or_start(cfg, env, &kind);
  if (!conn) {
    std::cerr << "sccache: warning: " << conn.error().message << "; compiling without the cache\n";
    run_locally(compiler, compiler, args);
  }
  auto response = conn->request(req);
  if (!response) {
    std::cerr << "sccache: warning: the server stopped answering (" << response.error().message
              << "); compiling locally\n";
    run_locally(compiler, compiler, args);
  }
  if (const auto* done = std::get_if<CompileFinished>(&*response)) {
    write_all(stdout, keep_color(done->color, 1, env) ? done->stdout_data : strip_ansi(done->stdout_data));
    write_all(stderr, keep_color(done->color, 2, env) ? done->stderr_data : strip_ansi(done->stderr_data));
    if (done->signal != 0) {
      std::printf("Compiler killed by signal %d\n", done->signal);
      return 254;
    }
    return done->exit_code;
  }
  if (const auto* err = std::get_if<ErrorResponse>(&*response)) {
    std::cerr << "sccache: warning: server error: " << err->message << "; compiling locally\n";
  }
  run_locally(compiler, compiler, args);
}

Expected<ServerInfo> stats_request(const Config& cfg, const EnvMap& env, const Request& req, bool autostart) {
  ConnectFailure kind = ConnectFailure::other;
  auto conn = autostart ? connect_or_start(cfg, env, &kind) : connect_server(cfg, &kind);
  if (!conn) return conn.error();
  SCCACHE_TRY(resp, conn->request(req));
  if (auto* s = std::get_if<StatsResponse>(&resp)) return s->info;
  if (auto* s = std::get_if<ShuttingDownResponse>(&resp)) return s->info;
  if (auto* e = std::get_if<ErrorResponse>(&resp)) return make_error(e->message);
  return make_error("unexpected response from server");
}

}  // namespace

std::string strip_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char kind = text[i + 1];
    if (kind == '[') {  // CSI: parameters then one final byte in 0x40..0x7e
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;
    } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
      size_t j = i + 2;
      while (j < text.size() && text[j] != '\x07' && !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\')) ++j;
      i = (j < text.size() && text[j] == '\x1b') ? j + 1 : j;
    } else {
      i += 1;
    }
  }
  return out;
}

std::string resolve_compiler(const std::string& name, const std::string& path_env, const std::string& cwd,
                             const std::string& self_real) {
  auto is_self = [&](const std::string& p) { return !self_real.empty() && real_path(p).value_or("") == self_real; };
  if (name.find('/') != std::string::npos) {
    std::string p = absolute_from(cwd, name);
    return is_executable_file(p) && !is_self(p) ? p : "";
  }
  for (const auto& dir : split(path_env, ':')) {
    std::string p = join_path(dir.empty() ? cwd : absolute_from(cwd, dir), name);
    if (is_executable_file(p) && !is_self(p)) return p;
  }
  return "";
}

namespace {

enum class Cmd { none, show_stats, zero_stats, start, stop, dist_status, package_toolchain, compile };

// The command line of `sccache <options>`, as clap reads it in sccache.
struct CliCommand {
  Cmd cmd = Cmd::none;
  int commands = 0;
  std::string format = "text";
  std::string package_exe;
  std::string package_out;
  size_t compile_at = 0;  // with Cmd::compile: the index of the compiler in the arguments
};

// The commands that take no value: `--show-stats` -> show_stats, ...
Cmd flag_command(const std::string& a) {
  if (a == "-s" || a == "--show-stats") return Cmd::show_stats;
  if (a == "-z" || a == "--zero-stats") return Cmd::zero_stats;
  if (a == "--start-server") return Cmd::start;
  if (a == "--stop-server") return Cmd::stop;
  if (a == "--dist-status") return Cmd::dist_status;
  return Cmd::none;
}

// One option at args[i] (i moves past its values); an exit code ends the parse.
std::optional<int> parse_option(CliCommand& cli, const std::vector<std::string>& args, size_t& i) {
  const std::string& a = args[i];
  if (a == "-h" || a == "--help") {
    std::cout << help_text();
    return 0;
  }
  if (a == "-V" || a == "--version") {
    std::cout << kVersion << "\n";
    return 0;
  }
  if (Cmd c = flag_command(a); c != Cmd::none) {
    cli.cmd = c;
    ++cli.commands;
  } else if (a == "--package-toolchain") {
    if (i + 2 >= args.size()) return usage_error("The argument '--package-toolchain <executable> <out>' requires 2 values");
    cli.package_exe = args[++i];
    cli.package_out = args[++i];
    cli.cmd = Cmd::package_toolchain;
    ++cli.commands;
  } else if (a == "--stats-format" || a.rfind("--stats-format=", 0) == 0) {
    if (a == "--stats-format") {
      if (i + 1 >= args.size()) return usage_error("The argument '--stats-format <stats-format>' requires a value");
      cli.format = args[++i];
    } else {
      cli.format = a.substr(15);
    }
    if (cli.format != "text" && cli.format != "json") {
      return usage_error("'" + cli.format + "' isn't a valid value for '--stats-format <stats-format>' [possible values: json, text]");
    }
  } else {
    return usage_error("Found argument '" + a + "' which wasn't expected");
  }
  return std::nullopt;
}

int stats_command(const Config& cfg, const EnvMap& env, const CliCommand& cli) {
  Request req = cli.cmd == Cmd::show_stats ? Request{GetStatsRequest{}} : Request{ZeroStatsRequest{}};
  auto info = stats_request(cfg, env, req, true);
  if (!info) return runtime_error("failed to get stats from server: " + info.error().message);
  if (cli.cmd == Cmd::show_stats && cli.format == "json") {
    std::cout << format_stats_json(*info);
  } else {
    std::cout << format_stats_text(*info);
  }
  std::cout.flush();
  return 0;
}

int start_command(const EnvMap& env) {
  std::cout << "Starting sccache server..." << std::endl;
  auto port = start_server(env);
  if (!port) return runtime_error("Server startup failed: " + port.error().message);
  if (*port != 4226 && *port != 0) std::cout << "Listening on port " << *port << "\n";
  return 0;
}

int stop_command(const Config& cfg, const EnvMap& env) {
  std::cout << "Stopping sccache server..." << std::endl;
  auto info = stats_request(cfg, env, Request{ShutdownRequest{}}, false);
  if (!info) return runtime_error("couldn't connect to server: " + info.error().message);
  std::cout << format_stats_text(*info);
  return 0;
}

int dist_status_command(const Config& cfg, const EnvMap& env) {
  ConnectFailure kind = ConnectFailure::other;
  auto conn = connect_or_start(cfg, env, &kind);
  if (!conn) return runtime_error("couldn't connect to server: " + conn.error().message);
  auto resp = conn->request(Request{DistStatusRequest{}});
  if (!resp) return runtime_error("couldn't connect to server: " + resp.error().message);
  const auto* d = std::get_if<DistStatusResponse>(&*resp);
  if (d == nullptr) return runtime_error("unexpected response from server");
  std::cout << d->json;
  std::cout.flush();
  return 0;
}

}  // namespace

int client_main(int argc, char** argv, const EnvMap& env) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string argv0 = argc > 0 ? basename_of(argv[0]) : "sccache";
  std::string stem = to_lower(argv0.substr(0, argv0.find('.')));
  auto cfg = load_config(env);
  if (stem != "sccache") {
    if (!cfg) return runtime_error(cfg.error().message);
    return compile(*cfg, env, argv0, args);
  }
  CliCommand cli;
  size_t i = 0;
  for (; i < args.size() && !args[i].empty() && args[i][0] == '-'; ++i) {
    if (auto exit_code = parse_option(cli, args, i)) return *exit_code;
  }
  if (i < args.size()) {
    cli.cmd = Cmd::compile;
    cli.compile_at = i;
    ++cli.commands;
  }
  if (cli.commands > 1) return usage_error("Too many commands specified");
  if (cli.commands == 0) return usage_error("No command specified");
  // Packaging needs no configuration.
  if (cli.cmd == Cmd::package_toolchain) return package_toolchain(env, cli.package_exe, cli.package_out);
  if (!cfg) return runtime_error(cfg.error().message);
  switch (cli.cmd) {
    case Cmd::compile:
      return compile(*cfg, env, args[i], std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end()));
    case Cmd::show_stats:
    case Cmd::zero_stats: return stats_command(*cfg, env, cli);
    case Cmd::start: return start_command(env);
    case Cmd::stop: return stop_command(*cfg, env);
    case Cmd::dist_status: return dist_status_command(*cfg, env);
    case Cmd::package_toolchain:
    case Cmd::none: break;
  }
  return usage_error("No command specified");
}

}  // namespace sccache
