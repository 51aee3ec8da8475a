#include "distributed/build_server/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "util/fs.hpp"
#include "util/unique_fd.hpp"

namespace sccache::dist {

namespace {

constexpr size_t kLinkMax = 4095;      // longest symlink target (PATH_MAX - 1)
constexpr int kMaxLinkExpansions = 40;  // like the kernel's ELOOP limit
constexpr size_t kReadBlock = size_t{64} * 1024;

std::string errno_text(int err) { return std::strerror(err); }

Error rejected(std::string message) { return make_error(std::move(message), kArchiveRejected); }
Error io_error(std::string message) { return make_error(std::move(message), kArchiveIoError); }

Error refuse(const std::string& name, const std::string& why) {
  return rejected("refusing archive entry '" + name + "': " + why);
}

using Fd = UniqueFd;

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadPtr = std::unique_ptr<archive, ReadDeleter>;

std::string archive_error_text(archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? s : "unknown libarchive error";
}

// Where the archive bytes come from. Each pass reads from the start again.
struct Source {
  std::string_view memory;
  int fd = -1;
};

Expected<ReadPtr> open_reader(const Source& src) {
  ReadPtr a(archive_read_new());
  if (!a) return io_error("cannot allocate an archive reader");
  archive_read_support_format_tar(a.get());  // ustar, pax, GNU tar
  // Only in-process decoders: never a filter that would spawn an external program on client data.
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  int r = ARCHIVE_OK;
  if (src.fd >= 0) {
    if (::lseek(src.fd, 0, SEEK_SET) != 0) return io_error("cannot rewind archive: " + errno_text(errno));
    r = archive_read_open_fd(a.get(), src.fd, kReadBlock);
  } else {
    r = archive_read_open_memory(a.get(), src.memory.data(), src.memory.size());
  }
  if (r != ARCHIVE_OK) return rejected("cannot read archive: " + archive_error_text(a.get()));
  return a;
}

// Components of a symlink target (may be absolute, may have ".."), for lexical resolution.
std::vector<std::string> split_any(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(pos, end - pos);
    pos = end + 1;
    if (!comp.empty() && comp != ".") out.emplace_back(comp);
  }
  return out;
}

std::string join_components(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += '/';
    out += comps[i];
  }
  return out;
}

enum class Kind { kDir, kFile, kSymlink, kHardlink };

// One archive entry, as validated.
struct Entry {
  std::string name;                // as stored in the archive, for messages
  std::vector<std::string> comps;  // normalized path; empty = the archive root
  std::string path;                // comps joined with '/'
  Kind kind = Kind::kFile;
  std::string link;                       // symlink target as stored
  std::vector<std::string> link_comps;    // hard-link target, normalized
  std::string link_path;                  // link_comps joined
  uint64_t size = 0;
  uint32_t mode = 0;

  bool same_as(const Entry& o) const {
    return path == o.path && kind == o.kind && link == o.link && link_path == o.link_path && size == o.size &&
           mode == o.mode;
  }
};

Expected<Entry> describe(archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  if (raw == nullptr || *raw == '\0') return rejected("refusing archive entry with an empty or unreadable path");
  Entry out;
  out.name = raw;
  std::string why;
  out.comps = split_relative_path(out.name, why);
  if (!why.empty()) return refuse(out.name, why);
  out.path = join_components(out.comps, out.comps.size());

  const char* hardlink = archive_entry_hardlink(e);
  if (hardlink != nullptr) {
    out.kind = Kind::kHardlink;
    std::string target = hardlink;
    out.link_comps = split_relative_path(target, why);
    if (!why.empty()) return refuse(out.name, "hard link target '" + target + "': " + why);
    if (out.link_comps.empty()) return refuse(out.name, "hard link to the archive root");
    out.link_path = join_components(out.link_comps, out.link_comps.size());
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: out.kind = Kind::kFile; break;
      case AE_IFDIR: out.kind = Kind::kDir; break;
      case AE_IFLNK: {
        out.kind = Kind::kSymlink;
        const char* target = archive_entry_symlink(e);
        if (target == nullptr || *target == '\0') return refuse(out.name, "symlink with an empty target");
        out.link = target;
        if (out.link.size() > kLinkMax) return refuse(out.name, "symlink target too long");
        break;
      }
      case AE_IFCHR: return refuse(out.name, "character device entries are not allowed");
      case AE_IFBLK: return refuse(out.name, "block device entries are not allowed");
      case AE_IFIFO: return refuse(out.name, "fifo entries are not allowed");
      case AE_IFSOCK: return refuse(out.name, "socket entries are not allowed");
      default: return refuse(out.name, "entry of unknown type");
    }
  }
  if (out.comps.empty() && out.kind != Kind::kDir) return refuse(out.name, "non-directory entry for the archive root");
  int64_t size = archive_entry_size_is_set(e) != 0 ? archive_entry_size(e) : 0;
  out.size = (out.kind == Kind::kFile || out.kind == Kind::kHardlink) && size > 0 ? static_cast<uint64_t>(size) : 0;
  if (out.kind == Kind::kDir) {
    out.mode = 0755;
  } else if (out.kind == Kind::kFile || out.kind == Kind::kHardlink) {
    out.mode = (archive_entry_perm(e) & 0111) != 0 ? 0755 : 0644;
  }
  return out;
}

