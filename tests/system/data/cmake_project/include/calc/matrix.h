// Small dense integer matrices.
#pragma once
#include <vector>

namespace calc {
class Matrix {
 public:
  explicit Matrix(int n);
  static Matrix pascal(int n);
  long long determinant() const;
  long long trace() const;
  int size() const { return n_; }

 private:
  int n_;
  std::vector<long long> cells_;
  long long at(int r, int c) const { return cells_[r * n_ + c]; }
  long long& at(int r, int c) { return cells_[r * n_ + c]; }
};
}  // namespace calc
