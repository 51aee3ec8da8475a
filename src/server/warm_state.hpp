#pragma once
// What a server has learned that stays true after it exits: include-file digests, direct-mode
// plans and compiler detection answers. Saved to `<cache dir>/server-state` when the server
// stops (and every few minutes while it changes), loaded when the next one starts, so a fresh
// server's first hits do not re-read every header and re-probe every compiler. Every record
// is revalidated on use by the same stat checks as in memory; a missing, foreign (another
// owner's) or malformed file is ignored.
#include <string>

#include "server/detection_memo.hpp"
#include "server/direct_plans.hpp"
#include "server/file_hash_cache.hpp"
#include "util/expected.hpp"

namespace sccache {

struct WarmParts {
  FileHashCache& digests;
  ServerDetectionMemo& detection;
  DirectPlans& plans;
};

std::string warm_state_path(const std::string& cache_dir);
// True if the file was there, ours and well-formed.
bool load_warm_state(const std::string& path, const WarmParts& parts);
Status save_warm_state(const std::string& path, const WarmParts& parts);

}  // namespace sccache
