#include "server/warm_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/codec/sealed.hpp"
#include "util/log.hpp"

namespace sccache {

namespace {
constexpr std::string_view kMagic = "SCCW";
constexpr uint32_t kVersion = 4;  // 2: XXH3-128 framing; 3: direct-mode plans; 4: no absence proofs
constexpr size_t kMaxRaw = size_t{512} << 20;
}  // namespace

std::string warm_state_path(const std::string& cache_dir) { return join_path(cache_dir, "server-state"); }

bool load_warm_state(const std::string& path, const WarmParts& parts) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  // Written by this user only: another user's file could claim digests for our headers.
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    spdlog::warn("ignoring {}: not a regular file of this user, writable by it alone", path);
    return false;
  }
  auto bytes = read_file(path, kMaxRaw);
  if (!bytes) return false;
  auto raw = unseal(*bytes, kMagic, kVersion, kMaxRaw);
  if (!raw) {
    spdlog::debug("ignoring {}: {}", path, raw.error().message);
    return false;
  }
  ByteReader in(*raw);
  if (!parts.detection.load(in) || !parts.digests.load(in) || !parts.plans.load(in) || !in.at_end()) {
    spdlog::debug("ignoring the rest of {}: malformed", path);
    return false;
  }
  return true;
}

Status save_warm_state(const std::string& path, const WarmParts& parts) {
  ByteWriter out;
  parts.detection.save(out);
  const size_t detection = out.data().size();
  parts.digests.save(out);
  const size_t digests = out.data().size() - detection;
  parts.plans.save(out);
  spdlog::debug("saving {}: detection {} B, digests {} B, plans {} B", path, detection, digests,
                out.data().size() - detection - digests);
  (void)make_dirs(dirname_of(path));
  return write_file_atomic(path, seal(kMagic, kVersion, out.data()), 0600);
}

}  // namespace sccache
