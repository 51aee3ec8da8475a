#include "distributed/client/toolchain_pkg.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "util/fs.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace sccache::dist {

namespace {

constexpr int kMaxLinkHops = 40;  // like the kernel's ELOOP limit

std::string errno_text(int err) { return std::strerror(err); }

// Lexically simplified absolute path ("//", "." and ".." removed) of `path`, which must be absolute.
// A ".." that would step back out of a symlink is refused: "/lib/../x" is not "/x" when /lib is a link.
Expected<std::string> simplify(const std::string& path) {
  std::vector<std::string> stack;
  std::string prefix;  // stack joined, with a leading "/"
  for (const auto& comp : split(path, '/')) {
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (stack.empty()) continue;  // "/.." is "/"
      struct stat st {};
      if (::lstat(prefix.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return make_error(path + ": '..' after the symlink " + prefix);
      }
      stack.pop_back();
      prefix.resize(prefix.rfind('/'));
      continue;
    }
    stack.push_back(comp);
    prefix += "/" + comp;
  }
  return prefix.empty() ? std::string("/") : prefix;
}

// What an ELF file says about how it is loaded.
struct ElfInfo {
  bool is_elf = false;
  std::string interp;  // PT_INTERP, empty for static executables and most shared libraries
};

template <typename Ehdr, typename Phdr>
ElfInfo read_elf_headers(int fd) {
  ElfInfo info;
  info.is_elf = true;
  Ehdr eh{};
  if (::pread(fd, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) || eh.e_phentsize != sizeof(Phdr)) {
    return info;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Phdr ph{};
    auto off = static_cast<off_t>(eh.e_phoff + static_cast<uint64_t>(i) * sizeof(Phdr));
    if (::pread(fd, &ph, sizeof ph, off) != static_cast<ssize_t>(sizeof ph)) break;
    if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
    std::string interp(ph.p_filesz, '\0');
    if (::pread(fd, interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) !=
        static_cast<ssize_t>(interp.size())) {
      break;
    }
    interp.resize(std::strlen(interp.c_str()));
    info.interp = interp;
    break;
  }
  return info;
}

Expected<ElfInfo> read_elf(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + path + ": " + errno_text(errno));
  unsigned char ident[EI_NIDENT] = {};
  ElfInfo info;
  if (::pread(fd, ident, sizeof ident, 0) == static_cast<ssize_t>(sizeof ident) &&
      std::memcmp(ident, ELFMAG, SELFMAG) == 0) {
    info.is_elf = true;
    // Program headers are read in host byte order only; a foreign ELF just gets no interpreter.
    const bool native = ident[EI_DATA] == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
    if (native && ident[EI_CLASS] == ELFCLASS64) info = read_elf_headers<Elf64_Ehdr, Elf64_Phdr>(fd);
    if (native && ident[EI_CLASS] == ELFCLASS32) info = read_elf_headers<Elf32_Ehdr, Elf32_Phdr>(fd);
  }
  ::close(fd);
  return info;
}

// The environment of the tools run here: ours, with untranslated messages.
std::vector<std::string> tool_env() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.rfind("LC_ALL=", 0) == 0 || v.rfind("LANGUAGE=", 0) == 0) continue;
    env.emplace_back(v);
  }
  env.emplace_back("LC_ALL=C");
  return env;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// `name` looked up in $PATH, or "".
std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    std::string p = join_path(dir, name);
    if (is_executable_file(p)) return p;
  }
  return "";
}

class Collector {
 public:
  // `driver_args` go before every question to the compiler: a clang-cl (clang in cl mode)
  // answers -print-prog-name only as the gcc-style driver.
  Collector(std::string compiler, std::vector<std::string> driver_args)
      : compiler_(std::move(compiler)), driver_args_(std::move(driver_args)), env_(tool_env()) {}

  // Adds the executable or shared library at `path`, its ELF interpreter and its ldd dependencies.
  // ldd (ld.so --list) already lists the whole dependency closure, so the libraries it names are
  // not run through ldd again: the result is the same as recursing, with one ldd per binary.
  Status add_binary(const std::string& path) {
    SCCACHE_TRY(real, add(path));
    if (!analysed_.insert(real).second) return Ok{};
    SCCACHE_TRY(elf, read_elf(real));
    if (!elf.is_elf) return Ok{};  // a script: nothing to resolve
    if (!elf.interp.empty()) {
      if (elf.interp.front() != '/') return make_error(real + ": relative ELF interpreter " + elf.interp);
      SCCACHE_TRY(interp, add(elf.interp));
      analysed_.insert(interp);
    }
    SCCACHE_TRY(libs, ldd(real, !elf.interp.empty()));
    for (const auto& lib : libs) {
      SCCACHE_TRY(lib_real, add(lib));
      analysed_.insert(lib_real);
    }
    return Ok{};
  }

