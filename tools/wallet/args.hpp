// Values the contract commands read from the command line. Each parser names the option in its
// usage error, so a mistake is reported before anything is signed or sent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/common/outcome.hpp"

namespace sharechain::wallet {

// A contract record id (asset, agreement, reservation, session, model): 32 hex digits.
tools::Outcome<std::string> parse_id(std::string_view text, std::string_view option);
// A 32-byte hash: 64 hex digits.
tools::Outcome<std::string> parse_hash32(std::string_view text, std::string_view option);
// A point in time: milliseconds since 1970, or UTC "YYYY-MM-DDTHH:MM[:SS][Z]".
tools::Outcome<std::uint64_t> parse_time_ms(std::string_view text, std::string_view option);
// A time of day "HH:MM" as minutes after midnight, 00:00 to 24:00.
tools::Outcome<std::uint32_t> parse_minute_of_day(std::string_view text, std::string_view option);
// A whole number within [min, max].
tools::Outcome<std::uint64_t> parse_number(std::string_view text, std::string_view option,
                                           std::uint64_t min = 0,
                                           std::uint64_t max = UINT64_MAX);
// "a:b:c" -> {"a", "b", "c"}; exactly `min`..`max` fields, else a usage error that shows `form`.
tools::Outcome<std::vector<std::string>> split_fields(std::string_view text, std::size_t min,
                                                      std::size_t max, std::string_view option,
                                                      std::string_view form);
// "5000,4000,500,500" -> numbers.
tools::Outcome<std::vector<std::uint64_t>> parse_number_list(std::string_view text,
                                                             std::string_view option,
                                                             std::uint64_t max);

}  // namespace sharechain::wallet
