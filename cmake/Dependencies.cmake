# Every third-party dependency is found here, from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)            # SHA-256 (SHA-NI) for keys and entry checksums
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
if(SCCACHE_TESTS)
  find_package(GTest REQUIRED)
endif()
