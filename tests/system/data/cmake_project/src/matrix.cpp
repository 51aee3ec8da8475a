#include "calc/matrix.h"

#include <cstddef>
#include <utility>

namespace calc {
Matrix::Matrix(int n) : n_(n), cells_(static_cast<std::size_t>(n) * n, 0) {}

Matrix Matrix::pascal(int n) {
  Matrix m(n);
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) {
      m.at(r, c) = (r == 0 || c == 0) ? 1 : m.at(r - 1, c) + m.at(r, c - 1);
    }
  }
  return m;
}

long long Matrix::trace() const {
  long long t = 0;
  for (int i = 0; i < n_; ++i) t += at(i, i);
  return t;
}

// Fraction-free Gaussian elimination (Bareiss), exact for integers.
long long Matrix::determinant() const {
  Matrix m = *this;
  long long prev = 1;
  int sign = 1;
  for (int k = 0; k < n_ - 1; ++k) {
    if (m.at(k, k) == 0) {
      int swap_row = -1;
      for (int r = k + 1; r < n_; ++r) {
        if (m.at(r, k) != 0) { swap_row = r; break; }
      }
      if (swap_row < 0) return 0;
      for (int c = 0; c < n_; ++c) std::swap(m.at(k, c), m.at(swap_row, c));
      sign = -sign;
    }
    for (int r = k + 1; r < n_; ++r) {
      for (int c = k + 1; c < n_; ++c) {
        m.at(r, c) = (m.at(r, c) * m.at(k, k) - m.at(r, k) * m.at(k, c)) / prev;
      }
    }
    prev = m.at(k, k);
  }
  return sign * m.at(n_ - 1, n_ - 1);
}
}  // namespace calc

#ifndef CALC_MATRIX_SIZE
#error "CALC_MATRIX_SIZE must be defined by the build"
#endif
