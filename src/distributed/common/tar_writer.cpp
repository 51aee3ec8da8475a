#include "distributed/common/tar_writer.hpp"

// Headers only: the library itself is loaded with dlopen (see load_api).
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>
#include <string_view>

#include "util/dynlib.hpp"

namespace sccache::dist {

namespace {

// The libarchive functions the writer uses.
struct Api {
  decltype(&::archive_error_string) archive_error_string = nullptr;
  decltype(&::archive_write_new) archive_write_new = nullptr;
  decltype(&::archive_write_free) archive_write_free = nullptr;
  decltype(&::archive_write_set_format_pax_restricted) archive_write_set_format_pax_restricted = nullptr;
  decltype(&::archive_write_add_filter_gzip) archive_write_add_filter_gzip = nullptr;
  decltype(&::archive_write_set_filter_option) archive_write_set_filter_option = nullptr;
  decltype(&::archive_write_set_bytes_in_last_block) archive_write_set_bytes_in_last_block = nullptr;
  decltype(&::archive_write_open) archive_write_open = nullptr;
  decltype(&::archive_write_header) archive_write_header = nullptr;
  decltype(&::archive_write_data) archive_write_data = nullptr;
  decltype(&::archive_write_close) archive_write_close = nullptr;
  decltype(&::archive_entry_new) archive_entry_new = nullptr;
  decltype(&::archive_entry_free) archive_entry_free = nullptr;
  decltype(&::archive_entry_clear) archive_entry_clear = nullptr;
  decltype(&::archive_entry_set_pathname) archive_entry_set_pathname = nullptr;
  decltype(&::archive_entry_set_perm) archive_entry_set_perm = nullptr;
  decltype(&::archive_entry_set_mtime) archive_entry_set_mtime = nullptr;
  decltype(&::archive_entry_set_filetype) archive_entry_set_filetype = nullptr;
  decltype(&::archive_entry_set_size) archive_entry_set_size = nullptr;
  decltype(&::archive_entry_set_symlink) archive_entry_set_symlink = nullptr;
};

Expected<Api> load_api() {
  SCCACHE_TRY(lib, DynLib::open({"libarchive.so.13"}, "libarchive13"));
  Api api;
  SCCACHE_DLSYM(lib, api, archive_error_string);
  SCCACHE_DLSYM(lib, api, archive_write_new);
  SCCACHE_DLSYM(lib, api, archive_write_free);
  SCCACHE_DLSYM(lib, api, archive_write_set_format_pax_restricted);
  SCCACHE_DLSYM(lib, api, archive_write_add_filter_gzip);
  SCCACHE_DLSYM(lib, api, archive_write_set_filter_option);
  SCCACHE_DLSYM(lib, api, archive_write_set_bytes_in_last_block);
  SCCACHE_DLSYM(lib, api, archive_write_open);
  SCCACHE_DLSYM(lib, api, archive_write_header);
  SCCACHE_DLSYM(lib, api, archive_write_data);
  SCCACHE_DLSYM(lib, api, archive_write_close);
  SCCACHE_DLSYM(lib, api, archive_entry_new);
  SCCACHE_DLSYM(lib, api, archive_entry_free);
  SCCACHE_DLSYM(lib, api, archive_entry_clear);
  SCCACHE_DLSYM(lib, api, archive_entry_set_pathname);
  SCCACHE_DLSYM(lib, api, archive_entry_set_perm);
  SCCACHE_DLSYM(lib, api, archive_entry_set_mtime);
  SCCACHE_DLSYM(lib, api, archive_entry_set_filetype);
  SCCACHE_DLSYM(lib, api, archive_entry_set_size);
  SCCACHE_DLSYM(lib, api, archive_entry_set_symlink);
  return api;
}

// Loaded once, thread-safely (static initialization); a failure is remembered too.
const Expected<Api>& api_once() {
  static const Expected<Api> api = load_api();
  return api;
}

constexpr size_t kNameMax = 255;  // longest path component (NAME_MAX), as the reader enforces

// The normalized form of a relative path ("./a//b" -> "a/b"); `why` is set on refusal.
std::string normalize_relative(std::string_view path, std::string& why) {
  auto comps = split_relative_path(path, why);
  if (!why.empty()) return "";
  std::string out;
  for (const auto& c : comps) {
    if (!out.empty()) out += '/';
    out += c;
  }
  if (out.empty()) why = "empty path";
  return out;
}

la_ssize_t append_to_string(archive* /*a*/, void* client, const void* buf, size_t len) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}

}  // namespace