  // Adds `path` (absolute) and every link of its symlink chain, which must end at a regular file.
  Status add_file(const std::string& path) {
    SCCACHE_TRY(real, add(path));
    (void)real;
    return Ok{};
  }

  // Adds every regular file below `dir` (and symlinks to regular files, with their chains).
  Status add_tree(const std::string& dir) {
    SCCACHE_TRY(names, list_dir(dir));
    for (const auto& name : names) {
      std::string p = join_path(dir, name);
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) continue;  // a dangling link
      struct stat lst {};
      if (::lstat(p.c_str(), &lst) != 0) return make_error(p + ": " + errno_text(errno));
      if (S_ISDIR(lst.st_mode)) {
        SCCACHE_TRY_STATUS(add_tree(p));
      } else if (S_ISREG(st.st_mode)) {
        SCCACHE_TRY_STATUS(add_file(p));
      }
    }
    return Ok{};
  }

  // Adds the symlink `path` (absolute) and its chain when it is a symlink on this host.
  Status add_if_symlink(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return Ok{};
    SCCACHE_TRY(end, add_chain(path, false));
    (void)end;
    return Ok{};
  }

  // `compiler -print-prog-name=<name>` as an existing absolute path (a bare name is looked up in
  // PATH, where the driver would find it), or nullopt.
  Expected<std::optional<std::string>> prog_name(const std::string& name) {
    SCCACHE_TRY(out, query(compiler_, "-print-prog-name=" + name));
    if (out.empty()) return std::optional<std::string>{};
    if (out.find('/') == std::string::npos) out = find_in_path(out);
    if (out.empty() || out.front() != '/' || !is_executable_file(out)) return std::optional<std::string>{};
    return std::optional<std::string>{out};
  }

  // `compiler -print-file-name=<name>` when it is an existing absolute path, or nullopt.
  Expected<std::optional<std::string>> file_name(const std::string& name) {
    SCCACHE_TRY(out, query(compiler_, "-print-file-name=" + name));
    struct stat st {};
    if (out.empty() || out.front() != '/' || ::stat(out.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return std::optional<std::string>{};
    }
    return std::optional<std::string>{out};
  }

  // The collected entries, sorted by path, with contents read.
  Expected<std::vector<ArchiveFile>> files() const {
    std::vector<ArchiveFile> out;
    out.reserve(entries_.size());
    for (const auto& [path, e] : entries_) {
      std::string rel = path.substr(1);
      if (e.is_link) {
        out.push_back({rel, e.target, S_IFLNK | 0777});
        continue;
      }
      auto data = read_file(path);
      if (!data) return make_error("cannot read " + path + ": " + data.error().message);
      out.push_back({rel, std::move(*data), static_cast<uint32_t>(e.executable ? 0755 : 0644)});
    }
    return out;
  }

  Expected<std::string> ask(const std::string& exe, const std::string& arg) { return query(exe, arg); }

 private:
  struct Entry {
    bool is_link = false;
    std::string target;  // symlink target as readlink gives it
    bool executable = false;
  };

  // Follows the chain from `path`, recording every link and the final regular file; returns the
  // final file's path (all parent directories resolved).
  Expected<std::string> add(const std::string& path) {
    SCCACHE_TRY(last, add_chain(path, true));
    return last;
  }

  // The chain walk: every link is recorded; the end must be a regular file (recorded) when
  // `want_file`, else it may be a directory (not recorded). Returns the end's path.
  Expected<std::string> add_chain(const std::string& path, bool want_file) {
    SCCACHE_TRY(p, simplify(path));
    for (int hops = 0; hops <= kMaxLinkHops; ++hops) {
      if (p == "/") return make_error(path + ": is the root directory");
      auto slash = p.rfind('/');
      SCCACHE_TRY(dir, resolve_dir(slash == 0 ? "/" : p.substr(0, slash)));
      p = (dir == "/" ? "" : dir) + p.substr(slash);
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0) {
        int err = errno;
        return make_error(p + (p == path ? "" : " (for " + path + ")") + ": " + errno_text(err));
      }
      if (S_ISLNK(st.st_mode)) {
        auto known = entries_.find(p);
        std::string target;
        if (known != entries_.end()) {
          target = known->second.target;
        } else {
          std::string buf(4096, '\0');
          ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
          if (n <= 0 || static_cast<size_t>(n) >= buf.size()) return make_error("cannot read symlink " + p);
          target = buf.substr(0, static_cast<size_t>(n));
          entries_[p] = Entry{true, target, false};
        }
        SCCACHE_TRY(next, simplify(target.front() == '/' ? target : p.substr(0, p.rfind('/') + 1) + target));
        p = next;
        continue;
      }
      if (S_ISREG(st.st_mode)) {
        entries_.try_emplace(p, Entry{false, "", (st.st_mode & 0111) != 0});
        return p;
      }
      if (S_ISDIR(st.st_mode) && !want_file) return p;
      return make_error(p + (p == path ? "" : " (for " + path + ")") + ": not a regular file");
    }
    return make_error(path + ": too many levels of symbolic links");
  }

  // The real path of the directory `dir` (absolute, simplified). Every symlink met on the way is
  // recorded with its chain, so that the unresolved path still works inside the archive.
  Expected<std::string> resolve_dir(const std::string& dir) {
    auto cached = dirs_.find(dir);
    if (cached != dirs_.end()) return cached->second;
    std::string prefix;
    for (const auto& comp : split(dir, '/')) {
      if (comp.empty()) continue;
      prefix += "/" + comp;
      struct stat st {};
      if (::lstat(prefix.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        SCCACHE_TRY(end, add_chain(prefix, false));
        (void)end;
      }
    }
    auto real = real_path(dir);
    if (!real) return make_error(dir + ": " + errno_text(errno));
    dirs_[dir] = *real;
    return *real;
  }

  // Shared libraries `ldd` lists for `path`. A failing ldd is accepted for static executables
  // (no interpreter).
  Expected<std::vector<std::string>> ldd(const std::string& path, bool dynamic) {
    if (ldd_.empty()) {
      ldd_ = find_in_path("ldd");
      if (ldd_.empty() && is_executable_file("/usr/bin/ldd")) ldd_ = "/usr/bin/ldd";
      if (ldd_.empty()) return make_error("cannot package " + path + ": ldd not found");
    }
    SCCACHE_TRY(res, runner_.run(ProcessSpec{{ldd_, path}, env_, "", std::nullopt}));
    std::vector<std::string> libs;
    if (!res.success()) {
      if (!dynamic) return libs;
      return make_error("ldd " + path + " failed: " + trim(res.stderr_data + res.stdout_data));
    }
    for (const auto& raw : split(res.stdout_data, '\n')) {
      std::string line = trim(raw);
      auto arrow = line.find("=>");
      std::string rest = arrow == std::string::npos ? line : trim(line.substr(arrow + 2));
      if (rest.rfind("not found", 0) == 0) {
        return make_error(path + " needs " + trim(line.substr(0, arrow)) + ", which ldd does not find");
      }
      if (rest.empty() || rest.front() != '/') continue;  // linux-vdso.so.1, "statically linked"
      auto paren = rest.find(" (");
      libs.push_back(paren == std::string::npos ? rest : rest.substr(0, paren));
    }
    return libs;
  }

  // stdout of `exe arg`, trimmed; an error when it cannot run or fails.
  Expected<std::string> query(const std::string& exe, const std::string& arg) {
    std::vector<std::string> argv{exe};
    if (exe == compiler_) argv.insert(argv.end(), driver_args_.begin(), driver_args_.end());
    argv.push_back(arg);
    SCCACHE_TRY(res, runner_.run(ProcessSpec{std::move(argv), env_, "", std::nullopt}));
    if (!res.success()) return make_error(exe + " " + arg + " failed: " + trim(res.stderr_data));
    return trim(res.stdout_data);
  }

  std::string compiler_;
  std::vector<std::string> driver_args_;
  std::vector<std::string> env_;
  SystemProcessRunner runner_;
  std::string ldd_;
  std::map<std::string, Entry> entries_;               // absolute path -> entry, sorted
  std::unordered_map<std::string, std::string> dirs_;  // directory -> real path
  std::set<std::string> analysed_;                     // binaries whose dependencies are in
};

}  // namespace

