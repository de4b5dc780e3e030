#include "proto/address.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "proto/crypto.hpp"

namespace sharechain::crypto {
namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
// BIP 350: the constant a bech32m checksum leaves the polynomial at (bech32 used 1).
constexpr std::uint32_t kBech32mConstant = 0x2bc830a3;
constexpr std::size_t kChecksumSize = 6;
constexpr std::size_t kDataSize = 32;  // 160 bits in 5-bit groups, no padding

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  constexpr std::array<std::uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                                       0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (std::size_t i = 0; i < kGenerator.size(); ++i) {
      if ((top >> i) & 1) chk ^= kGenerator[i];
    }
  }
  return chk;
}

// The human part enters the checksum as its high bits, a zero, then its low bits.
std::vector<std::uint8_t> checksum_input(const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> v;
  v.reserve(kAddressHrp.size() * 2 + 1 + data.size() + kChecksumSize);
  for (char c : kAddressHrp) v.push_back(static_cast<std::uint8_t>(c) >> 5);
  v.push_back(0);
  for (char c : kAddressHrp) v.push_back(static_cast<std::uint8_t>(c) & 31);
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

std::vector<std::uint8_t> to_groups(std::string_view bytes) {
  std::vector<std::uint8_t> out;
  out.reserve(kDataSize);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<std::uint8_t>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 31));
    }
  }
  return out;  // 160 bits leave no remainder
}

std::string from_groups(const std::vector<std::uint8_t>& groups) {
  std::string out;
  out.reserve(kAddressSize);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t g : groups) {
    acc = (acc << 5) | g;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

Status not_an_address(std::string_view text, const std::string& why) {
  return Status::invalid_argument("'" + std::string(text) + "' is not an address: " + why);
}

}  // namespace

std::string encode_address(std::string_view address20) {
  const std::vector<std::uint8_t> data = to_groups(address20);
  std::vector<std::uint8_t> input = checksum_input(data);
  input.insert(input.end(), kChecksumSize, 0);
  const std::uint32_t mod = polymod(input) ^ kBech32mConstant;
  std::string out(kAddressHrp);
  out += '1';
  for (std::uint8_t g : data) out += kCharset[g];
  for (std::size_t i = 0; i < kChecksumSize; ++i) out += kCharset[(mod >> (5 * (kChecksumSize - 1 - i))) & 31];
  return out;
}

bool is_legacy_address(std::string_view text) {
  if (!text.starts_with(kAddressHrp)) return false;
  text.remove_prefix(kAddressHrp.size());
  return text.size() == kAddressSize * 2 && from_hex(text).has_value();
}

Result<std::string> read_address(std::string_view text) {
  if (text.empty()) return Status::invalid_argument("an address is empty");
  if (is_legacy_address(text)) return *from_hex(text.substr(kAddressHrp.size()));

  bool has_upper = false, has_lower = false;
  for (char c : text) {
    has_upper |= (c >= 'A' && c <= 'Z');
    has_lower |= (c >= 'a' && c <= 'z');
  }
  if (has_upper && has_lower) return not_an_address(text, "it mixes upper- and lower-case letters");
  std::string s;
  s.reserve(text.size());
  for (char c : text) s += lower(c);

  const std::string prefix = std::string(kAddressHrp) + "1";
  if (!s.starts_with(prefix)) {
    return not_an_address(text, "addresses start with '" + prefix + "'");
  }
  if (s.size() != kAddressTextSize) {
    return not_an_address(text, "it has " + std::to_string(s.size()) + " characters; an address has " +
                                    std::to_string(kAddressTextSize) + ", so one is missing or extra");
  }
  std::vector<std::uint8_t> values;
  values.reserve(s.size() - prefix.size());
  for (std::size_t i = prefix.size(); i < s.size(); ++i) {
    const std::size_t at = kCharset.find(s[i]);
    if (at == std::string_view::npos) {
      return not_an_address(text, "character " + std::to_string(i + 1) + " ('" + std::string(1, text[i]) +
                                      "') is never used in addresses (they use " + std::string(kCharset) +
                                      " after 'sc1'), so it is mistyped");
    }
    values.push_back(static_cast<std::uint8_t>(at));
  }
  const std::vector<std::uint8_t> data(values.begin(), values.end() - kChecksumSize);
  std::vector<std::uint8_t> input = checksum_input(data);
  input.insert(input.end(), values.end() - kChecksumSize, values.end());
  if (polymod(input) != kBech32mConstant) {
    return not_an_address(text, "its checksum does not match, so a character is mistyped or two are swapped");
  }
  return from_groups(data);
}

}  // namespace sharechain::crypto
