#include <cstdio>
#include <cstring>
#include <iostream>

#include "geo/geo.h"

int main() {
  const auto hexagon = geo::regular_polygon(6, 2.0);
  const auto nums = geo::sorted_unique({9, 3, 7, 3, 1, 9, 4});
  const auto ws = geo::words("the quick  brown fox");
  const char* crc_text = "123456789";
  char buf[64];
  std::snprintf(buf, sizeof buf, "area=%.3f perimeter=%.3f", geo::area(hexagon), geo::perimeter(hexagon));
  std::cout << GEO_NAME << " v" << DIST_VARIANT << ": " << buf << " len=" << geo::length({3, 4})
            << " median=" << geo::median(nums) << " words=" << geo::join(ws, ",")
            << " fnv=" << geo::hex(geo::fnv1a("geo")) << " " << geo::table_row(2) << " sum=" << geo::table_sum()
            << " crc=" << std::hex << geo_crc32(reinterpret_cast<const unsigned char*>(crc_text), std::strlen(crc_text))
            << std::dec;
#ifdef GEO_HAVE_SLOW
  std::cout << " slow=" << geo::hex(geo::slow_value());
#endif
  std::cout << "\n";
  return 0;
}
