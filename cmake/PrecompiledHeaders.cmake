# Build time. A transaction's payload is a oneof over every contract's messages, so
# sharechain/types.pb.h brings about 85,000 lines of generated protobuf code into three
# translation units in four, and parsing them was a third of a typical file's compile time.
# A precompiled header (standard library + generated protobuf headers) is built with sc_proto
# and reused by every library and test; the tools' (below) adds their command-line, JSON and
# gRPC headers. Catch2 stays out: outside its implementation, which only catch_main.cpp
# compiles, it is a small part of a test's parse.
# Reuse requires identical compile flags and definitions for everything the header reads;
# every reusing target links sc_defaults and sc_proto as the providers do, and GCC's
# -Winvalid-pch (added by CMake) says so if a target ever drifts, the build still being
# correct (the compiler then parses the header text instead).
#
# SC_PCH=OFF builds without it, which is how to check that every file includes what it uses.
option(SC_PCH "Reuse one precompiled header of the standard library and the protobuf types" ON)

# RelWithDebInfo with line tables only (-g1): backtraces, sanitizer reports and perf keep
# file:line and function names; full variable information (-g) cost about 1.8 s per file, the
# size of the generated protobuf types' debug info. BUILD_TYPE=Debug keeps -g.
add_library(sc_debug_info INTERFACE)
target_compile_options(sc_debug_info INTERFACE $<$<CONFIG:RelWithDebInfo>:-g1>)
target_link_libraries(sc_defaults INTERFACE sc_debug_info)
target_link_libraries(sc_proto_gen PRIVATE sc_debug_info)

# GCC only: it falls back to parsing when a reused header does not match, where clang (the fuzz
# build) stops with an error.
if(NOT SC_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  return()
endif()

set(SC_PCH_STD_HEADERS
  <algorithm> <array> <chrono> <cstdint> <cstring> <functional> <map> <memory> <mutex>
  <optional> <set> <span> <string> <string_view> <unordered_map> <utility> <variant> <vector>)
set(SC_PCH_PROTO_HEADERS
  <sharechain/types.pb.h> <sharechain/consensus.pb.h> <sharechain/ledger.pb.h>
  <sharechain/governance.pb.h>)

target_precompile_headers(sc_proto PRIVATE ${SC_PCH_STD_HEADERS} ${SC_PCH_PROTO_HEADERS})
# The command-line tools and their tests also parse CLI11, nlohmann/json and gRPC in nearly every
# file (half of a wallet command's compile time, 15 s to 12 s with them precompiled): a second
# header for the targets under tools/ and tests/tools/.
target_precompile_headers(sc_tools PRIVATE ${SC_PCH_STD_HEADERS} ${SC_PCH_PROTO_HEADERS}
  <CLI/CLI.hpp> <nlohmann/json.hpp> <grpcpp/grpcpp.h> <sharechain/api.grpc.pb.h>)

# True when `target` links `wanted`, directly or through the interfaces of what it links.
function(sc_links_to target wanted out)
  set(${out} OFF PARENT_SCOPE)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen OR NOT TARGET ${t})
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(type ${t} TYPE)
    set(links "")
    if(t STREQUAL target AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(links ${t} LINK_LIBRARIES)
    else()
      get_target_property(links ${t} INTERFACE_LINK_LIBRARIES)
    endif()
    foreach(l ${links})
      if(l STREQUAL wanted)
        set(${out} ON PARENT_SCOPE)
        return()
      endif()
      if(l MATCHES "^sc_")
        list(APPEND todo ${l})
      endif()
    endforeach()
  endwhile()
endfunction()

function(sc_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    sc_collect_targets(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# A target reuses a header when it compiles C++ with ShareChain's flags (links sc_defaults)
# and sees the generated headers (links any sc_ library, all of which carry sc_proto).
sc_collect_targets(${PROJECT_SOURCE_DIR} all_targets)
set(providers sc_proto sc_proto_gen sc_tools)
foreach(t ${all_targets})
  if(t IN_LIST providers)
    continue()
  endif()
  get_target_property(type ${t} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY" AND NOT type STREQUAL "EXECUTABLE")
    continue()
  endif()
  get_target_property(links ${t} LINK_LIBRARIES)
  if(NOT links OR NOT "sc_defaults" IN_LIST links)
    continue()
  endif()
  set(sees_proto OFF)
  foreach(l ${links})
    if(l MATCHES "^sc_" AND NOT l MATCHES "^sc_(defaults|warnings|sanitize|debug_info)$")
      set(sees_proto ON)
    endif()
  endforeach()
  if(NOT sees_proto)
    continue()
  endif()
  # Only the tools and their tests include those headers in most files; elsewhere (the fuzz
  # support, which links the tools for their checks) the bigger header only costs loading.
  sc_links_to(${t} sc_tools uses_tools)
  get_target_property(dir ${t} SOURCE_DIR)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
  if(uses_tools AND rel MATCHES "^(tools|tests/tools)(/|$)")
    target_precompile_headers(${t} REUSE_FROM sc_tools)
  else()
    target_precompile_headers(${t} REUSE_FROM sc_proto)
  endif()
endforeach()