// Checks entries in archive order against the rules in archive.hpp; finish() checks symlinks once
// every entry is known.
class Validator {
 public:
  Validator(ExtractLimits limits, bool files_only) : limits_(limits), files_only_(files_only) {}

  Status add(const Entry& e) {
    if (++entries_ > limits_.max_entries) {
      return refuse(e.name, "archive has more than " + std::to_string(limits_.max_entries) + " entries");
    }
    if (e.kind == Kind::kFile || e.kind == Kind::kHardlink) {
      if (e.size > limits_.max_total_bytes || bytes_ + e.size > limits_.max_total_bytes) {
        return refuse(e.name, "archive contents exceed " + std::to_string(limits_.max_total_bytes) + " bytes");
      }
      bytes_ += e.size;
    }
    if (files_only_ && e.kind != Kind::kFile && e.kind != Kind::kDir) {
      return refuse(e.name, "only regular files and directories are allowed");
    }
    if (e.comps.empty()) return Ok{};  // "./": the root directory itself
    // Parents: never a symlink or a file, whatever the order of the entries.
    for (size_t n = 1; n < e.comps.size(); ++n) {
      std::string parent = join_components(e.comps, n);
      auto it = kinds_.find(parent);
      if (it == kinds_.end()) {
        kinds_.emplace(std::move(parent), Kind::kDir);
      } else if (it->second == Kind::kSymlink) {
        return refuse(e.name, "parent '" + parent + "' is a symlink");
      } else if (it->second != Kind::kDir) {
        return refuse(e.name, "parent '" + parent + "' is not a directory");
      }
    }
    auto it = kinds_.find(e.path);
    if (it != kinds_.end()) {
      if (it->second == Kind::kDir && e.kind == Kind::kDir) return Ok{};
      return refuse(e.name, "path already used by an earlier entry");
    }
    if (e.kind == Kind::kHardlink) {
      auto target = kinds_.find(e.link_path);
      if (target == kinds_.end() || target->second != Kind::kFile) {
        return refuse(e.name, "hard link target '" + e.link_path + "' is not an earlier regular file entry");
      }
    }
    kinds_.emplace(e.path, e.kind == Kind::kHardlink ? Kind::kFile : e.kind);
    if (e.kind == Kind::kSymlink) {
      symlinks_.emplace(e.path, e.link);
      symlink_names_.emplace_back(e.name, e.path);
    }
    return Ok{};
  }

  Status finish() const {
    for (const auto& [name, path] : symlink_names_) {
      const std::string& target = symlinks_.at(path);
      switch (resolve(path, target)) {
        case Resolution::kInside: break;
        case Resolution::kEscapes:
          return refuse(name, "symlink target '" + target + "' leaves the archive root");
        case Resolution::kLoops:
          return refuse(name, "symlink target '" + target + "' has too many levels of symbolic links");
      }
    }
    return Ok{};
  }

 private:
  enum class Resolution { kInside, kEscapes, kLoops };

  // Resolves `target` of the link at `path` inside the archive tree, following the archive's own
  // symlinks; absolute targets start at the archive root.
  Resolution resolve(const std::string& path, const std::string& target) const {
    std::vector<std::string> stack = split_any(path);
    stack.pop_back();  // the link's own directory
    std::vector<std::string> todo;  // components still to walk, next one at the back
    auto push_target = [&](const std::string& t) {
      if (!t.empty() && t.front() == '/') stack.clear();
      auto comps = split_any(t);
      todo.insert(todo.end(), comps.rbegin(), comps.rend());
    };
    push_target(target);
    int expansions = 0;
    while (!todo.empty()) {
      std::string comp = std::move(todo.back());
      todo.pop_back();
      if (comp == "..") {
        if (stack.empty()) return Resolution::kEscapes;
        stack.pop_back();
        continue;
      }
      stack.push_back(std::move(comp));
      auto link = symlinks_.find(join_components(stack, stack.size()));
      if (link == symlinks_.end()) continue;
      if (++expansions > kMaxLinkExpansions) return Resolution::kLoops;
      stack.pop_back();
      push_target(link->second);
    }
    return Resolution::kInside;
  }

