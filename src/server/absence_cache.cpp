#include "server/absence_cache.hpp"

#include "server/detection_memo.hpp"

namespace sccache {

namespace {
constexpr size_t kMaxProofs = 200'000;  // about 30 MB at most; all dropped when full
}  // namespace

std::optional<FileStat> AbsenceCache::stat_once(const std::string& path, LookupStats& seen) {
  auto it = seen.find(path);
  if (it == seen.end()) it = seen.emplace(path, stat_file(path)).first;
  return it->second;
}

// The deepest existing ancestor of an absent `path`, stat'ed before the path is asked again: a
// creation after that stat changes the ancestor's timestamps, which are old enough to differ.
std::optional<AbsenceCache::Proof> AbsenceCache::prove(const std::string& path) {
  std::string at = path;
  std::optional<FileStat> st;
  do {
    std::string up = dirname_of(at);
    if (up == at) return std::nullopt;
    at = std::move(up);
    st = stat_file(at);
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
  if (by_proof != nullptr) *by_proof = false;
  if (stat_file(path)) return false;
  auto proof = prove(path);
  std::lock_guard lock(mu_);
  if (!proof) {
    proofs_.erase(path);
  } else {
    if (proofs_.size() >= kMaxProofs) proofs_.clear();
    proofs_.insert_or_assign(path, std::move(*proof));
  }
  return true;
}

void AbsenceCache::save(ByteWriter& out) const {
  std::lock_guard lock(mu_);
  out.u64(proofs_.size());
  for (const auto& [path, proof] : proofs_) {
    out.str(path);
    out.str(proof.ancestor);
    write_file_stat(out, proof.stat);
  }
}

bool AbsenceCache::load(ByteReader& in) {
  uint64_t n = 0;
  if (!in.u64(n) || n > kMaxProofs) return false;
  std::unordered_map<std::string, Proof> loaded;
  for (uint64_t i = 0; i < n; ++i) {
    std::string path;
    Proof proof;
    if (!in.str(path) || !in.str(proof.ancestor) || !read_file_stat(in, proof.stat)) return false;
    loaded.insert_or_assign(std::move(path), std::move(proof));
  }
  std::lock_guard lock(mu_);
  proofs_.merge(loaded);
  return true;
}

}  // namespace sccache
