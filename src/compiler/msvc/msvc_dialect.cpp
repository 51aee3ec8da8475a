#include "compiler/msvc/msvc_dialect.hpp"

#include <array>

namespace sccache {

std::span<const MsvcDialect> msvc_dialects() {
  static const std::array<MsvcDialect, 2> rows = {
      MsvcDialect{"msvc", "", true, true, true, false, false},
      MsvcDialect{"msvc-clang", "clang", false, false, false, true, true},
  };
  return rows;
}

const MsvcDialect* msvc_dialect_named(std::string_view name) {
  for (const auto& d : msvc_dialects()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const MsvcDialect& cl_dialect() { return msvc_dialects()[0]; }
const MsvcDialect& clang_cl_dialect() { return msvc_dialects()[1]; }

}  // namespace sccache
