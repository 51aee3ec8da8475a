#include <iostream>

#include "calc/config.h"
#include "calc/matrix.h"
#include "calc/primes.h"
#include "calc/stats.h"

int main() {
  const auto primes = calc::primes_below();
  const auto summary = calc::summarize(primes);
  const auto m = calc::Matrix::pascal(5);
  std::cout << calc::kName << ": " << primes.size() << " primes below " << calc::kPrimeLimit
            << ", " << summary.describe() << ", pascal(5) det=" << m.determinant()
            << " trace=" << m.trace() << "\n";
  return 0;
}
