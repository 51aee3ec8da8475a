#include "calc/stats.h"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace calc {
Summary summarize(const std::vector<int>& values) {
  if (values.empty()) return {0.0, 0, 0};
  const double sum = std::accumulate(values.begin(), values.end(), 0.0);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return {sum / values.size(), *lo, *hi};
}

std::string Summary::describe() const {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(3);
  os << "mean=" << mean << " min=" << min << " max=" << max;
  return os.str();
}
}  // namespace calc
