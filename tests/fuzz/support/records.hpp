// Fuzz inputs that carry several messages (a block of transactions, a stream of peer messages,
// the chunks of a snapshot, a replica's inputs) are a list of records:
//
//   record = tag (1 byte) || length (2 bytes, little-endian) || `length` bytes
//
// A record cut short by the end of the input ends the list, so every input is a valid list. What
// a tag means is up to the target (a sender, a kind of step, or nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sharechain::fuzz {

struct Record {
  std::uint8_t tag = 0;
  std::string_view bytes;
};

// At most `max_records` records from the front of `input`.
std::vector<Record> split_records(std::string_view input, std::size_t max_records);

// The inverse, for the corpus generator. Payloads longer than 65,535 bytes are a caller error
// (the generator's messages are small); it aborts rather than write a record that would not
// read back.
void append_record(std::string& out, std::uint8_t tag, std::string_view bytes);

}  // namespace sharechain::fuzz
