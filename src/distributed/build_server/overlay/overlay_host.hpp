#pragma once
// What the overlay builder (overlay_builder.hpp) needs from the host: bubblewrap, overlayfs, and its
// build_dir.
//
// The build_dir is a directory the build server owns. It is marked with the
// file `.sccache-dist-build-dir` when the server first takes it, and the server only ever deletes
// what it made there (the `builds/` subdirectory of per-job directories), never the rest.
#include <string>

#include "util/expected.hpp"

namespace sccache::dist {

inline constexpr const char* kBuildDirMarker = ".sccache-dist-build-dir";

// Makes `build_dir` ready for jobs and returns its real absolute path:
//  - missing or empty: created, the marker written, builds/ created;
//  - holding the marker: builds/ (left over from the last run) deleted and created again;
//  - anything else (a non-empty directory without the marker, a file, `/`): an error naming
//    `builder.build_dir` — nothing is deleted.
Expected<std::string> prepare_build_dir(const std::string& build_dir);

// The bubblewrap binary: `name` itself when it has a '/', else looked up in PATH; its real path.
Expected<std::string> find_bwrap(const std::string& name);
// `overlay` is listed in /proc/filesystems.
bool overlay_supported();

}  // namespace sccache::dist
