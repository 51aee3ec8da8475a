#pragma once
// Server process start-up: optional daemonisation, config, binding, and the readiness report
// written to the pipe the auto-starting client waits on (SCCACHE_STARTUP_NOTIFY=fd:N).
#include "config/config.hpp"

namespace sccache {

// Runs the server in this process (SCCACHE_START_SERVER=1). Returns the process exit code.
int run_server_process(const EnvMap& env);

}  // namespace sccache
