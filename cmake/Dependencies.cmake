# Every third-party dependency is found here, from Debian packages (scripts/setup.sh installs them).
# The client runs once per compile, so its start-up cost matters: in `sccache` OpenSSL and zstd
# are linked statically, toml++, spdlog and fmt are used header-only, and libstdc++ is linked
# statically, which leaves only libc/libm to the dynamic loader.
# `sccache-dist` links Debian's cpp-httplib, which is built against the shared OpenSSL; one
# process must not mix two OpenSSL copies, so libraries compile against OpenSSL's headers only
# and each executable picks the linkage (sccache_crypto_static or OpenSSL::Crypto/SSL).
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)            # SHA-256 (SHA-NI) for keys and entry checksums
find_library(OPENSSL_CRYPTO_STATIC_LIB NAMES libcrypto.a REQUIRED)
add_library(sccache_openssl_headers INTERFACE)
target_include_directories(sccache_openssl_headers INTERFACE ${OPENSSL_INCLUDE_DIR})
add_library(sccache_crypto_static INTERFACE)
target_link_libraries(sccache_crypto_static INTERFACE ${OPENSSL_CRYPTO_STATIC_LIB} Threads::Threads ${CMAKE_DL_LIBS})

# sccache-dist only.
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
find_library(HTTPLIB_LIB NAMES cpp-httplib REQUIRED)
add_library(sccache_httplib INTERFACE)
target_include_directories(sccache_httplib INTERFACE ${HTTPLIB_INCLUDE_DIR})
target_compile_definitions(sccache_httplib INTERFACE CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT
                                                     CPPHTTPLIB_BROTLI_SUPPORT)
target_link_libraries(sccache_httplib INTERFACE ${HTTPLIB_LIB} OpenSSL::SSL OpenSSL::Crypto)
find_path(JWT_INCLUDE_DIR jwt.h REQUIRED)
find_library(JWT_LIB NAMES jwt REQUIRED)
add_library(sccache_jwt INTERFACE)
target_include_directories(sccache_jwt INTERFACE ${JWT_INCLUDE_DIR})
target_link_libraries(sccache_jwt INTERFACE ${JWT_LIB})
find_package(LibArchive REQUIRED)
find_library(ZSTD_STATIC_LIB NAMES libzstd.a REQUIRED)
find_path(ZSTD_INCLUDE_DIR zstd.h REQUIRED)
add_library(sccache_zstd INTERFACE)
target_link_libraries(sccache_zstd INTERFACE ${ZSTD_STATIC_LIB})
target_include_directories(sccache_zstd INTERFACE ${ZSTD_INCLUDE_DIR})

# xxHash, header-only (XXH_INLINE_ALL): the integrity checksum of stored blobs.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
add_library(sccache_xxhash INTERFACE)
target_include_directories(sccache_xxhash INTERFACE ${XXHASH_INCLUDE_DIR})

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
