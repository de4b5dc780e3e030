// Checked integer arithmetic for money and counters. Overflow is a refusal, never a wrap.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace sharechain::contracts {

inline constexpr std::uint64_t kUnitsPerCredit = 100;
inline constexpr std::uint64_t kBasisPoints = 10'000;

inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<std::uint64_t> checked_sub(std::uint64_t a, std::uint64_t b) {
  if (b > a) return std::nullopt;
  return a - b;
}

inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// "12,345 units (123.45 credits)": how amounts appear in refusal messages.
std::string format_units(std::uint64_t units);

}  // namespace sharechain::contracts
