// Direct mode, for any job that can say what it read (CompileJob::direct_key and
// recorded_inputs): a manifest stored under the direct key lists earlier compiles' inputs, and
// an entry whose files and paths are all unchanged names the result, without running anything.
#include "cache/codec/manifest.hpp"
#include "cache/codec/sealed.hpp"
#include "server/compile_service.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

namespace sccache {

// The full check of one entry. `plan` (may be null) receives what the check rested on; it is
// reset when some answer did not come from a settled state (then no plan is made).
bool CompileService::entry_still_valid(const ManifestEntry& entry, std::optional<DirectPlan::Builder>* plan) {
  AbsenceCache::LookupStats seen;
  bool plannable = plan != nullptr && plan->has_value();
  // The files first: a changed header rejects the entry before thousands of candidates are asked.
  for (const auto& f : entry.files) {
    auto before = plannable ? stat_file(f.path) : std::nullopt;
    auto digest = file_hashes_.digest(f.path);
    if (!digest || digest->digest != f.digest) return false;
    if (!plannable) continue;
    // The digest was taken (or validated) at the stat just seen, and that stat is settled.
    plannable = before && !digest->too_new && before->mtime_ns == digest->mtime_ns && before->ctime_ns == digest->ctime_ns;
    if (plannable) (*plan)->exact(f.path, *before);
  }
  for (const auto& d : entry.dirs) {  // shadowing candidates: still absent, or unchanged
    if (d.mtime_ns == -1) {
      if (!absent_.still_absent(d.path, seen, &plannable)) return false;
      continue;
    }
    auto st = stat_file(d.path);
    if (!st || st->mtime_ns != d.mtime_ns) return false;
    if (plannable) (*plan)->existing(d.path, d.mtime_ns);
  }
  // Every absence above was answered by an ancestor's stat in `seen` (remembered or new proof);
  // the absent directories met while proving are not needed.
  for (const auto& [path, st] : seen) {
    if (plannable && st) (*plan)->exact(path, *st);
  }
  if (!plannable && plan != nullptr) plan->reset();
  return true;
}

std::string CompileService::plan_id(const std::string& direct_key, const std::string& manifest_bytes) {
  return direct_key + '\n' + std::string(sealed_identity(manifest_bytes));
}

std::optional<CompileFinished> CompileService::try_direct(const CompileJob& job, const Invocation& inv,
                                                          const std::string& direct_key) {
  auto got = storage_.get(direct_key);
  if (!got) {
    // The backend logs the outage once per burst; each failed lookup is counted.
    spdlog::debug("manifest lookup failed: {}", got.error().message);
    count_lookup_failure(got.error(), job.stats_language());
    return std::nullopt;
  }
  if (!got->has_value()) return std::nullopt;
  const std::string id = plan_id(direct_key, **got);
  if (auto plan = plans_.find(id)) {
    if (plan->still_holds()) {
      spdlog::debug("direct hit {} (planned)", plan->result_key());
      return try_hit(job, inv, plan->result_key());
    }
    plans_.drop(id);
  }
  auto manifest = decode_manifest(**got, direct_key);
  if (!manifest) {
    storage_.remove(direct_key);
    return std::nullopt;
  }
  for (const auto& entry : manifest->entries) {
    std::optional<DirectPlan::Builder> plan{std::in_place};
    if (!entry_still_valid(entry, &plan)) continue;
    if (auto hit = try_hit(job, inv, entry.result_key)) {
      spdlog::debug("direct hit {}", entry.result_key);
      if (plan) plans_.put(id, plan->finish(entry.result_key));
      return hit;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

void CompileService::update_manifest(const std::string& direct_key, ManifestEntry entry) {
  // What the new entry rests on, checked now (after the reply), so that its next hit, even on
  // the next server, needs no full check.
  std::optional<DirectPlan::Builder> plan{std::in_place};
  if (!entry_still_valid(entry, &plan)) plan.reset();
  const std::string result_key = entry.result_key;
  // The new entry first, then the older ones for other results, up to the limit.
  Manifest manifest;
  manifest.entries.push_back(std::move(entry));
  if (auto got = storage_.get(direct_key); got && got->has_value()) {
    if (auto old = decode_manifest(**got, direct_key)) {
      for (auto& e : old->entries) {
        if (manifest.entries.size() >= kMaxManifestEntries) break;
        if (e.result_key != manifest.entries.front().result_key) manifest.entries.push_back(std::move(e));
      }
    }
  }
  const std::string bytes = encode_manifest(direct_key, manifest);
  if (auto st = storage_.put(direct_key, bytes); !st) {
    spdlog::debug("manifest write failed: {}", st.error().message);
    return;
  }
  if (plan) plans_.put(plan_id(direct_key, bytes), plan->finish(result_key));
}

std::function<void()> CompileService::record_later(const std::shared_ptr<CompileJob>& job,
                                                   const std::string& direct_key, const std::string& result_key) {
  return [this, job, direct_key, result_key]() {
    auto inputs = job->recorded_inputs(file_hashes_);
    if (!inputs) return;
    ManifestEntry entry;
    entry.result_key = result_key;
    for (auto& [path, digest] : inputs->files) entry.files.push_back({std::move(path), std::move(digest)});
    for (auto& [path, mtime] : inputs->paths) entry.dirs.push_back({std::move(path), mtime});
    update_manifest(direct_key, std::move(entry));
  };
}

}  // namespace sccache
