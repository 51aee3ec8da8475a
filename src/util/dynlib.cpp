#include "util/dynlib.hpp"

#include <dlfcn.h>

namespace sccache {

Expected<DynLib> DynLib::open(const std::vector<std::string>& sonames, const std::string& package) {
  std::string errors;
  for (const auto& name : sonames) {
    if (void* h = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return DynLib(h, name);
    const char* why = ::dlerror();
    if (!errors.empty()) errors += "; ";
    errors += why != nullptr ? why : name;
  }
  return make_error("cannot load " + (sonames.empty() ? std::string("library") : sonames.front()) + " (install the `" +
                    package + "` package): " + errors);
}

Expected<void*> DynLib::raw_sym(const char* name) const {
  ::dlerror();
  void* p = ::dlsym(handle_, name);
  if (p == nullptr) {
    const char* why = ::dlerror();
    return make_error(soname_ + ": missing symbol " + name + (why != nullptr ? std::string(": ") + why : ""));
  }
  return p;
}

}  // namespace sccache
