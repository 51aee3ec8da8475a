// Prime numbers below a limit.
#pragma once
#include <vector>
#include "calc/config.h"

namespace calc {
std::vector<int> primes_below(int limit = kPrimeLimit);
}  // namespace calc
