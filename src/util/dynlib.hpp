#pragma once
// Loading optional shared libraries on first use (dlopen). Backends whose libraries pull in many
// dependencies (libcurl, libmemcached) are loaded this way so that the client, which runs once
// per compile and never uses them, does not pay their dynamic-loading cost at every start.
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace sccache {

class DynLib {
 public:
  // Opens the first of `sonames` that loads (RTLD_NOW | RTLD_LOCAL). The handle is never closed:
  // function pointers taken from it stay valid for the life of the process.
  // `package` names the Debian package to install, for the error message.
  static Expected<DynLib> open(const std::vector<std::string>& sonames, const std::string& package);

  // Typed symbol lookup: `auto f = lib.sym<decltype(&curl_easy_init)>("curl_easy_init");`
  template <typename Fn>
  Expected<Fn> sym(const char* name) const {
    SCCACHE_TRY(p, raw_sym(name));
    return reinterpret_cast<Fn>(p);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  }

  [[nodiscard]] const std::string& soname() const { return soname_; }

 private:
  DynLib(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  [[nodiscard]] Expected<void*> raw_sym(const char* name) const;

  void* handle_;
  std::string soname_;
};

}  // namespace sccache

// Fills `api.name` from `lib`, or returns the error from the enclosing function.
#define SCCACHE_DLSYM(lib, api, name)                          \
  do {                                                         \
    auto sym_result_ = (lib).sym<decltype(&::name)>(#name);    \
    if (!sym_result_) return sym_result_.error();              \
    (api).name = *sym_result_;                                 \
  } while (false)
