#include "distributed/build_server/overlay/overlay_host.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <filesystem>
#include <system_error>

#include "util/fs.hpp"

namespace sccache::dist {

namespace {

Error refuse(const std::string& dir, const std::string& why) {
  return make_error("configuration key `builder.build_dir`: " + dir + " " + why);
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

Expected<std::string> prepare_build_dir(const std::string& build_dir) {
  if (build_dir.empty()) return make_error("the overlay builder needs a build_dir (configuration key `builder.build_dir`)");
  std::string dir = std::filesystem::path(absolute_from(current_dir(), build_dir)).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir == "/") return refuse(dir, "cannot be the build_dir");
  std::error_code ec;
  auto status = std::filesystem::status(dir, ec);  // a symlink to a directory is fine
  const std::string marker = join_path(dir, kBuildDirMarker);
  if (!ec && std::filesystem::exists(status)) {
    if (!std::filesystem::is_directory(status)) return refuse(dir, "exists and is not a directory");
    bool marked = std::filesystem::is_regular_file(std::filesystem::symlink_status(marker, ec));
    bool empty = std::filesystem::is_empty(dir, ec);
    if (ec) return refuse(dir, "cannot be read: " + ec.message());
    if (!marked && !empty) {
      return refuse(dir, std::string("is not empty and has no ") + kBuildDirMarker +
                             " marker, so it is not a directory this server made; the server deletes what it "
                             "creates there, so give it an empty or new directory");
    }
  }
  SCCACHE_TRY_STATUS(make_dirs(dir));
  if (!std::filesystem::exists(marker, ec)) {
    SCCACHE_TRY_STATUS(write_file_atomic(marker, "sccache-dist build server build_dir: only builds/ is deleted\n", 0644));
  }
  const std::string builds = join_path(dir, "builds");
  remove_tree(builds);
  if (std::filesystem::exists(std::filesystem::symlink_status(builds, ec))) {
    return refuse(dir, "still holds builds/ from the last run and it cannot be deleted");
  }
  SCCACHE_TRY_STATUS(make_dirs(builds));
  return real_path(dir).value_or(dir);
}

Expected<std::string> find_bwrap(const std::string& name) {
  if (name.empty()) return make_error("the bubblewrap path is empty");
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) {
      return make_error("bubblewrap (" + name + ") is not executable: " + errno_text(errno) +
                        "; install it (apt install bubblewrap) or fix bwrap_path");
    }
    return real_path(name).value_or(name);
  }
  const char* env_path = std::getenv("PATH");
  auto found = find_in_path(name, env_path != nullptr && *env_path != '\0' ? env_path : "/usr/local/bin:/usr/bin:/bin",
                            current_dir());
  if (found) return real_path(*found).value_or(*found);
  return make_error("bubblewrap (`" + name +
                    "`) was not found in PATH; install it (apt install bubblewrap) or set bwrap_path");
}

bool overlay_supported() {
  auto text = read_file("/proc/filesystems");
  if (!text) return false;
  size_t i = 0;
  while (i < text->size()) {
    size_t j = text->find('\n', i);
    if (j == std::string::npos) j = text->size();
    std::string_view line(text->data() + i, j - i);
    auto tab = line.find_last_of(" \t");
    std::string_view fs = tab == std::string_view::npos ? line : line.substr(tab + 1);
    if (fs == "overlay") return true;
    i = j + 1;
  }
  return false;
}

}  // namespace sccache::dist
