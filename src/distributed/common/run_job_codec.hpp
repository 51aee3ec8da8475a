#pragma once
// The run_job body and its reply (docs/distributed.md, SPEC 7.8): one codec for both ends, so the
// client's encoder and the build server's decoder cannot drift apart.
//
// Request body: u32 big-endian length, that many bytes of JSON
//   {"command": {"executable": S, "arguments": [S...], "env_vars": [[S, S]...], "cwd": S},
//    "outputs": [S...]}
// then a gzip'd tar of the inputs at their absolute paths (minus the leading '/'). Decoding
// type-checks every field before anything else happens: a wrongly typed request is an error
// naming the field, never an exception halfway through a job. The tar is returned as it came:
// the build server reads it with its own bounded, path-checked reader.
//
// Reply: {"Complete": {"output": {code, signal, stdout, stderr}, "outputs": [[path, data]...]}}
// with the data in base64url.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.hpp"

namespace sccache::dist {

struct CompileCommand {
  std::string executable;
  std::vector<std::string> arguments;
  std::vector<std::pair<std::string, std::string>> env_vars;
  std::string cwd;  // absolute
};

struct JobInput {
  std::string path;  // absolute
  std::string data;
  uint32_t mode = 0644;
};

struct JobResult {
  int code = 0;
  std::optional<int> signal;
  std::string stdout_data;
  std::string stderr_data;
  std::vector<std::pair<std::string, std::string>> outputs;  // (path as requested, bytes)
};

// What a run_job body holds, with the inputs still as the archive.
struct RunJobRequest {
  CompileCommand command;  // cwd "/" when the header has none
  std::vector<std::string> outputs;
  std::string_view inputs_archive;  // a view into the body
};

Expected<std::string> encode_run_job(const CompileCommand& command, const std::vector<std::string>& outputs,
                                     const std::vector<JobInput>& inputs);
// Errors start with "run_job request refused: " and name the field at fault.
Expected<RunJobRequest> decode_run_job(std::string_view body);

// Written straight into one string (no JSON tree of copies of the outputs).
std::string encode_run_job_reply(int code, int signal, std::string_view stdout_data, std::string_view stderr_data,
                                 const std::vector<std::pair<std::string, std::string>>& outputs);
Expected<JobResult> decode_run_job_reply(std::string_view body);

}  // namespace sccache::dist
