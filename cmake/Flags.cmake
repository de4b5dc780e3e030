# Compiler flags live on INTERFACE targets; every library links them PRIVATE.
add_library(sc_warnings INTERFACE)
# -Wshadow=local is gcc's spelling; clang (the fuzz build) has no such option and would warn
# about it on every file.
target_compile_options(sc_warnings INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor
  -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)

# SC_FUZZ builds the libFuzzer targets of tests/fuzz (scripts/fuzz.sh): clang only, and every
# ShareChain library instrumented for coverage and checked by ASan and UBSan, UB fatal.
option(SC_FUZZ "Build the libFuzzer targets (clang; see docs/reliability.md, Fuzzing)" OFF)
add_library(sc_sanitize INTERFACE)
if(SC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SC_FUZZ=ON needs clang (CC=clang CXX=clang++), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  target_compile_options(sc_sanitize INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                               -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sc_sanitize INTERFACE -fsanitize=address,undefined)
elseif(SC_SANITIZE)
  target_compile_options(sc_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
  target_link_options(sc_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# The common set every ShareChain target takes.
add_library(sc_defaults INTERFACE)
target_link_libraries(sc_defaults INTERFACE sc_warnings sc_sanitize)

# The linker: LLVM's lld when installed (scripts/install-deps.sh installs it). A test binary
# links in 0.6 s with lld against 3.8 s with the default GNU ld, and the build links about a
# hundred of them, so on two cores this is minutes of a cold build. -DSC_LLD=OFF keeps GNU ld.
option(SC_LLD "Link with lld when the compiler accepts -fuse-ld=lld" ON)
if(SC_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" SC_HAVE_LLD)
  if(SC_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()
