#include "compiler/msvc/msvc_response_files.hpp"

#include <cstdint>

#include "compiler/compiler.hpp"

namespace sccache {

namespace {

bool is_windows_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Backslashes at text[i...]: appends what they mean to `token` and returns the index of the
// first character after them that is still to be read (a quote they leave unescaped included).
size_t take_backslashes(std::string_view text, size_t i, std::string& token) {
  size_t n = 0;
  while (i + n < text.size() && text[i + n] == '\\') ++n;
  size_t after = i + n;
  if (after < text.size() && text[after] == '"') {
    token.append(n / 2, '\\');
    if (n % 2 == 1) {
      token.push_back('"');
      return after + 1;
    }
    return after;
  }
  token.append(n, '\\');
  return after;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Expected<std::string> utf16le_to_utf8(std::string_view bytes) {
  if (bytes.size() % 2 != 0) return make_error("odd length UTF-16 text");
  std::string out;
  out.reserve(bytes.size() / 2);
  auto unit = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[k + 1])) << 8);
  };
  for (size_t k = 0; k < bytes.size(); k += 2) {
    uint32_t u = unit(k);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (k + 3 >= bytes.size()) return make_error("truncated UTF-16 surrogate pair");
      uint32_t low = unit(k + 2);
      if (low < 0xDC00 || low > 0xDFFF) return make_error("unpaired UTF-16 surrogate");
      u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
      k += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return make_error("unpaired UTF-16 surrogate");
    }
    append_utf8(out, u);
  }
  return out;
}

}  // namespace

std::vector<std::string> split_windows_command_line(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_windows_space(text[i])) ++i;
    if (i >= text.size()) break;
    std::string token;
    bool quoted = false;
    while (i < text.size()) {
      char c = text[i];
      if (!quoted && is_windows_space(c)) break;
      if (c == '\\') {
        i = take_backslashes(text, i, token);
      } else if (c == '"') {
        if (quoted && i + 1 < text.size() && text[i + 1] == '"') {
          token.push_back('"');
          i += 2;
        } else {
          quoted = !quoted;
          ++i;
        }
      } else {
        token.push_back(c);
        ++i;
      }
    }
    out.push_back(std::move(token));
  }
  return out;
}

Expected<std::string> decode_response_file(std::string_view bytes) {
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xFE) {
    return utf16le_to_utf8(bytes.substr(2));
  }
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") return std::string(bytes.substr(3));
  return std::string(bytes);
}

Expected<std::vector<std::string>> expand_msvc_response_files(const std::vector<std::string>& args,
                                                              const std::string& cwd) {
  return expand_response_files_with(args, cwd, [](std::string_view bytes) -> Expected<std::vector<std::string>> {
    SCCACHE_TRY(text, decode_response_file(bytes));
    auto inner = split_windows_command_line(text);
    // There /link ends at the end of its line (clang-cl), which the flat list cannot say.
    for (const auto& a : inner) {
      if (a == "/link" || a == "-link") return make_error("/link inside a response file");
    }
    return inner;
  });
}

}  // namespace sccache
