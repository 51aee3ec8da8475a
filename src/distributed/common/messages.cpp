#include "distributed/common/messages.hpp"

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>

namespace sccache::dist {

namespace {

constexpr std::array<std::string_view, 4> kJobStateNames = {"pending", "ready", "started", "complete"};

}  // namespace

std::string encode_scheduler_status(const SchedulerStatus& status) {
  return nlohmann::json{{"num_servers", status.num_servers},
                        {"num_cpus", status.num_cpus},
                        {"in_progress", status.in_progress}}
      .dump();
}

Expected<SchedulerStatus> decode_scheduler_status(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string head(body.substr(0, 200));
  if (j.is_discarded()) return make_error("reply is not JSON: " + head);
  if (!j.is_object() || !j["num_servers"].is_number_unsigned() || !j["num_cpus"].is_number_unsigned()) {
    return make_error("unexpected reply " + head);
  }
  SchedulerStatus out{j["num_servers"].get<uint64_t>(), j["num_cpus"].get<uint64_t>(), 0};
  if (j["in_progress"].is_number_unsigned()) out.in_progress = j["in_progress"].get<uint64_t>();
  return out;
}

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
