#include <cmath>

#include "geo/geo.h"

namespace geo {

double length(const Vec& v) { return std::sqrt(v.dot(v)); }

Vec rotate90(const Vec& v) { return {-v.y, v.x}; }

}  // namespace geo
