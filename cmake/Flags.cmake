# Compiler flags live on INTERFACE targets; every library links them PRIVATE.
add_library(sc_warnings INTERFACE)
target_compile_options(sc_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)

add_library(sc_sanitize INTERFACE)
if(SC_SANITIZE)
  target_compile_options(sc_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
  target_link_options(sc_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# The common set every ShareChain target takes.
add_library(sc_defaults INTERFACE)
target_link_libraries(sc_defaults INTERFACE sc_warnings sc_sanitize)
