#pragma once
// Logging through spdlog: SCCACHE_LOG picks the level, SCCACHE_ERROR_LOG the file (else stderr).
#include <spdlog/spdlog.h>

#include <string>

namespace sccache {

// Configures the process-wide logger. `level` is error|warn|info|debug|trace (or off).
void init_logging(const std::string& level, const std::string& file);

}  // namespace sccache
