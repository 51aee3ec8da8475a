# Every third-party dependency is found here, from Debian packages (scripts/setup.sh installs them).
# The client runs once per compile, so its start-up cost matters: OpenSSL and zstd are linked
# statically, toml++, spdlog and fmt are used header-only, and libstdc++ is linked statically,
# which leaves only libc/libm to the dynamic loader.
find_package(Threads REQUIRED)
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL REQUIRED)            # SHA-256 (SHA-NI) for keys and entry checksums
find_library(ZSTD_STATIC_LIB NAMES libzstd.a REQUIRED)
find_path(ZSTD_INCLUDE_DIR zstd.h REQUIRED)
add_library(sccache_zstd INTERFACE)
target_link_libraries(sccache_zstd INTERFACE ${ZSTD_STATIC_LIB})
target_include_directories(sccache_zstd INTERFACE ${ZSTD_INCLUDE_DIR})

find_path(TOMLPP_INCLUDE_DIR toml++/toml.h REQUIRED)
add_library(sccache_toml INTERFACE)
target_include_directories(sccache_toml INTERFACE ${TOMLPP_INCLUDE_DIR})
target_compile_definitions(sccache_toml INTERFACE TOML_HEADER_ONLY=1)

find_package(nlohmann_json 3.10 REQUIRED)
find_path(SPDLOG_INCLUDE_DIR spdlog/spdlog.h REQUIRED)
find_path(FMT_INCLUDE_DIR fmt/format.h REQUIRED)
add_library(sccache_spdlog INTERFACE)
target_include_directories(sccache_spdlog INTERFACE ${SPDLOG_INCLUDE_DIR} ${FMT_INCLUDE_DIR})
target_compile_definitions(sccache_spdlog INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)

if(SCCACHE_TESTS)
  find_package(GTest REQUIRED)
endif()
