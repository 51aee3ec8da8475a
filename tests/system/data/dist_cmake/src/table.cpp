#include <array>
#include <string>

#include "geo/geo.h"

namespace geo {

namespace {
constexpr std::array<int, GEO_TABLE_ROWS> kRows = {3, 1, 4, 1, 5};
}

std::string table_row(int row) {
  return "r" + std::to_string(row) + "=" + std::to_string(kRows.at(static_cast<std::size_t>(row)) * DIST_VARIANT);
}

int table_sum() {
  int s = 0;
  for (int v : kRows) s += v;
  return s * DIST_VARIANT;
}

}  // namespace geo
