#include "distributed/build_server/run_job.hpp"

#include <nlohmann/json.hpp>

#include "distributed/build_server/archive.hpp"
#include "util/base64.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

Error bad(const std::string& what) { return make_error("run_job request refused: " + what); }

// An optional array of strings at `key` of `obj` into `out`.
Status strings(const json& obj, const char* key, const std::string& where, std::vector<std::string>& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Ok{};
  if (!it->is_array()) return bad(where + " must be an array of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return bad(where + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return Ok{};
}

Status command_of(const json& cmd, SandboxJob& job) {
  if (!cmd.is_object()) return bad("`command` must be an object");
  auto exe = cmd.find("executable");
  if (exe == cmd.end() || !exe->is_string() || exe->get<std::string>().empty()) {
    return bad("`command.executable` must be a non-empty string");
  }
  job.executable = exe->get<std::string>();
  SCCACHE_TRY_STATUS(strings(cmd, "arguments", "`command.arguments`", job.args));
  if (auto env = cmd.find("env_vars"); env != cmd.end()) {
    if (!env->is_array()) return bad("`command.env_vars` must be an array of [name, value] pairs");
    for (const auto& kv : *env) {
      if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string()) {
        return bad("`command.env_vars` must be an array of [name, value] pairs of strings");
      }
      job.env.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
  }
  job.cwd = "/";
  if (auto cwd = cmd.find("cwd"); cwd != cmd.end()) {
    if (!cwd->is_string()) return bad("`command.cwd` must be a string");
    job.cwd = cwd->get<std::string>();
  }
  return Ok{};
}

void append_b64(std::string& out, std::string_view data) {
  out += '"';
  out += base64url_encode(data);
  out += '"';
}

}  // namespace

Expected<SandboxJob> parse_run_job(std::string_view body, uint64_t max_input_bytes) {
  if (body.size() < 4) return bad("body too short");
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
  uint32_t len = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  if (len > body.size() - 4) return bad("header length out of range");
  auto meta = json::parse(body.substr(4, len), nullptr, false);
  if (!meta.is_object()) return bad("the header is not a JSON object");
  SandboxJob job;
  auto cmd = meta.find("command");
  if (cmd == meta.end()) return bad("the header has no `command`");
  SCCACHE_TRY_STATUS(command_of(*cmd, job));
  SCCACHE_TRY_STATUS(strings(meta, "outputs", "`outputs`", job.outputs));
  ExtractLimits limits;
  limits.max_total_bytes = max_input_bytes;
  auto inputs = read_archive_files(body.substr(4 + len), limits);
  if (!inputs) return bad("inputs: " + inputs.error().message + " (max_job_input_size is " +
                          std::to_string(max_input_bytes) + " bytes)");
  for (auto& f : *inputs) job.inputs.push_back({"/" + f.path, std::move(f.data), f.mode});
  return job;
}

std::string complete_reply(const SandboxResult& result) {
  size_t size = 128 + (result.stdout_data.size() + result.stderr_data.size()) * 4 / 3;
  for (const auto& [path, data] : result.outputs) size += 16 + path.size() * 2 + data.size() * 4 / 3;
  std::string out;
  out.reserve(size);
  out += R"({"Complete":{"output":{"code":)" + std::to_string(result.exit_code) +
         ",\"signal\":" + std::to_string(result.signal) + ",\"stdout\":";
  append_b64(out, result.stdout_data);
  out += ",\"stderr\":";
  append_b64(out, result.stderr_data);
  out += "},\"outputs\":[";
  for (size_t i = 0; i < result.outputs.size(); ++i) {
    if (i != 0) out += ',';
    out += '[' + json(result.outputs[i].first).dump(-1, ' ', false, json::error_handler_t::replace) + ',';
    append_b64(out, result.outputs[i].second);
    out += ']';
  }
  out += "]}}";
  return out;
}

}  // namespace sccache::dist
