#pragma once
// Settings shared by the remote backends.
#include <chrono>

namespace sccache {

struct RemoteTimeouts {
  std::chrono::milliseconds connect{1000};  // a dead host costs at most this per probe
  std::chrono::milliseconds io{3000};       // no progress for this long = failure
};

}  // namespace sccache
