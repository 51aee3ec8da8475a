#pragma once
// Direct mode proves that no new header shadows a recorded one by checking that thousands of
// candidate paths are still absent (a hit of re2.cc: ~9,400 of them). The long-lived server
// remembers, for each absent path, its deepest existing ancestor and that directory's stat: a
// file or directory created below it changes the ancestor's mtime and ctime, so while the
// ancestor's stat is unchanged the path is still absent, and one stat of the ancestor answers
// for every path below it. An ancestor changed within the last few seconds is never trusted
// (timestamps are too coarse to tell two quick changes apart); then the path itself is asked.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/fs.hpp"

namespace sccache {

class AbsenceCache {
 public:
  // `settle_ns`: how old an ancestor's timestamps must be to be trusted (tests shorten it).
  explicit AbsenceCache(int64_t settle_ns = 2'000'000'000) : settle_ns_(settle_ns) {}

  // The stats of ancestors taken during one lookup, so each is asked once per lookup.
  using LookupStats = std::unordered_map<std::string, std::optional<FileStat>>;

  // True if nothing exists at `path` now. `by_proof` (optional) is cleared when the answer came
  // from asking the path itself rather than from an ancestor's unchanged stat in `seen`.
  bool still_absent(const std::string& path, LookupStats& seen, bool* by_proof = nullptr);

 private:
  struct Proof {
    std::string ancestor;
    FileStat stat;
  };
  static std::optional<FileStat> stat_once(const std::string& path, LookupStats& seen);
  std::optional<Proof> prove(const std::string& path, LookupStats& seen);

  const int64_t settle_ns_;
  std::mutex mu_;
  std::unordered_map<std::string, Proof> proofs_;  // guarded by mu_
};

}  // namespace sccache
