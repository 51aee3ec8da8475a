#pragma once
// Automatic packaging of a gcc or clang toolchain for sccache-dist (SPEC 7.7): every file the
// compiler needs to run `compiler -x cpp-output -c` in an otherwise empty root (the build server's
// sandbox), as a reproducible tar.gz. Linux only.
//
// Contents: the compiler with its ELF interpreter and `ldd` dependencies (recursively); the
// assembler and objcopy (`-print-prog-name=as|objcopy`, + deps) when they resolve to an existing
// absolute path (a bare name is looked up in PATH, as the compiler driver would); /etc/ld.so.conf if
// present; gcc: cc1 and cc1plus (+ deps), the `specs` and `liblto_plugin.so` files when
// `-print-file-name` finds them; clang: every file below the directory of
// `-print-file-name=include/limits.h` (the resource headers).
//
// Every file is stored at its absolute path minus the leading "/". Each link of a symlink chain is a
// symlink entry (target as readlink gives it). Symlinked parent directories are resolved, so no
// entry lies below a symlink (the server's extractor refuses those); the directory links themselves
// are stored as symlink entries (e.g. "lib -> usr/lib" on a merged-/usr host), and so are the
// top-level links lib, lib64, bin, sbin whenever they are symlinks on the host. Regular files get
// mode 0755 if any execute bit is set, else 0644; owners and times are not kept.
#include <string>
#include <vector>

#include "distributed/common/tar_writer.hpp"
#include "util/expected.hpp"

namespace sccache::dist {

// rust: `rustc` (+ deps: librustc_driver, LLVM) and every file below `--print=target-libdir`
// (the host's standard library); cargo, rustdoc and the rest of the sysroot are left out.
enum class ToolchainFlavor { gcc, clang, rust };
// The flavour a compiler family's dist plan names ("gcc", "clang", "rust"); error for any other.
Expected<ToolchainFlavor> toolchain_flavor_named(std::string_view name);

// Every file needed to run `compiler -c` on preprocessed input inside an otherwise empty root,
// sorted by path (no directory entries). `compiler` may be relative to the current directory.
// Errors name the path at fault.
Expected<std::vector<ArchiveFile>> collect_toolchain_files(const std::string& compiler, ToolchainFlavor flavor);

// The archive: directory entry "tmp/" (mode 01777) first, then collect_toolchain_files in path
// order; gzip'd (default level, no timestamp). Same toolchain on disk = same bytes.
Expected<std::string> package_toolchain(const std::string& compiler, ToolchainFlavor flavor);

// From `compiler --version`: clang if its first line contains "clang", else gcc.
Expected<ToolchainFlavor> detect_toolchain_flavor(const std::string& compiler);

}  // namespace sccache::dist
