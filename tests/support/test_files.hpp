#pragma once
// Files for unit tests: a temporary directory removed at scope exit, and UTF-16LE text as
// Windows tools write it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "util/fs.hpp"

namespace sccache {

class TempDir {
 public:
  TempDir() : path_(*make_temp_dir("sccache-unit-test-")) {}
  ~TempDir() { remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  std::string file(const std::string& name, std::string_view data) const {
    std::string p = join_path(path_, name);
    EXPECT_TRUE(write_file_atomic(p, data, 0644));
    return p;
  }

 private:
  std::string path_;
};

// `text` as UTF-16LE bytes (code unit by code unit: surrogate pairs stay pairs), with the
// byte-order mark unless told not to.
inline std::string utf16le(std::u16string_view text, bool bom = true) {
  std::string out = bom ? std::string("\xFF\xFE") : std::string();
  for (char16_t c : text) {
    out.push_back(static_cast<char>(c & 0xFF));
    out.push_back(static_cast<char>((c >> 8) & 0xFF));
  }
  return out;
}

}  // namespace sccache
