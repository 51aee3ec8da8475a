#include "server/detection_memo.hpp"

#include "util/hash.hpp"

namespace sccache {

namespace {
constexpr size_t kMaxAnswers = 10'000;  // a few per compiler binary; all dropped when full
}  // namespace

Expected<std::string> ServerDetectionMemo::content_digest(const std::string& path) {
  return remembered("sha256", path, [&] { return sha256_file_hex(path); });
}

Expected<std::string> ServerDetectionMemo::remembered(std::string_view what, const std::string& path,
                                                      const std::function<Expected<std::string>()>& compute) {
  std::string key = std::string(what) + '\0' + path;
  auto before = stat_file(path);
  if (before) {
    std::lock_guard lock(mu_);
    if (auto it = answers_.find(key); it != answers_.end() && it->second.stat == *before) return it->second.value;
  }
  const int64_t started = wall_clock_ns();
  auto answer = compute();
  if (!answer || !before) return answer;
  // Kept only if the file did not change meanwhile and is old enough that a change would show.
  auto after = stat_file(path);
  const int64_t limit = started - settle_ns_;
  if (after && *after == *before && before->mtime_ns < limit && before->ctime_ns < limit) {
    std::lock_guard lock(mu_);
    if (answers_.size() >= kMaxAnswers) answers_.clear();
    answers_.insert_or_assign(std::move(key), Answer{*before, *answer});
  }
  return answer;
}

void ServerDetectionMemo::save(ByteWriter& out) const {
  std::lock_guard lock(mu_);
  out.u64(answers_.size());
  for (const auto& [key, answer] : answers_) {
    out.str(key);
    write_file_stat(out, answer.stat);
    out.str(answer.value);
  }
}

bool ServerDetectionMemo::load(ByteReader& in) {
  uint64_t n = 0;
  if (!in.u64(n) || n > kMaxAnswers) return false;
  std::map<std::string, Answer> loaded;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    Answer a;
    if (!in.str(key) || !read_file_stat(in, a.stat) || !in.str(a.value)) return false;
    loaded.insert_or_assign(std::move(key), std::move(a));
  }
  std::lock_guard lock(mu_);
  answers_.merge(loaded);
  return true;
}

}  // namespace sccache
