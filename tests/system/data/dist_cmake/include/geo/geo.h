#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "geo/config.h"

extern "C" std::uint32_t geo_crc32(const unsigned char* data, unsigned long len);

namespace geo {

struct Vec {
  double x = 0, y = 0;
  Vec operator+(const Vec& o) const { return {x + o.x, y + o.y}; }
  Vec operator-(const Vec& o) const { return {x - o.x, y - o.y}; }
  double cross(const Vec& o) const { return x * o.y - y * o.x; }
  double dot(const Vec& o) const { return x * o.x + y * o.y; }
};

// vec.cpp
double length(const Vec& v);
Vec rotate90(const Vec& v);
// poly.cpp
std::vector<Vec> regular_polygon(int sides, double radius);
double area(const std::vector<Vec>& poly);
double perimeter(const std::vector<Vec>& poly);
// hashing.cpp
std::uint64_t fnv1a(const std::string& s);
std::string hex(std::uint64_t v);
// text.cpp
std::string join(const std::vector<std::string>& parts, const std::string& sep);
std::vector<std::string> words(const std::string& s);
// sorting.cpp
std::vector<int> sorted_unique(std::vector<int> v);
int median(const std::vector<int>& v);
// table.cpp
std::string table_row(int row);
int table_sum();
#ifdef GEO_HAVE_SLOW
// slow.cpp
std::uint64_t slow_value();
#endif

}  // namespace geo
