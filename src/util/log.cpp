#include "util/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace sccache {

void init_logging(const std::string& level, const std::string& file) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (!file.empty()) {
      logger = spdlog::basic_logger_mt("sccache", file, /*truncate=*/false);
    } else {
      logger = spdlog::stderr_logger_mt("sccache");
    }
  } catch (const spdlog::spdlog_ex&) {
    logger = spdlog::stderr_logger_mt("sccache-stderr");
  }
  auto lvl = level.empty() ? spdlog::level::off : spdlog::level::from_str(level);
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
  logger->set_pattern("[%Y-%m-%dT%H:%M:%S.%e %^%l%$ %t] %v");
  spdlog::set_default_logger(logger);
}

}  // namespace sccache
