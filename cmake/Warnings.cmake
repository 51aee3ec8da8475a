# One warning set for every target of the project; -Werror only in the dev preset.
add_library(sccache_warnings INTERFACE)
target_compile_options(sccache_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
if(SCCACHE_WERROR)
  target_compile_options(sccache_warnings INTERFACE -Werror)
endif()
# GCC 12 reports false maybe-uninitialized warnings through std::variant/std::optional moves.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(sccache_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
