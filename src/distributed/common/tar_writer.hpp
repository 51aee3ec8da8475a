#pragma once
// Writing tar archives (toolchains and job inputs sent to sccache-dist build servers). libarchive is
// loaded with dlopen on first use (util/dynlib.hpp), so that the sccache binary, which starts once
// per wrapped compile and mostly never writes a tar, does not load libarchive and its dependencies.
// Reading and safe extraction (server side) are in distributed/build_server/archive.hpp.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace sccache::dist {

struct ArchiveFile {
  std::string path;  // relative, normalized ("./a//b" is returned as "a/b")
  std::string data;
  uint32_t mode = 0;  // read_archive_files: 0755 or 0644. make_tar_gz: see below.
  bool operator==(const ArchiveFile&) const = default;
};

// Writes a gzip'd pax tar of `files`, in the given order (for clients and tests). Paths must be
// relative, without "..", not empty; "./a//b" is stored as "a/b".
// The type bits of `mode` choose the entry kind: none or S_IFREG = regular file with `data`;
// S_IFDIR = directory; S_IFLNK = symlink whose target is `data`. Permission bits are mode & 07777.
// Owners and times are zeroed and the gzip header has no timestamp, so equal inputs give equal bytes.
// Fails when libarchive (libarchive.so.13) cannot be loaded.
// A relative archive path split into components, "" and "." dropped. `why` is set (and the
// result incomplete) for an absolute path, a ".." component or one longer than 255 bytes. The
// writer and the reader (archive.cpp) apply the same rule.
std::vector<std::string> split_relative_path(std::string_view path, std::string& why);

Expected<std::string> make_tar_gz(const std::vector<ArchiveFile>& files);

// The same, gzip'd or not (job inputs may be sent uncompressed).
Expected<std::string> make_tar(const std::vector<ArchiveFile>& files, bool gzip);

}  // namespace sccache::dist
