#include "distributed/common/messages.hpp"

#include <array>
#include <cstddef>

namespace sccache::dist {

namespace {

constexpr std::array<std::string_view, 4> kJobStateNames = {"pending", "ready", "started", "complete"};

}  // namespace

std::string_view job_state_name(JobState state) {
  auto index = static_cast<size_t>(state);
  return index < kJobStateNames.size() ? kJobStateNames[index] : std::string_view("unknown");
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (size_t i = 0; i < kJobStateNames.size(); ++i) {
    if (kJobStateNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

}  // namespace sccache::dist
