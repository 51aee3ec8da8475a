#pragma once
// Safe tar handling for sccache-dist: toolchain archives and job inputs arrive from clients and are
// untrusted. Reading uses libarchive (tar/ustar/pax/GNU; gzip, bzip2, xz, zstd or no compression,
// detected automatically). Every archive is validated in full before anything is written.
//
// Refused, with an error naming the entry ("refusing archive entry '<name>': <why>"):
//  * absolute paths, any ".." component, components longer than 255 bytes;
//  * character/block devices, fifos, sockets, unknown entry types;
//  * hard links whose target is absolute, has "..", or is not an earlier regular-file entry;
//  * symlinks whose target leaves the archive root. The target is resolved inside the archive,
//    relative to the link's own directory, and through the archive's other symlinks too (so "s -> ."
//    plus "t -> s/.." is refused, not just "a/b -> ../../../etc"). Absolute targets are allowed: they
//    start from the archive root, which is "/" inside the sandbox (but may not climb above it with
//    ".." either). Symlink loops (more than 40 expansions) are refused;
//  * an entry below a symlink or below a regular file ("lib -> /etc" plus "lib/passwd", in either
//    order), and a path used twice (except a directory repeated);
//  * more than ExtractLimits::max_entries entries, or regular-file data beyond max_total_bytes.
//
// Extraction never follows a symlink on the host. Rather than libarchive's archive_write_disk
// (whose ARCHIVE_EXTRACT_SECURE_* checks need cwd-relative paths and chdir() internally, which is
// process-wide and would race with the server's other threads), entries are written with
// openat/mkdirat/symlinkat/linkat relative to a descriptor of `dest`, opening every directory
// component with O_NOFOLLOW and creating every object with O_EXCL. That is at least as strict as
// SECURE_SYMLINKS | SECURE_NODOTDOT | SECURE_NOABSOLUTEPATHS, and extractions may run concurrently.
// Modes: directories 0755, regular files 0755 if any execute bit is set in the archive, else 0644.
// Owners, times, xattrs and ACLs are not restored.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "distributed/common/tar_writer.hpp"  // ArchiveFile, make_tar_gz
#include "util/expected.hpp"

namespace sccache::dist {

// Error::code values set by this module.
inline constexpr int kArchiveRejected = 1;  // the archive is corrupt, hostile or over the limits
inline constexpr int kArchiveIoError = 2;   // the archive was fine, writing the destination failed

struct ExtractLimits {
  uint64_t max_total_bytes = 4ULL << 30;  // sum of the sizes of regular-file entries
  uint64_t max_entries = 200000;
};

// Validates the whole archive (one full pass over the headers), then extracts it into `dest`, which
// must be an existing empty directory. On any error `dest` is left empty.
Status extract_archive_file(const std::string& archive_path, const std::string& dest, ExtractLimits limits = {});
Status extract_archive_memory(std::string_view data, const std::string& dest, ExtractLimits limits = {});

// Reads a tar (job inputs) into memory: the same refusal rules, and only regular files and
// directories are allowed. Returns the regular files, in archive order (directories are implied).
Expected<std::vector<ArchiveFile>> read_archive_files(std::string_view data, ExtractLimits limits = {});

}  // namespace sccache::dist
