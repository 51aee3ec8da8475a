#include "server/absence_cache.hpp"

namespace sccache {

namespace {
// About 1.3 MB at most; all dropped when full. Repeat hits are answered by plans
// (server/direct_plans), which carry the proofs' ancestors; what is kept here only spares a
// full check (a new entry, a plan that failed) the stat of candidates checked moments before.
constexpr size_t kMaxProofs = 4'096;
}  // namespace

std::optional<FileStat> AbsenceCache::stat_once(const std::string& path, LookupStats& seen) {
  auto it = seen.find(path);
  if (it == seen.end()) it = seen.emplace(path, stat_file(path)).first;
  return it->second;
}

// The deepest existing ancestor of an absent `path`, stat'ed before the path is asked again: a
// creation after that stat changes the ancestor's timestamps, which are old enough to differ.
// Stats already taken in this lookup are reused (a lookup is far shorter than the settle time,
// within which a change to an ancestor's timestamps is not trusted anyway).
std::optional<AbsenceCache::Proof> AbsenceCache::prove(const std::string& path, LookupStats& seen) {
  std::string at = path;
  std::optional<FileStat> st;
  do {
    std::string up = dirname_of(at);
    if (up == at) return std::nullopt;
    at = std::move(up);
    st = stat_once(at, seen);
  } while (!st);
  const int64_t limit = wall_clock_ns() - settle_ns_;
  if (st->mtime_ns >= limit || st->ctime_ns >= limit) return std::nullopt;
  if (stat_file(path)) return std::nullopt;  // created meanwhile: not absent after all
  return Proof{std::move(at), *st};
}

bool AbsenceCache::still_absent(const std::string& path, LookupStats& seen, bool* by_proof) {
  std::optional<Proof> known;
  {
    std::lock_guard lock(mu_);
    if (auto it = proofs_.find(path); it != proofs_.end()) known = it->second;
  }
  if (known) {
    auto now = stat_once(known->ancestor, seen);
    if (now && *now == known->stat) return true;
  }
  if (stat_file(path)) return false;
  auto proof = prove(path, seen);
  // A new proof answers like a remembered one: its ancestor's stat is in `seen`.
  if (by_proof != nullptr && !proof) *by_proof = false;
  std::lock_guard lock(mu_);
  if (!proof) {
    proofs_.erase(path);
  } else {
    if (proofs_.size() >= kMaxProofs) proofs_.clear();
    proofs_.insert_or_assign(path, std::move(*proof));
  }
  return true;
}

}  // namespace sccache