Expected<std::vector<ArchiveFile>> collect_toolchain_files(const std::string& compiler, ToolchainFlavor flavor) {
  if (compiler.empty()) return make_error("cannot package toolchain: no compiler path given");
  std::string exe = absolute_from(current_dir(), compiler);
  if (!is_executable_file(exe)) {
    struct stat sb {};
    std::string why = ::stat(exe.c_str(), &sb) != 0 ? errno_text(errno) : "not an executable file";
    return make_error("cannot package toolchain " + compiler + ": " + why);
  }
  Collector c(exe, flavor == ToolchainFlavor::clang ? std::vector<std::string>{"--driver-mode=gcc"} : std::vector<std::string>{});
  auto wrap = [&compiler](const Error& e) {
    return make_error("cannot package toolchain " + compiler + ": " + e.message);
  };

  if (auto st = c.add_binary(exe); !st) return wrap(st.error());
  if (flavor == ToolchainFlavor::rust) {
    // The standard library of the host target; librustc_driver and LLVM come with rustc's own
    // dependencies. (Debian's rustc has the sysroot /usr: all of /usr/lib would be far too much.)
    auto libdir = c.ask(exe, "--print=target-libdir");
    if (!libdir) return wrap(libdir.error());
    if (libdir->empty() || (*libdir)[0] != '/') return wrap(Error{"rustc printed no absolute target-libdir"});
    if (auto added = c.add_tree(*libdir); !added) return wrap(added.error());
    for (const char* top : {"/lib", "/lib64", "/bin", "/sbin"}) {
      if (auto added = c.add_if_symlink(top); !added) return wrap(added.error());
    }
    return c.files();
  }
  std::vector<std::string> progs = {"as", "objcopy"};
  if (flavor == ToolchainFlavor::gcc) progs.insert(progs.end(), {"cc1", "cc1plus"});
  for (const auto& name : progs) {
    auto p = c.prog_name(name);
    if (!p) return wrap(p.error());
    if (!*p) continue;
    if (auto st = c.add_binary(**p); !st) return wrap(st.error());
  }
  struct stat sb {};
  if (::lstat("/etc/ld.so.conf", &sb) == 0) {
    if (auto added = c.add_file("/etc/ld.so.conf"); !added) return wrap(added.error());
  }
  if (flavor == ToolchainFlavor::gcc) {
    for (const char* name : {"specs", "liblto_plugin.so"}) {
      auto p = c.file_name(name);
      if (!p) return wrap(p.error());
      if (!*p) continue;
      if (auto added = c.add_file(**p); !added) return wrap(added.error());
    }
  } else {
    auto limits = c.file_name("include/limits.h");
    if (!limits) return wrap(limits.error());
    if (*limits) {
      if (auto added = c.add_tree(dirname_of(**limits)); !added) return wrap(added.error());
    }
  }
  // Merged /usr: /lib64/ld-linux-x86-64.so.2 must resolve inside the sandbox.
  for (const char* top : {"/lib", "/lib64", "/bin", "/sbin"}) {
    if (auto added = c.add_if_symlink(top); !added) return wrap(added.error());
  }
  auto files = c.files();
  if (!files) return wrap(files.error());
  return files;
}

