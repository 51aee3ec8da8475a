// sccache-dist: `scheduler`, `server` (build server) and `auth` helper subcommands (SPEC 7.6).
#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "distributed/common/auth.hpp"
#include "distributed/common/dist_config.hpp"
#include "dist_main.hpp"
#include "util/log.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage =
    "usage: sccache-dist <command> [options]\n"
    "\n"
    "commands:\n"
    "  scheduler --config PATH       run the scheduler (daemonizes unless SCCACHE_NO_DAEMON=1)\n"
    "  server --config PATH          run a build server (foreground; needs root for the sandbox)\n"
    "  auth generate-jwt-hs256-key   print a new secret key for server_auth type jwt_hs256\n"
    "  auth generate-jwt-hs256-server-token --server IP:PORT (--secret-key KEY | --config scheduler.conf)\n"
    "                                print the token a build server at IP:PORT presents to the scheduler\n"
    "  auth generate-shared-token [--bits N]\n"
    "                                print a random token (N bits, default 256) for token auth\n"
    "  --version, --help\n"
    "\n"
    "logging: SCCACHE_LOG (default info), SCCACHE_ERROR_LOG (file; default stderr)\n";

int usage_error(const std::string& message) {
  std::cerr << "sccache-dist: error: " << message << "\n\n" << kUsage;
  return 1;
}

// Options after the subcommand: --name value or --name=value.
struct Opts {
  std::map<std::string, std::string> values;
  std::string error;
};

Opts parse_opts(const std::vector<std::string>& args, size_t from, const std::vector<std::string>& known) {
  Opts o;
  for (size_t i = from; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    if (std::find(known.begin(), known.end(), a) == known.end()) {
      o.error = "unexpected argument `" + args[i] + "`";
      return o;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        o.error = a + " needs a value";
        return o;
      }
      value = args[++i];
    }
    o.values[a] = value;
  }
  return o;
}

int auth_command(const std::vector<std::string>& args) {
  using namespace sccache::dist;
  if (args.size() < 3) return usage_error("auth needs a subcommand");
  const std::string& sub = args[2];
  if (sub == "generate-jwt-hs256-key") {
    if (args.size() > 3) return usage_error("unexpected argument `" + args[3] + "`");
    std::cout << generate_jwt_hs256_key() << "\n";
    return 0;
  }
  if (sub == "generate-shared-token") {
    auto o = parse_opts(args, 3, {"--bits"});
    if (!o.error.empty()) return usage_error(o.error);
    int bits = 256;
    if (o.values.count("--bits") != 0) {
      try {
        bits = std::stoi(o.values["--bits"]);
      } catch (const std::exception&) {
        return usage_error("--bits must be a number");
      }
    }
    auto token = generate_shared_token(bits);
    if (!token) return usage_error(token.error().message);
    std::cout << *token << "\n";
    return 0;
  }
  if (sub == "generate-jwt-hs256-server-token") {
    auto o = parse_opts(args, 3, {"--server", "--secret-key", "--config"});
    if (!o.error.empty()) return usage_error(o.error);
    if (o.values.count("--server") == 0) return usage_error("--server IP:PORT is required");
    if (auto addr = parse_socket_addr(o.values["--server"]); !addr) return usage_error("--server: " + addr.error().message);
    std::string key;
    if (o.values.count("--secret-key") != 0 && o.values.count("--config") != 0) {
      return usage_error("give --secret-key or --config, not both");
    }
    if (o.values.count("--secret-key") != 0) {
      key = o.values["--secret-key"];
    } else if (o.values.count("--config") != 0) {
      auto cfg = load_scheduler_config(o.values["--config"]);
      if (!cfg) return dist_fail(cfg.error().message);
      if (cfg->server_auth.type != "jwt_hs256") {
        return dist_fail(o.values["--config"] + ": server_auth type is `" + cfg->server_auth.type + "`, not jwt_hs256");
      }
      key = cfg->server_auth.secret_key;
    } else {
      return usage_error("--secret-key KEY or --config scheduler.conf is required");
    }
    auto token = server_token(o.values["--server"], key);
    if (!token) return dist_fail(token.error().message);
    std::cout << *token << "\n";
    return 0;
  }
  return usage_error("unknown auth subcommand `" + sub + "`");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
    std::cout << kUsage;
    return args.size() < 2 ? 1 : 0;
  }
  if (args[1] == "--version" || args[1] == "-V") {
    std::cout << "sccache-dist 0.2.10 (sccache-cpp 0.1.0)\n";
    return 0;
  }
  if (args[1] == "auth") return auth_command(args);
  if (args[1] == "scheduler" || args[1] == "server") {
    auto o = parse_opts(args, 2, {"--config", "--syslog"});
    if (!o.error.empty()) return usage_error(o.error);
    if (o.values.count("--config") == 0) return usage_error(args[1] + " needs --config PATH");
    sccache::EnvMap env = sccache::env_from_environ(environ);
    std::string level = env.count("SCCACHE_LOG") != 0 ? env["SCCACHE_LOG"] : "info";
    std::string file = env.count("SCCACHE_ERROR_LOG") != 0 ? env["SCCACHE_ERROR_LOG"] : "";
    sccache::init_logging(level, file);
    ::signal(SIGPIPE, SIG_IGN);
    return args[1] == "scheduler" ? sccache::dist::run_scheduler(o.values["--config"], env)
                                  : sccache::dist::run_build_server(o.values["--config"], env);
  }
  return usage_error("unknown command `" + args[1] + "`");
}
