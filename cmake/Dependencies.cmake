find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)  # core only: the node serves /metrics itself

# Debian's gRPC CMake package pulls in targets that are not all shipped; pkg-config is reliable.
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
find_library(GRPCPP_REFLECTION grpc++_reflection REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# The daemon's allocator (docs/benchmarks.md: glibc's malloc and free were a fifth of the
# primary's CPU at saturation). Sanitizer builds keep their own allocator.
if(NOT SC_SANITIZE AND NOT SC_FUZZ)
  find_library(JEMALLOC_LIBRARY jemalloc REQUIRED)
endif()

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
find_path(CATCH2_INCLUDE_DIR catch2/catch.hpp REQUIRED)
find_path(TOML11_INCLUDE_DIR toml.hpp REQUIRED)

add_library(sc_cli11 INTERFACE)
target_include_directories(sc_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})
add_library(sc_toml INTERFACE)
target_include_directories(sc_toml SYSTEM INTERFACE ${TOML11_INCLUDE_DIR})
add_library(sc_grpc INTERFACE)
target_link_libraries(sc_grpc INTERFACE PkgConfig::GRPCPP protobuf::libprotobuf)