std::vector<std::string> split_relative_path(std::string_view path, std::string& why) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') {
    why = "absolute path";
    return out;
  }
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(pos, end - pos);
    pos = end + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      why = "path contains '..'";
      return out;
    }
    if (comp.size() > kNameMax) {
      why = "path component longer than " + std::to_string(kNameMax) + " bytes";
      return out;
    }
    out.emplace_back(comp);
  }
  return out;
}

namespace {

std::string error_text(const Api& api, archive* a) {
  const char* s = api.archive_error_string(a);
  return std::string(s != nullptr ? s : "unknown libarchive error");
}

// One member: its header (path, mode, no time) and, for a regular file, its bytes.
Status add_file(const Api& api, archive* writer, archive_entry* entry, const ArchiveFile& f) {
  std::string why;
  std::string path = normalize_relative(f.path, why);
  if (!why.empty()) return make_error("cannot add '" + f.path + "' to a tar: " + why);
  api.archive_entry_clear(entry);
  api.archive_entry_set_pathname(entry, path.c_str());
  api.archive_entry_set_perm(entry, f.mode & 07777);
  api.archive_entry_set_mtime(entry, 0, 0);
  const uint32_t type = f.mode & S_IFMT;
  const bool regular = type == 0 || type == S_IFREG;
  if (type == S_IFDIR) {
    api.archive_entry_set_filetype(entry, AE_IFDIR);
    api.archive_entry_set_size(entry, 0);
  } else if (type == S_IFLNK) {
    api.archive_entry_set_filetype(entry, AE_IFLNK);
    api.archive_entry_set_symlink(entry, f.data.c_str());
    api.archive_entry_set_size(entry, 0);
  } else if (regular) {
    api.archive_entry_set_filetype(entry, AE_IFREG);
    api.archive_entry_set_size(entry, static_cast<la_int64_t>(f.data.size()));
  } else {
    return make_error("cannot add '" + f.path + "' to a tar: unsupported file type");
  }
  if (api.archive_write_header(writer, entry) != ARCHIVE_OK) {
    return make_error("cannot add '" + f.path + "' to a tar: " + error_text(api, writer));
  }
  for (size_t done = 0; regular && done < f.data.size();) {
    la_ssize_t n = api.archive_write_data(writer, f.data.data() + done, f.data.size() - done);
    if (n <= 0) return make_error("cannot add '" + f.path + "' to a tar: " + error_text(api, writer));
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Expected<std::string> make_tar(const std::vector<ArchiveFile>& files, bool gzip) {
  const auto& loaded = api_once();
  if (!loaded) return loaded.error();
  const Api& api = *loaded;
  const std::string kind = gzip ? "tar.gz" : "tar";

  std::string out;
  std::unique_ptr<archive, decltype(api.archive_write_free)> writer(api.archive_write_new(), api.archive_write_free);
  if (!writer) return make_error("cannot allocate an archive writer");
  if (api.archive_write_set_format_pax_restricted(writer.get()) != ARCHIVE_OK ||
      (gzip && (api.archive_write_add_filter_gzip(writer.get()) != ARCHIVE_OK ||
                // No time in the gzip header.
                api.archive_write_set_filter_option(writer.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK)) ||
      // No padding of the output to 10 KiB blocks.
      api.archive_write_set_bytes_in_last_block(writer.get(), 1) != ARCHIVE_OK ||
      api.archive_write_open(writer.get(), &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    return make_error("cannot start " + kind + ": " + error_text(api, writer.get()));
  }
  std::unique_ptr<archive_entry, decltype(api.archive_entry_free)> entry(api.archive_entry_new(),
                                                                         api.archive_entry_free);
  if (!entry) return make_error("cannot allocate an archive entry");
  for (const auto& f : files) SCCACHE_TRY_STATUS(add_file(api, writer.get(), entry.get(), f));
  if (api.archive_write_close(writer.get()) != ARCHIVE_OK) {
    return make_error("cannot finish " + kind + ": " + error_text(api, writer.get()));
  }
  return out;
}

Expected<std::string> make_tar_gz(const std::vector<ArchiveFile>& files) { return make_tar(files, true); }

}  // namespace sccache::dist
