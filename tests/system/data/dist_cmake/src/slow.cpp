// Only built with -DDIST_SLOW=ON: a constexpr loop of GEO_SLOW_STEPS steps that gcc evaluates at
// compile time, so this TU takes seconds to compile (dist_e2e.sh kills a build server meanwhile).
#include <cstdint>

#include "geo/geo.h"

namespace {
constexpr std::uint64_t churn(std::uint64_t steps) {
  std::uint64_t x = 88172645463325252ULL;
  for (std::uint64_t i = 0; i < steps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}
constexpr std::uint64_t kSlow = churn(GEO_SLOW_STEPS);
}  // namespace

namespace geo {
std::uint64_t slow_value() { return kSlow; }
}  // namespace geo
