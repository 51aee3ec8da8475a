#include "calc/primes.h"

#include <cstddef>

namespace calc {
std::vector<int> primes_below(int limit) {
  std::vector<bool> composite(static_cast<std::size_t>(limit > 0 ? limit : 0), false);
  std::vector<int> out;
  for (int i = 2; i < limit; ++i) {
    if (composite[static_cast<std::size_t>(i)]) continue;
    out.push_back(i);
    for (long long j = 1LL * i * i; j < limit; j += i) composite[static_cast<std::size_t>(j)] = true;
  }
  return out;
}
}  // namespace calc
