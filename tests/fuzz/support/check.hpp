// What a fuzz target asserts, and the round-trip property every decoder is held to.
//
// A failed check prints the property and the values involved, then aborts: libFuzzer reports
// that as a crash and saves the input; the replay ctest reports it as a failed test. Checks do
// not depend on NDEBUG (the normal build is RelWithDebInfo, where assert() is compiled out).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sharechain::fuzz {

[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               const std::string& detail);

// Decodes `bytes` as a protobuf message M. When it decodes, checks that encoding it and decoding
// the encoding succeeds and that encoding that second message gives the same bytes again
// (decode -> encode -> decode -> encode is stable). nullopt when `bytes` do not decode.
template <typename M>
std::optional<M> decode_stable(std::string_view bytes);

// The same check for a message that already decoded.
template <typename M>
void check_round_trip(const M& message);

}  // namespace sharechain::fuzz

#define FUZZ_CHECK(condition, detail)                                                 \
  do {                                                                                \
    if (!(condition)) {                                                               \
      ::sharechain::fuzz::check_failed(__FILE__, __LINE__, #condition, (detail));     \
    }                                                                                 \
  } while (false)

namespace sharechain::fuzz {

template <typename M>
void check_round_trip(const M& message) {
  const std::string first = message.SerializeAsString();
  M again;
  FUZZ_CHECK(again.ParseFromString(first),
             std::string(M::descriptor()->full_name()) + ": its own encoding does not decode");
  const std::string second = again.SerializeAsString();
  FUZZ_CHECK(first == second, std::string(M::descriptor()->full_name()) +
                                  ": encoding is not stable across a round trip (" +
                                  std::to_string(first.size()) + " then " +
                                  std::to_string(second.size()) + " bytes)");
}

template <typename M>
std::optional<M> decode_stable(std::string_view bytes) {
  M message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  check_round_trip(message);
  return message;
}

}  // namespace sharechain::fuzz
