#pragma once
// The build server's run_job request and reply (docs/distributed.md), apart from HTTP.
//
// Request body: u32 big-endian length, that many bytes of JSON
//   {"command": {"executable": S, "arguments": [S...], "env_vars": [[S, S]...], "cwd": S},
//    "outputs": [S...]}
// then a (compressed) tar of the inputs at their absolute paths. Every field is type-checked
// before anything else happens: a wrongly typed request is an error naming the field, never an
// exception halfway through a job.
#include <cstdint>
#include <string>
#include <string_view>

#include "distributed/build_server/builder.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

// The job of a run_job body (without its toolchain fields). The inputs may unpack to at most
// `max_input_bytes` (max_job_input_size), however well they compress.
Expected<SandboxJob> parse_run_job(std::string_view body, uint64_t max_input_bytes);

// {"Complete": {"output": {code, signal, stdout, stderr}, "outputs": [[path, data]...]}} with the
// data in base64url, written straight into one string (no JSON tree of copies).
std::string complete_reply(const SandboxResult& result);

}  // namespace sccache::dist
