// main() of every fuzz target in the normal (g++) build: runs LLVMFuzzerTestOneInput once over
// each file of the corpus folders (or single files) named on the command line, in name order,
// and prints how many inputs ran. It never generates inputs; `scripts/fuzz.sh` does that with
// clang and libFuzzer. Zero inputs is a failure: a missing corpus must not pass as a green test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool read_whole(const fs::path& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = fs::path(argv[0]).filename().string();
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", name.c_str());
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file(ec)) files.push_back(entry.path());
      }
    } else if (fs::is_regular_file(arg, ec)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: %s is neither a folder nor a file\n", name.c_str(), argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::string data;
  std::size_t ran = 0;
  for (const fs::path& file : files) {
    if (!read_whole(file, data)) {
      std::fprintf(stderr, "%s: cannot read %s\n", name.c_str(), file.c_str());
      return 2;
    }
    // A crash or a failed property aborts here, naming the input on stderr first.
    std::fprintf(stderr, "%s: %s\n", name.c_str(), file.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    ++ran;
  }
  std::printf("%s: ran %zu inputs\n", name.c_str(), ran);
  if (ran == 0) {
    std::fprintf(stderr, "%s: no inputs: the corpus is missing or empty\n", name.c_str());
    return 1;
  }
  return 0;
}
