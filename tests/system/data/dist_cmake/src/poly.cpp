#include <cmath>
#include <numeric>

#include "geo/geo.h"

namespace geo {

std::vector<Vec> regular_polygon(int sides, double radius) {
  std::vector<Vec> out;
  out.reserve(static_cast<std::size_t>(sides));
  const double step = 2 * 3.14159265358979323846 / sides;
  for (int i = 0; i < sides; ++i) out.push_back({radius * std::cos(step * i), radius * std::sin(step * i)});
  return out;
}

double area(const std::vector<Vec>& poly) {
  double twice = 0;
  for (std::size_t i = 0; i < poly.size(); ++i) twice += poly[i].cross(poly[(i + 1) % poly.size()]);
  return std::fabs(twice) / 2;
}

double perimeter(const std::vector<Vec>& poly) {
  double sum = 0;
  for (std::size_t i = 0; i < poly.size(); ++i) sum += length(poly[(i + 1) % poly.size()] - poly[i]);
  return sum;
}

}  // namespace geo
