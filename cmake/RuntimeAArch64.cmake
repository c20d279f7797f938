# Cross-compiles runtime/ for AArch64 with Debian's aarch64-linux-gnu
# toolchain into build/runtime-aarch64/lib, where `sparsec compile --target aarch64`
# looks for libsparsec_runtime{,_main}.a and libsparsec_formats.a. Skipped
# (with a message) when the toolchain is missing; scripts/install-deps.sh
# installs it.
find_program(SPARSEC_AARCH64_CXX aarch64-linux-gnu-g++)
find_program(SPARSEC_AARCH64_CC aarch64-linux-gnu-gcc)
if(NOT SPARSEC_AARCH64_CXX OR NOT SPARSEC_AARCH64_CC)
  message(STATUS "sparsec: no aarch64-linux-gnu-g++; AArch64 runtime not built")
  return()
endif()

# The arm64 libpcre2-8.a (Debian multiarch: libpcre2-dev:arm64, see
# scripts/install-deps.sh); SPARSEC_PCRE2_AARCH64_STATIC_LIB is set in
# runtime/CMakeLists.txt, the compiler links AArch64 models against it.
if(NOT EXISTS "${SPARSEC_PCRE2_AARCH64_STATIC_LIB}")
  message(STATUS "sparsec: no arm64 libpcre2-8.a (${SPARSEC_PCRE2_AARCH64_STATIC_LIB}); "
    "AArch64 runtime not built (install libpcre2-dev:arm64)")
  return()
endif()

# Only nlohmann's own headers, pcre2.h and xxhash.h (the same for every
# architecture), never the host's /usr/include.
set(nlohmann_dir ${CMAKE_BINARY_DIR}/aarch64-include)
file(MAKE_DIRECTORY ${nlohmann_dir})
if(NOT EXISTS ${nlohmann_dir}/nlohmann)
  file(CREATE_LINK /usr/include/nlohmann ${nlohmann_dir}/nlohmann SYMBOLIC)
endif()
find_path(SPARSEC_XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
if(NOT EXISTS ${nlohmann_dir}/xxhash.h)
  file(CREATE_LINK ${SPARSEC_XXHASH_INCLUDE_DIR}/xxhash.h
    ${nlohmann_dir}/xxhash.h SYMBOLIC)
endif()
if(NOT EXISTS ${nlohmann_dir}/pcre2.h)
  file(CREATE_LINK ${SPARSEC_PCRE2_INCLUDE_DIR}/pcre2.h ${nlohmann_dir}/pcre2.h
    SYMBOLIC)
endif()

include(ExternalProject)
ExternalProject_Add(sparsec_runtime_aarch64
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${CMAKE_BINARY_DIR}/runtime-aarch64
  CMAKE_ARGS
    -G Ninja
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_SYSTEM_NAME=Linux
    -DCMAKE_SYSTEM_PROCESSOR=aarch64
    -DCMAKE_C_COMPILER=${SPARSEC_AARCH64_CC}
    -DCMAKE_CXX_COMPILER=${SPARSEC_AARCH64_CXX}
    -DSPARSEC_BUILD_COMPILER=OFF
    -DSPARSEC_BUILD_TESTS=OFF
    -DSPARSEC_NLOHMANN_INCLUDE_DIR=${nlohmann_dir}
    -DSPARSEC_PCRE2_STATIC_LIB=${SPARSEC_PCRE2_AARCH64_STATIC_LIB}
    -DSPARSEC_PCRE2_INCLUDE_DIR=${nlohmann_dir}
  BUILD_COMMAND ${CMAKE_COMMAND} --build . --target sparsec_runtime
    sparsec_runtime_main sparsec_formats
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  BUILD_BYPRODUCTS
    ${CMAKE_BINARY_DIR}/runtime-aarch64/lib/libsparsec_runtime.a
    ${CMAKE_BINARY_DIR}/runtime-aarch64/lib/libsparsec_runtime_main.a
    ${CMAKE_BINARY_DIR}/runtime-aarch64/lib/libsparsec_formats.a
  )
