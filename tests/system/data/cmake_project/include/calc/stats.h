// Summary statistics of integer sequences.
#pragma once
#include <string>
#include <vector>

namespace calc {
struct Summary {
  double mean;
  int min;
  int max;
  std::string describe() const;
};
Summary summarize(const std::vector<int>& values);
}  // namespace calc