  ExtractLimits limits_;
  bool files_only_;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
  std::unordered_map<std::string, Kind> kinds_;           // every path seen, parents as kDir
  std::unordered_map<std::string, std::string> symlinks_;  // path -> target
  std::vector<std::pair<std::string, std::string>> symlink_names_;  // (name, path), archive order
};

bool header_ok(int r) { return r == ARCHIVE_OK || r == ARCHIVE_WARN; }

// Pass 1: every header, data skipped (but decompressed, so truncation and corruption show up).
Status validate_pass(const Source& src, ExtractLimits limits, std::vector<Entry>& entries) {
  SCCACHE_TRY(reader, open_reader(src));
  Validator validator(limits, false);
  archive_entry* e = nullptr;
  while (true) {
    int r = archive_read_next_header(reader.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (!header_ok(r)) return rejected("cannot read archive: " + archive_error_text(reader.get()));
    SCCACHE_TRY(entry, describe(e));
    SCCACHE_TRY_STATUS(validator.add(entry));
    if (!header_ok(archive_read_data_skip(reader.get()))) {
      return rejected("cannot read archive entry '" + entry.name + "': " + archive_error_text(reader.get()));
    }
    entries.push_back(std::move(entry));
  }
  return validator.finish();
}

// Opens the directory comps[0..n) below `root`, never following a symlink; creates missing ones
// (mode 0755) when `create`.
Expected<Fd> open_dir(int root, const std::vector<std::string>& comps, size_t n, bool create) {
  Fd cur(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur.valid()) return io_error("cannot open destination: " + errno_text(errno));
  for (size_t i = 0; i < n; ++i) {
    const char* name = comps[i].c_str();
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(cur.get(), name, kFlags);
    bool created = false;
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name, 0700) == 0) created = true;
      fd = ::openat(cur.get(), name, kFlags);
    }
    if (fd < 0) return io_error("cannot open directory '" + join_components(comps, i + 1) + "': " + errno_text(errno));
    if (created) ::fchmod(fd, 0755);
    cur = Fd(fd);
  }
  return cur;
}

Status write_data(archive* reader, int fd, const Entry& e) {
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t offset = 0;
  while (true) {
    int r = archive_read_data_block(reader, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (!header_ok(r)) {
      return rejected("cannot read archive entry '" + e.name + "': " + archive_error_text(reader));
    }
    if (offset < 0 || static_cast<uint64_t>(offset) > e.size || len > e.size - static_cast<uint64_t>(offset)) {
      return rejected("refusing archive entry '" + e.name + "': data beyond its declared size");
    }
    const char* p = static_cast<const char*>(buf);
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pwrite(fd, p + done, len - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot write '" + e.path + "': " + errno_text(errno));
      }
      done += static_cast<size_t>(n);
    }
  }
  // Sparse entries may end in a hole.
  if (::ftruncate(fd, static_cast<off_t>(e.size)) != 0) {
    return io_error("cannot write '" + e.path + "': " + errno_text(errno));
  }
  return Ok{};
}

