#include "contracts/financing/calendar.hpp"

namespace sharechain::contracts::financing {

namespace {
constexpr std::uint64_t kDayMs = 86'400'000;
constexpr std::uint32_t kLastYear = 9999;
}  // namespace

YearMonth month_of(std::uint64_t ms) {
  // Days since the epoch to a civil date, counting in 400-year eras of 146,097 days that start
  // on March 1st, so the leap day is the last day of its year (after H. Hinnant's algorithm).
  // Everything is non-negative here because the days count from 1970.
  std::uint64_t z = ms / kDayMs + 719'468;  // days since 0000-03-01
  std::uint64_t era = z / 146'097;
  std::uint64_t doe = z - era * 146'097;                                         // [0, 146096]
  std::uint64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                   // [0, 365]
  std::uint64_t mp = (5 * doy + 2) / 153;                                        // [0, 11]
  std::uint64_t month = mp < 10 ? mp + 3 : mp - 9;
  std::uint64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year > kLastYear) return {kLastYear, 12};
  return {static_cast<std::uint32_t>(year), static_cast<std::uint32_t>(month)};
}

std::uint32_t period_index(const YearMonth& ym) { return ym.year * 12 + (ym.month - 1); }

}  // namespace sharechain::contracts::financing
