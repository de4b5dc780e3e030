// Deterministic key encodings and the display forms used in events and messages.
//
// Keys are ASCII namespaces ("ledger/acct/") followed by raw components: 20-byte addresses,
// 16-byte ids and fixed-width big-endian integers, so that byte order equals numeric order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sharechain::contracts {

inline constexpr std::size_t kIdSize = 16;

std::string be64(std::uint64_t v);
std::string be32(std::uint32_t v);
// Decodes 8 big-endian bytes; nullopt for any other length.
std::optional<std::uint64_t> read_be64(std::string_view bytes);

// Concatenates key parts.
template <typename... Parts>
std::string key(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// "sc" + 40 hex for 20-byte addresses; plain hex for anything else (ids, hashes).
std::string show_address(std::string_view address20);
std::string show_id(std::string_view id);

bool is_address(std::string_view bytes);
bool is_id(std::string_view bytes);

}  // namespace sharechain::contracts
