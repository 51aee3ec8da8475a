#pragma once
// Filesystem helpers: whole-file reads, atomic writes (temp file + rename), stat snapshots.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/bytes.hpp"
#include "util/expected.hpp"

namespace sccache {

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  uint32_t mode = 0;
  bool operator==(const FileStat&) const = default;
};

std::optional<FileStat> stat_file(const std::string& path);
// FileStat in the project's binary formats (the server's warm state).
void write_file_stat(ByteWriter& out, const FileStat& st);
bool read_file_stat(ByteReader& in, FileStat& st);
// Now, in the units of FileStat's mtime_ns/ctime_ns (nanoseconds since the epoch).
int64_t wall_clock_ns();
// Reads a whole regular file of at most `max_bytes`. Anything else (a FIFO, a device, a
// directory, a symlink to one) is an error, never a hang or an unbounded read.
constexpr uint64_t kDefaultMaxFileRead = uint64_t{1} << 30;
Expected<std::string> read_file(const std::string& path, uint64_t max_bytes = kDefaultMaxFileRead);
// Writes to a unique temp file in `dir_for_temp` (same filesystem as `path`), fsyncs nothing,
// sets `mode`, then renames over `path`: readers see the old file or the whole new one.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                         const std::string& dir_for_temp = "");
Status make_dirs(const std::string& path);
std::string dirname_of(const std::string& path);
std::string basename_of(const std::string& path);
// Names of the entries of a directory (no "." or ".."), unsorted.
Expected<std::vector<std::string>> list_dir(const std::string& dir);
std::string join_path(const std::string& a, const std::string& b);
// Absolute path of `path` resolved against `cwd` (no symlink resolution).
std::string absolute_from(const std::string& cwd, const std::string& path);
std::optional<std::string> real_path(const std::string& path);
// The first `dir/name` over the ':'-separated `path_list` (an empty entry is `cwd`) that is an
// executable regular file, absolute; a `name` with a '/' is only checked, relative to `cwd`.
std::optional<std::string> find_in_path(const std::string& name, const std::string& path_list, const std::string& cwd);
std::string current_dir();
std::string home_dir();
// Creates a fresh private temp directory under $TMPDIR or /tmp.
Expected<std::string> make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);

}  // namespace sccache
