#include <algorithm>

#include "geo/geo.h"

namespace geo {

std::vector<int> sorted_unique(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

int median(const std::vector<int>& v) {
  if (v.empty()) return 0;
  std::vector<int> s(v);
  std::nth_element(s.begin(), s.begin() + static_cast<long>(s.size() / 2), s.end());
  return s[s.size() / 2];
}

}  // namespace geo
