#include "server/file_hash_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string_view>

#include "util/hash.hpp"

namespace sccache {

namespace {
constexpr int64_t kTooNewNs = 2'000'000'000;
constexpr uint64_t kMaxLoaded = 1'000'000;

// `#define __has_include(x) 0` (a fallback for old compilers, as in abseil's span.h) names
// no header: it is a definition, not a test.
bool defines_the_macro(std::string_view text, size_t at) {
  const size_t newline = text.rfind('\n', at);
  const size_t start = newline == std::string_view::npos ? 0 : newline + 1;
  std::string squeezed;  // the line up to `at`, blanks left out: "#define" for `# define __has_include(`
  for (char c : text.substr(start, at - start)) {
    if (c != ' ' && c != '\t') squeezed += c;
  }
  return squeezed == "#define";
}

// The names tested by `__has_include(...)` and `__has_include_next(...)`; `defined(__has_include)`
// and `#ifdef __has_include` test the feature, not a header.
void scan_include_tests(std::string_view text, FileDigest& d) {
  constexpr std::string_view kWord = "__has_include";
  auto skip_space = [&](size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    return i;
  };
  for (size_t at = text.find(kWord); at != std::string_view::npos; at = text.find(kWord, at + 1)) {
    size_t i = at + kWord.size();
    if (text.compare(i, 5, "_next") == 0) i += 5;
    i = skip_space(i);
    if (i >= text.size() || text[i] != '(' || defines_the_macro(text, at)) continue;
    i = skip_space(i + 1);
    char close = i < text.size() && text[i] == '"' ? '"' : i < text.size() && text[i] == '<' ? '>' : 0;
    size_t end = close ? text.find_first_of(std::string{close, '\n'}, i + 1) : std::string_view::npos;
    if (end == std::string_view::npos || text[end] != close || end == i + 1) {
      d.opaque_include_test = true;
      continue;
    }
    std::string name(text.substr(i + 1, end - i - 1));
    if (std::find(d.tested_headers.begin(), d.tested_headers.end(), name) == d.tested_headers.end()) {
      d.tested_headers.push_back(std::move(name));
    }
  }
}

}  // namespace

std::optional<FileDigest> FileHashCache::digest(const std::string& path) {
  auto st = stat_file(path);
  if (!st || !S_ISREG(st->mode)) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    auto it = slots_.find(path);
    if (it != slots_.end() && it->second.stat == *st) return it->second.digest;
  }
  int64_t before = wall_clock_ns();
  auto content = read_file(path);
  if (!content) return std::nullopt;
  auto after = stat_file(path);
  FileDigest d;
  d.digest = sha256_hex(*content);
  d.has_time_macros = content->find("__DATE__") != std::string::npos || content->find("__TIME__") != std::string::npos ||
                      content->find("__TIMESTAMP__") != std::string::npos;
  scan_include_tests(*content, d);
  d.mtime_ns = st->mtime_ns;
  d.ctime_ns = st->ctime_ns;
  d.too_new = !after || !(*after == *st) || st->mtime_ns > before - kTooNewNs || st->ctime_ns > before - kTooNewNs;
  if (!d.too_new) {
    std::lock_guard lock(mu_);
    slots_[path] = Slot{*st, d};
  }
  return d;
}

void FileHashCache::save(ByteWriter& out) const {
  std::lock_guard lock(mu_);
  out.u64(slots_.size());
  for (const auto& [path, slot] : slots_) {
    out.str(path);
    write_file_stat(out, slot.stat);
    const FileDigest& d = slot.digest;
    out.str(d.digest);
    out.u8(static_cast<uint8_t>((d.has_time_macros ? 1 : 0) | (d.opaque_include_test ? 2 : 0)));
    out.strs(d.tested_headers);
  }
}

bool FileHashCache::load(ByteReader& in) {
  uint64_t n = 0;
  if (!in.u64(n) || n > kMaxLoaded) return false;
  std::unordered_map<std::string, Slot> loaded;
  for (uint64_t i = 0; i < n; ++i) {
    std::string path;
    Slot slot;
    uint8_t flags = 0;
    FileDigest& d = slot.digest;
    if (!in.str(path) || !read_file_stat(in, slot.stat) || !in.str(d.digest) || !in.u8(flags) ||
        !in.strs(d.tested_headers)) {
      return false;
    }
    d.has_time_macros = (flags & 1) != 0;
    d.opaque_include_test = (flags & 2) != 0;
    d.too_new = false;
    d.mtime_ns = slot.stat.mtime_ns;
    d.ctime_ns = slot.stat.ctime_ns;
    loaded.insert_or_assign(std::move(path), std::move(slot));
  }
  std::lock_guard lock(mu_);
  slots_.merge(loaded);
  return true;
}

}  // namespace sccache
