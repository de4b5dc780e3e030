// Text addresses: bech32m (BIP 350's checksum over BIP 173's character set) with the human part
// "sc", so a person who copies an address by hand and gets one character wrong, or swaps two,
// is told so instead of sending to an account nobody holds. On the wire and in state an address
// stays its 20 raw bytes; only the text form carries the checksum.
//
//   sc1 + 32 data characters (the 160 bits, 5 at a time) + 6 checksum characters = 41 characters
//
// The form without a checksum ("sc" + 40 hex digits, which every release before this one
// printed) is still read, so genesis files and scripts written earlier keep working; it is
// never printed.
#pragma once

#include <string>
#include <string_view>

#include "proto/status.hpp"

namespace sharechain::crypto {

inline constexpr std::string_view kAddressHrp = "sc";
inline constexpr std::size_t kAddressTextSize = 41;

// The checksummed text form of a 20-byte address (lower case).
std::string encode_address(std::string_view address20);

// The 20 raw bytes of a text address, or INVALID_ARGUMENT saying what is wrong with it in words
// a person can act on (a character that addresses never use, a checksum that does not match,
// a wrong length). Accepts upper or lower case (not mixed), and the legacy hex form.
Result<std::string> read_address(std::string_view text);

// True for the legacy "sc" + 40 hex form (no checksum).
bool is_legacy_address(std::string_view text);

}  // namespace sharechain::crypto
