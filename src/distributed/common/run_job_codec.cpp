#include "distributed/common/run_job_codec.hpp"

#include <nlohmann/json.hpp>

#include "distributed/common/tar_writer.hpp"
#include "util/base64.hpp"

namespace sccache::dist {

namespace {

using json = nlohmann::json;

Error bad(const std::string& what) { return make_error("run_job request refused: " + what); }

void put_u32_be(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

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

Status command_of(const json& cmd, CompileCommand& out) {
  if (!cmd.is_object()) return bad("`command` must be an object");
  auto exe = cmd.find("executable");
  if (exe == cmd.end() || !exe->is_string() || exe->get<std::string>().empty()) {
    return bad("`command.executable` must be a non-empty string");
  }
  out.executable = exe->get<std::string>();
  SCCACHE_TRY_STATUS(strings(cmd, "arguments", "`command.arguments`", out.arguments));
  if (auto env = cmd.find("env_vars"); env != cmd.end()) {
    if (!env->is_array()) return bad("`command.env_vars` must be an array of [name, value] pairs");
    for (const auto& kv : *env) {
      if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string()) {
        return bad("`command.env_vars` must be an array of [name, value] pairs of strings");
      }
      out.env_vars.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
  }
  out.cwd = "/";
  if (auto cwd = cmd.find("cwd"); cwd != cmd.end()) {
    if (!cwd->is_string()) return bad("`command.cwd` must be a string");
    out.cwd = cwd->get<std::string>();
  }
  return Ok{};
}

void append_b64(std::string& out, std::string_view data) {
  out += '"';
  out += base64url_encode(data);
  out += '"';
}

}  // namespace

Expected<std::string> encode_run_job(const CompileCommand& command, const std::vector<std::string>& outputs,
                                     const std::vector<JobInput>& inputs) {
  json env = json::array();
  for (const auto& [k, v] : command.env_vars) env.push_back(json::array({k, v}));
  std::string header = json{
      {"command",
       {{"executable", command.executable}, {"arguments", command.arguments}, {"env_vars", env}, {"cwd", command.cwd}}},
      {"outputs", outputs}}.dump(-1, ' ', false, json::error_handler_t::strict);
  std::vector<ArchiveFile> files;
  files.reserve(inputs.size());
  for (const auto& in : inputs) {
    if (in.path.empty() || in.path[0] != '/') return make_error("dist input path must be absolute: `" + in.path + "`");
    files.push_back({in.path.substr(1), in.data, in.mode});
  }
  SCCACHE_TRY(tar, make_tar_gz(files));
  std::string body;
  body.reserve(4 + header.size() + tar.size());
  put_u32_be(body, static_cast<uint32_t>(header.size()));
  body += header;
  body += tar;
  return body;
}

Expected<RunJobRequest> decode_run_job(std::string_view body) {
  if (body.size() < 4) return bad("body too short");
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
  uint32_t len = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  if (len > body.size() - 4) return bad("header length out of range");
  auto meta = json::parse(body.substr(4, len), nullptr, false);
  if (!meta.is_object()) return bad("the header is not a JSON object");
  RunJobRequest request;
  auto cmd = meta.find("command");
  if (cmd == meta.end()) return bad("the header has no `command`");
  SCCACHE_TRY_STATUS(command_of(*cmd, request.command));
  SCCACHE_TRY_STATUS(strings(meta, "outputs", "`outputs`", request.outputs));
  request.inputs_archive = body.substr(4 + len);
  return request;
}

std::string encode_run_job_reply(int code, int signal, std::string_view stdout_data, std::string_view stderr_data,
                                 const std::vector<std::pair<std::string, std::string>>& outputs) {
  size_t size = 128 + (stdout_data.size() + stderr_data.size()) * 4 / 3;
  for (const auto& [path, data] : outputs) size += 16 + path.size() * 2 + data.size() * 4 / 3;
  std::string out;
  out.reserve(size);
  out += R"({"Complete":{"output":{"code":)" + std::to_string(code) + ",\"signal\":" + std::to_string(signal) +
         ",\"stdout\":";
  append_b64(out, stdout_data);
  out += ",\"stderr\":";
  append_b64(out, stderr_data);
  out += "},\"outputs\":[";
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (i != 0) out += ',';
    out += '[' + json(outputs[i].first).dump(-1, ' ', false, json::error_handler_t::replace) + ',';
    append_b64(out, outputs[i].second);
    out += ']';
  }
  out += "]}}";
  return out;
}

Expected<JobResult> decode_run_job_reply(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("Complete")) return make_error("run_job: " + std::string(body.substr(0, 300)));
  try {
    const auto& c = j.at("Complete");
    const auto& o = c.at("output");
    JobResult result;
    result.code = o.at("code").get<int>();
    if (o.contains("signal") && o["signal"].is_number_integer() && o["signal"].get<int>() != 0) {
      result.signal = o["signal"].get<int>();
    }
    SCCACHE_TRY(out, base64url_decode(o.at("stdout").get<std::string>()));
    SCCACHE_TRY(err, base64url_decode(o.at("stderr").get<std::string>()));
    result.stdout_data = std::move(out);
    result.stderr_data = std::move(err);
    for (const auto& pair : c.at("outputs")) {
      SCCACHE_TRY(data, base64url_decode(pair.at(1).get<std::string>()));
      result.outputs.emplace_back(pair.at(0).get<std::string>(), std::move(data));
    }
    return result;
  } catch (const json::exception& e) {
    return make_error(std::string("run_job: unexpected reply: ") + e.what());
  }
}

}  // namespace sccache::dist