Status write_entry(archive* reader, int root, const Entry& e) {
  if (e.comps.empty()) return Ok{};  // the root directory exists already
  SCCACHE_TRY(parent, open_dir(root, e.comps, e.comps.size() - 1, true));
  const char* leaf = e.comps.back().c_str();
  switch (e.kind) {
    case Kind::kDir: {
      if (::mkdirat(parent.get(), leaf, 0700) != 0 && errno != EEXIST) {
        return io_error("cannot create directory '" + e.path + "': " + errno_text(errno));
      }
      // Exists now, as a directory we made (validation rules out anything else at this path).
      Fd dir(::openat(parent.get(), leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dir.valid()) return io_error("cannot open directory '" + e.path + "': " + errno_text(errno));
      if (::fchmod(dir.get(), e.mode) != 0) return io_error("cannot chmod '" + e.path + "': " + errno_text(errno));
      return Ok{};
    }
    case Kind::kFile: {
      Fd fd(::openat(parent.get(), leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd.valid()) return io_error("cannot create '" + e.path + "': " + errno_text(errno));
      SCCACHE_TRY_STATUS(write_data(reader, fd.get(), e));
      if (::fchmod(fd.get(), e.mode) != 0) return io_error("cannot chmod '" + e.path + "': " + errno_text(errno));
      if (fd.close_checked() != 0) return io_error("cannot write '" + e.path + "': " + errno_text(errno));
      return Ok{};
    }
    case Kind::kSymlink:
      if (::symlinkat(e.link.c_str(), parent.get(), leaf) != 0) {
        return io_error("cannot create symlink '" + e.path + "': " + errno_text(errno));
      }
      return Ok{};
    case Kind::kHardlink: {
      SCCACHE_TRY(target_dir, open_dir(root, e.link_comps, e.link_comps.size() - 1, false));
      // flags = 0: the target itself is not dereferenced either.
      if (::linkat(target_dir.get(), e.link_comps.back().c_str(), parent.get(), leaf, 0) != 0) {
        return io_error("cannot create hard link '" + e.path + "': " + errno_text(errno));
      }
      return Ok{};
    }
  }
  return Ok{};
}

// Pass 2: re-reads the archive, checks that each header matches what pass 1 validated, writes it.
Status extract_pass(const Source& src, const std::vector<Entry>& validated, int root) {
  SCCACHE_TRY(reader, open_reader(src));
  archive_entry* e = nullptr;
  size_t i = 0;
  while (true) {
    int r = archive_read_next_header(reader.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (!header_ok(r)) return rejected("cannot read archive: " + archive_error_text(reader.get()));
    SCCACHE_TRY(entry, describe(e));
    if (i >= validated.size() || !entry.same_as(validated[i])) {
      return rejected("archive changed while being extracted (at entry '" + entry.name + "')");
    }
    SCCACHE_TRY_STATUS(write_entry(reader.get(), root, entry));
    ++i;
  }
  if (i != validated.size()) return rejected("archive changed while being extracted (fewer entries)");
  return Ok{};
}

void clear_dir(const std::string& dir) {
  auto names = list_dir(dir);
  if (!names) return;
  for (const auto& name : *names) remove_tree(join_path(dir, name));  // removes symlinks, never follows them
}

Status extract(const Source& src, const std::string& dest, ExtractLimits limits) {
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return io_error("cannot open destination directory " + dest + ": " + errno_text(errno));
  auto names = list_dir(dest);
  if (!names) return io_error(names.error().message);
  if (!names->empty()) return io_error("destination directory " + dest + " is not empty");

  std::vector<Entry> entries;
  SCCACHE_TRY_STATUS(validate_pass(src, limits, entries));
  auto st = extract_pass(src, entries, root.get());
  if (!st) {
    clear_dir(dest);
    return st.error();
  }
  return Ok{};
}

}  // namespace

Status extract_archive_file(const std::string& archive_path, const std::string& dest, ExtractLimits limits) {
  Fd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open archive " + archive_path + ": " + errno_text(errno));
  Source src;
  src.fd = fd.get();
  return extract(src, dest, limits);
}

Status extract_archive_memory(std::string_view data, const std::string& dest, ExtractLimits limits) {
  Source src;
  src.memory = data;
  return extract(src, dest, limits);
}

Expected<std::vector<ArchiveFile>> read_archive_files(std::string_view data, ExtractLimits limits) {
  Source src;
  src.memory = data;
  SCCACHE_TRY(reader, open_reader(src));
  Validator validator(limits, true);
  std::vector<ArchiveFile> files;
  archive_entry* e = nullptr;
  while (true) {
    int r = archive_read_next_header(reader.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (!header_ok(r)) return rejected("cannot read archive: " + archive_error_text(reader.get()));
    SCCACHE_TRY(entry, describe(e));
    SCCACHE_TRY_STATUS(validator.add(entry));
    if (entry.kind != Kind::kFile) {
      if (!header_ok(archive_read_data_skip(reader.get()))) {
        return rejected("cannot read archive entry '" + entry.name + "': " + archive_error_text(reader.get()));
      }
      continue;
    }
    // The validator bounded entry.size by max_total_bytes.
    ArchiveFile file{entry.path, std::string(entry.size, '\0'), entry.mode};
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    while (true) {
      int rd = archive_read_data_block(reader.get(), &buf, &len, &offset);
      if (rd == ARCHIVE_EOF) break;
      if (!header_ok(rd)) {
        return rejected("cannot read archive entry '" + entry.name + "': " + archive_error_text(reader.get()));
      }
      if (offset < 0 || static_cast<uint64_t>(offset) > entry.size ||
          len > entry.size - static_cast<uint64_t>(offset)) {
        return refuse(entry.name, "data beyond its declared size");
      }
      if (len > 0) std::memcpy(file.data.data() + offset, buf, len);
    }
    files.push_back(std::move(file));
  }
  SCCACHE_TRY_STATUS(validator.finish());
  return files;
}

}  // namespace sccache::dist
