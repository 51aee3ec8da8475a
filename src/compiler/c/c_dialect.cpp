#include "compiler/c/c_dialect.hpp"

#include <array>

namespace sccache {

std::span<const CDialect> c_dialects() {
  static const std::array<CDialect, 2> rows = {
      CDialect{"gcc", "gcc", true, "", true},
      CDialect{"clang", "clang", false, "-fcolor-diagnostics", false},
  };
  return rows;
}

const CDialect* c_dialect_named(std::string_view name) {
  for (const auto& d : c_dialects()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const CDialect& gcc_dialect() { return c_dialects()[0]; }
const CDialect& clang_dialect() { return c_dialects()[1]; }

}  // namespace sccache
