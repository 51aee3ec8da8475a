#include "distributed/build_server/run_job.hpp"

#include "distributed/build_server/archive.hpp"
#include "distributed/common/run_job_codec.hpp"

namespace sccache::dist {

Expected<SandboxJob> parse_run_job(std::string_view body, uint64_t max_input_bytes) {
  SCCACHE_TRY(request, decode_run_job(body));
  SandboxJob job;
  job.executable = std::move(request.command.executable);
  job.args = std::move(request.command.arguments);
  job.env = std::move(request.command.env_vars);
  job.cwd = std::move(request.command.cwd);
  job.outputs = std::move(request.outputs);
  ExtractLimits limits;
  limits.max_total_bytes = max_input_bytes;
  auto inputs = read_archive_files(request.inputs_archive, limits);
  if (!inputs) {
    return make_error("run_job request refused: inputs: " + inputs.error().message + " (max_job_input_size is " +
                      std::to_string(max_input_bytes) + " bytes)");
  }
  for (auto& f : *inputs) job.inputs.push_back({"/" + f.path, std::move(f.data), f.mode});
  return job;
}

std::string complete_reply(const SandboxResult& result) {
  return encode_run_job_reply(result.exit_code, result.signal, result.stdout_data, result.stderr_data, result.outputs);
}

}  // namespace sccache::dist
