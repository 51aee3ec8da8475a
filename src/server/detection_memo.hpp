#pragma once
// The server's DetectionMemo: a compiler binary's content digest and its probe answers,
// remembered with the binary's stat (size, mtime, ctime, inode, mode) and recomputed when that
// changes. Hashing rustc's 150 MB of sysroot libraries or running `g++ -E probe.c` is then done
// once per binary, not once per server start (the answers are kept in server/warm_state).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "compiler/registry.hpp"
#include "util/bytes.hpp"
#include "util/fs.hpp"

namespace sccache {

class ServerDetectionMemo final : public DetectionMemo {
 public:
  // `settle_ns`: a file changed more recently than this is not remembered (coarse timestamps).
  explicit ServerDetectionMemo(int64_t settle_ns = 2'000'000'000) : settle_ns_(settle_ns) {}

  Expected<std::string> content_digest(const std::string& path) override;
  Expected<std::string> remembered(std::string_view what, const std::string& path,
                                   const std::function<Expected<std::string>()>& compute) override;

  void save(ByteWriter& out) const;
  bool load(ByteReader& in);

 private:
  struct Answer {
    FileStat stat;
    std::string value;
  };
  const int64_t settle_ns_;
  mutable std::mutex mu_;
  std::map<std::string, Answer> answers_;  // key: what + '\0' + path; guarded by mu_
};

}  // namespace sccache
