// sccache: the compiler wrapper (client) and, with SCCACHE_START_SERVER=1, its server.
#include <csignal>

#include "client/client.hpp"
#include "config/config.hpp"
#include "server/startup.hpp"

extern char** environ;

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  sccache::EnvMap env = sccache::env_from_environ(environ);
  auto it = env.find("SCCACHE_START_SERVER");
  if (it != env.end() && it->second == "1") return sccache::run_server_process(env);
  return sccache::client_main(argc, argv, env);
}
