#include "compiler/msvc/show_includes.hpp"

#include <algorithm>
#include <set>

#include "util/strings.hpp"

namespace sccache {

namespace {

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool ends_with_probe_header(std::string_view line) {
  if (line.size() < kIncludesProbeHeader.size()) return false;
  std::string_view tail = line.substr(line.size() - kIncludesProbeHeader.size());
  // cl.exe may print the name in another case (Windows file names are case-insensitive).
  return std::equal(tail.begin(), tail.end(), kIncludesProbeHeader.begin(), [](char a, char b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(a) == lower(b);
  });
}

}  // namespace

std::optional<std::string> show_includes_prefix_from(std::string_view output,
                                                     const std::function<bool(const std::string&)>& exists) {
  for (const std::string& raw : split(output, '\n')) {
    std::string_view line = without_cr(raw);
    if (!ends_with_probe_header(line)) continue;
    for (size_t i = line.size(); i-- > 0;) {
      if (line[i] != ' ') continue;
      std::string rest(line.substr(i + 1));
      if (!rest.empty() && exists(rest)) return std::string(line.substr(0, i + 1));
    }
  }
  return std::nullopt;
}

bool is_include_note(std::string_view line, std::string_view prefix) {
  return !prefix.empty() && line.starts_with(prefix);
}

std::vector<std::string> include_note_paths(std::string_view text, std::string_view prefix) {
  std::vector<std::string> out;
  for (const std::string& raw : split(text, '\n')) {
    std::string_view line = without_cr(raw);
    if (!is_include_note(line, prefix)) continue;
    std::string path = trim(line.substr(prefix.size()));
    if (!path.empty()) out.push_back(std::move(path));
  }
  return out;
}

std::string make_style_deps(const std::string& object, const std::string& input, const std::vector<std::string>& deps) {
  std::string out = object + ": " + input + " ";
  std::set<std::string> seen;
  for (const auto& d : deps) {
    if (seen.insert(d).second && d.find(' ') == std::string::npos) out += d + " ";
  }
  out += "\n" + input + ":\n";
  for (const auto& d : seen) {
    if (d.find(' ') == std::string::npos) out += d + ":\n";
  }
  return out;
}

}  // namespace sccache
