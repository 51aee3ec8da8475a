#pragma once
// The overlay builder's paths: a job's absolute paths as components below the overlay's root, and
// files opened beneath that root as if it were "/" (openat2 RESOLVE_IN_ROOT), so that no symlink
// of the toolchain or of the job can lead outside it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache::dist::overlay {

// Path components of `path` relative to "/", without empty and "." parts ("a//./b" -> a, b).
// ".." is kept: openat2(RESOLVE_IN_ROOT) resolves it physically and never above the root.
std::vector<std::string> components(const std::string& path);
// The first `count` components joined with '/' (no leading '/').
std::string join_components(const std::vector<std::string>& parts, size_t count);
// First component of the lexically normalised absolute path ("/x/../tmp/a" -> "tmp").
std::string top_component(const std::string& abs_path);
// overlayfs option values: ',' separates options, ':' lower dirs; both are escaped with '\'.
std::string escape_overlay_path(const std::string& path);
bool has_nul(const std::string& s);

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve);
// Opens `rel` beneath `root_fd` as if root_fd were "/": absolute symlinks and ".." stay inside.
// Only system calls: safe between fork and exec.
int open_in_root(int root_fd, const char* rel, uint64_t flags);

// Reads a regular file below the merged root without following any symlink out of it: the last
// component must not be a symlink (O_NOFOLLOW) and the parents resolve inside the root. nullopt
// when there is no such regular file; an Error when it holds more than `max` bytes.
Expected<std::optional<std::string>> read_output(int root_fd, const std::string& rel, uint64_t max);

}  // namespace sccache::dist::overlay
