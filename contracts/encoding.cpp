#include "contracts/encoding.hpp"

#include "contracts/amounts.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts {

std::string be64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::string be32(std::uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<std::uint64_t> read_be64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::string show_address(std::string_view address20) {
  if (address20.size() == crypto::kAddressSize) return crypto::format_address(address20);
  return crypto::to_hex(address20);
}

std::string show_id(std::string_view id) { return crypto::to_hex(id); }

bool is_address(std::string_view bytes) { return bytes.size() == crypto::kAddressSize; }
bool is_id(std::string_view bytes) { return bytes.size() == kIdSize; }

std::string format_units(std::uint64_t units) {
  // Digits grouped by thousands, then the credit value with two decimals.
  auto group = [](std::uint64_t v) {
    std::string digits = std::to_string(v);
    std::string out;
    int n = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++n) {
      if (n != 0 && n % 3 == 0) out.insert(out.begin(), ',');
      out.insert(out.begin(), *it);
    }
    return out;
  };
  std::uint64_t cents = units % kUnitsPerCredit;
  std::string frac = (cents < 10 ? "0" : "") + std::to_string(cents);
  return group(units) + " units (" + group(units / kUnitsPerCredit) + "." + frac + " credits)";
}

}  // namespace sharechain::contracts
