#pragma once
// The build server's run_job request and reply (docs/distributed.md), apart from HTTP: the wire
// format is the one codec of distributed/common/run_job_codec.hpp; here it becomes a SandboxJob,
// with the inputs read by the bounded, path-checked archive reader.
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
