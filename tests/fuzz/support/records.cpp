#include "tests/fuzz/support/records.hpp"

#include <cstdio>
#include <cstdlib>

namespace sharechain::fuzz {

std::vector<Record> split_records(std::string_view input, std::size_t max_records) {
  std::vector<Record> out;
  std::size_t at = 0;
  while (out.size() < max_records && input.size() - at >= 3) {
    const auto tag = static_cast<std::uint8_t>(input[at]);
    const std::size_t length = static_cast<std::uint8_t>(input[at + 1]) |
                               (static_cast<std::size_t>(static_cast<std::uint8_t>(input[at + 2])) << 8);
    at += 3;
    if (input.size() - at < length) break;
    out.push_back(Record{tag, input.substr(at, length)});
    at += length;
  }
  return out;
}

void append_record(std::string& out, std::uint8_t tag, std::string_view bytes) {
  if (bytes.size() > 0xffff) {
    std::fprintf(stderr, "append_record: a %zu-byte record does not fit the 2-byte length\n",
                 bytes.size());
    std::abort();
  }
  out.push_back(static_cast<char>(tag));
  out.push_back(static_cast<char>(bytes.size() & 0xff));
  out.push_back(static_cast<char>(bytes.size() >> 8));
  out.append(bytes);
}

}  // namespace sharechain::fuzz
