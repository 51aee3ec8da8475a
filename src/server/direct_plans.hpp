#pragma once
// Direct mode's repeat hits. Checking a manifest entry in full means decoding the manifest
// (re2.cc: ~400 files and ~9,400 absent candidates) and looking every candidate up. Once an
// entry has been checked, what that check rested on is small: the stat of each file whose digest
// matched, the stat of each ancestor directory whose unchanged state proved candidates absent,
// and the mtime of each existing candidate. A plan keeps exactly that, under the direct key and
// the manifest's own identity (another manifest content is another plan). While every one of
// those stats is unchanged, the entry still holds: the same conclusion as the full check, from
// a few hundred stat calls and no decoding. Any difference sends the lookup back to the full
// check, which then makes a new plan. Plans are kept across restarts (server/warm_state).
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/bytes.hpp"
#include "util/fs.hpp"

namespace sccache {

class DirectPlan {
 public:
  // Paths are kept sorted and front-coded (abseil's headers share 70-byte prefixes): ~60 bytes
  // per path instead of ~150.
  class Builder {
   public:
    // A path that must keep exactly this stat: an include file, or an ancestor that proved
    // candidates absent.
    void exact(const std::string& path, const FileStat& st) { add(path, st, false); }
    void existing(const std::string& path, int64_t mtime_ns) { add(path, FileStat{0, mtime_ns, 0, 0, 0}, true); }
    DirectPlan finish(std::string result_key);

   private:
    struct Item {
      std::string path;
      FileStat st;
      bool mtime_only;
    };
    void add(const std::string& path, const FileStat& st, bool mtime_only) { items_.push_back({path, st, mtime_only}); }
    std::vector<Item> items_;
  };

  [[nodiscard]] const std::string& result_key() const { return result_key_; }
  // No checks: not plannable (a path too long to front-code); never kept.
  [[nodiscard]] bool empty() const { return checks_.empty(); }
  [[nodiscard]] size_t weight() const;
  // Every stat it rests on is unchanged now.
  [[nodiscard]] bool still_holds() const;
  void save(ByteWriter& out) const;
  static bool load(ByteReader& in, DirectPlan& plan);

 private:
  struct Check {
    FileStat st;
    uint16_t shared;  // bytes taken from the previous path
    uint16_t suffix;  // bytes of this path's own, next in names_
    bool mtime_only;
  };
  std::string result_key_;
  std::string names_;
  std::vector<Check> checks_;
};

class DirectPlans {
 public:
  // `budget`: about how many bytes all plans may take (least recently used ones go first).
  explicit DirectPlans(size_t budget = size_t{8} << 20) : budget_(budget) {}
  // `id`: the direct key and the manifest's identity.
  std::shared_ptr<const DirectPlan> find(const std::string& id);
  void put(const std::string& id, DirectPlan plan);
  void drop(const std::string& id);
  // Most recently used first. load: false if malformed (what came before is kept).
  void save(ByteWriter& out) const;
  bool load(ByteReader& in);

 private:
  using Order = std::list<std::string>;
  struct Slot {
    std::shared_ptr<const DirectPlan> plan;
    size_t weight;
    Order::iterator at;
  };
  const size_t budget_;
  mutable std::mutex mu_;
  Order order_;  // most recently used first; guarded by mu_
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
  size_t used_ = 0;                              // guarded by mu_
};

}  // namespace sccache
