// Calendar months from block timestamps, in integer arithmetic only (UTC, proleptic Gregorian).
#pragma once

#include <cstdint>

namespace sharechain::contracts::financing {

struct YearMonth {
  std::uint32_t year = 1970;
  std::uint32_t month = 1;  // 1..12
};

// The UTC calendar month containing `ms` milliseconds after 1970-01-01T00:00:00Z. Times past the
// end of year 9999 count as December 9999, so a period index always fits 32 bits.
YearMonth month_of(std::uint64_t ms);
// year x 12 + (month - 1): consecutive months have consecutive indexes.
std::uint32_t period_index(const YearMonth& ym);

}  // namespace sharechain::contracts::financing
