// CLI11 helpers shared by the tools.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace sharechain::tools {

// Strict decimal: digits only, no sign, within [min, max]. CLI11 2.1 reads integers with
// strtoull(…, 0), which wraps "-5" to a huge number and reads "0100" as octal 64; for amounts
// that is a silent error, so every integer option goes through this validator, which also
// rewrites the value without leading zeros before CLI11 converts it.
CLI::Validator decimal(std::uint64_t min = 0,
                       std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

// The same rule for text outside CLI11; nullopt when `text` is not a decimal in range.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t min = 0,
                                           std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

}  // namespace sharechain::tools