Expected<std::string> package_toolchain(const std::string& compiler, ToolchainFlavor flavor) {
  SCCACHE_TRY(files, collect_toolchain_files(compiler, flavor));
  files.insert(files.begin(), ArchiveFile{"tmp/", "", S_IFDIR | 01777});
  return make_tar_gz(files);
}

Expected<ToolchainFlavor> toolchain_flavor_named(std::string_view name) {
  if (name == "gcc") return ToolchainFlavor::gcc;
  if (name == "clang") return ToolchainFlavor::clang;
  if (name == "rust") return ToolchainFlavor::rust;
  return make_error("no toolchain packager for `" + std::string(name) + "`");
}

Expected<ToolchainFlavor> detect_toolchain_flavor(const std::string& compiler) {
  std::string exe = absolute_from(current_dir(), compiler);
  if (!is_executable_file(exe)) {
    struct stat sb {};
    std::string why = ::stat(exe.c_str(), &sb) != 0 ? errno_text(errno) : "not an executable file";
    return make_error("cannot run " + compiler + ": " + why);
  }
  SystemProcessRunner runner;
  SCCACHE_TRY(res, runner.run(ProcessSpec{{exe, "--version"}, tool_env(), "", std::nullopt}));
  if (!res.success()) return make_error(compiler + " --version failed: " + trim(res.stderr_data));
  std::string first = res.stdout_data.substr(0, res.stdout_data.find('\n'));
  return first.find("clang") != std::string::npos ? ToolchainFlavor::clang : ToolchainFlavor::gcc;
}

}  // namespace sccache::dist
