#include "tests/fuzz/support/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace sharechain::fuzz {

void check_failed(const char* file, int line, const char* condition, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  %s\n", file, line, condition,
               detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sharechain::fuzz
