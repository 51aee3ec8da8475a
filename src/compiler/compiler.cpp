#include "compiler/compiler.hpp"

#include "util/fs.hpp"

namespace sccache {

namespace {

Status expand_into(const std::vector<std::string>& args, const std::string& cwd, ResponseFileSplitter split, int depth,
                   std::vector<std::string>& out) {
  for (const auto& a : args) {
    if (a.size() < 2 || a[0] != '@') {
      out.push_back(a);
      continue;
    }
    std::string name = a.substr(1);
    if (depth > 16) return make_error("response files nested too deeply at " + name);
    auto bytes = read_file(absolute_from(cwd, name));
    if (!bytes) return make_error("cannot read response file " + name);
    auto inner = split(*bytes);
    if (!inner) return make_error("response file " + name + ": " + inner.error().message);
    SCCACHE_TRY_STATUS(expand_into(*inner, cwd, split, depth + 1, out));
  }
  return Ok{};
}

}  // namespace

Expected<std::vector<std::string>> expand_response_files_with(const std::vector<std::string>& args,
                                                              const std::string& cwd, ResponseFileSplitter split) {
  std::vector<std::string> out;
  SCCACHE_TRY_STATUS(expand_into(args, cwd, split, 0, out));
  return out;
}

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& kv : env) {
    if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 && kv[name.size()] == '=') {
      return kv.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

}  // namespace sccache
