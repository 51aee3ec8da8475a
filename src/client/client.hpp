#pragma once
// The `sccache` command line: stats commands, server control, and compile mode (including the
// argv[0] masquerade), with exit codes as sccache's.
#include "config/config.hpp"

namespace sccache {

int client_main(int argc, char** argv, const EnvMap& env);

// Finds `name` on PATH (or resolves a path against cwd), skipping any candidate that is this
// very executable (masquerade symlinks). Empty if not found.
std::string resolve_compiler(const std::string& name, const std::string& path_env, const std::string& cwd,
                             const std::string& self_real);

// Removes ANSI escape sequences (CSI and OSC), for replaying coloured output to a non-terminal.
std::string strip_ansi(std::string_view text);

}  // namespace sccache
