#include "tests/fuzz/support/scratch.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace sharechain::fuzz {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fuzz scratch: %s\n", what.c_str());
  std::abort();
}

struct Scratch {
  fs::path dir;
  Scratch() {
    std::error_code ec;
    fs::path base;
    if (const char* chosen = std::getenv("SC_FUZZ_SCRATCH"); chosen != nullptr && *chosen != '\0') {
      base = chosen;
    } else {
      base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    }
    std::string pattern = (base / "sc-fuzz.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) die("mkdtemp in " + base.string() + " failed");
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

const fs::path& scratch_dir() {
  static Scratch scratch;
  return scratch.dir;
}

fs::path write_scratch_file(const std::string& name, std::string_view bytes) {
  const fs::path path = scratch_dir() / name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("cannot open " + path.string());
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) die("cannot write " + path.string());
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return path;
}

}  // namespace sharechain::fuzz
