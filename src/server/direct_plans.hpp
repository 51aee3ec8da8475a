#pragma once
// Direct mode's repeat hits. Checking a manifest entry in full means decoding the manifest
// (re2.cc: ~330 files and ~9,400 absent candidates) and looking every candidate up. Once an
// entry has been checked, what that check rested on is small: the stat of each file whose digest
// matched, the stat of each ancestor directory whose unchanged state proved candidates absent,
// and the mtime of each existing candidate. A plan keeps exactly that, under the direct key and
// the manifest's own checksum (another manifest content is another plan). While every one of
// those stats is unchanged, the entry still holds: the same conclusion as the full check, from
// a few hundred stat calls and no decoding. Any difference sends the lookup back to the full
// check, which then makes a new plan.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/fs.hpp"

namespace sccache {

struct DirectPlan {
  std::string result_key;
  std::vector<std::pair<std::string, FileStat>> files;      // include files, at their hashed stat
  std::vector<std::pair<std::string, FileStat>> ancestors;  // proofs of absence
  std::vector<std::pair<std::string, int64_t>> existing;    // existing candidates, by mtime
  [[nodiscard]] size_t weight() const;
  [[nodiscard]] bool still_holds() const;
};

class DirectPlans {
 public:
  // `budget`: about how many bytes all plans may take (least recently used ones go first).
  explicit DirectPlans(size_t budget = size_t{4} << 20) : budget_(budget) {}
  // `id`: the direct key and the manifest's checksum.
  std::shared_ptr<const DirectPlan> find(const std::string& id);
  void put(const std::string& id, DirectPlan plan);
  void drop(const std::string& id);

 private:
  using Order = std::list<std::string>;
  struct Slot {
    std::shared_ptr<const DirectPlan> plan;
    size_t weight;
    Order::iterator at;
  };
  const size_t budget_;
  std::mutex mu_;
  Order order_;  // most recently used first; guarded by mu_
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
  size_t used_ = 0;                              // guarded by mu_
};

}  // namespace sccache
