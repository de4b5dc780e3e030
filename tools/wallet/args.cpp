#include "tools/wallet/args.hpp"

#include <ctime>

#include "proto/crypto.hpp"
#include "tools/common/cli.hpp"

namespace sharechain::wallet {

using tools::Failure;
using tools::Outcome;

namespace {

Failure bad(std::string_view option, std::string_view text, std::string_view expected) {
  return Failure::usage(std::string(option) + " '" + std::string(text) + "' is not " +
                        std::string(expected));
}

Outcome<std::string> parse_hex_of(std::string_view text, std::size_t bytes, std::string_view option,
                                  std::string_view what) {
  auto raw = crypto::from_hex(text);
  if (!raw || raw->size() != bytes) {
    return bad(option, text, std::string(what) + " (" + std::to_string(2 * bytes) + " hex digits)");
  }
  return *raw;
}

}  // namespace

Outcome<std::string> parse_id(std::string_view text, std::string_view option) {
  return parse_hex_of(text, 16, option, "an id");
}

Outcome<std::string> parse_hash32(std::string_view text, std::string_view option) {
  return parse_hex_of(text, 32, option, "a hash");
}

Outcome<std::uint64_t> parse_number(std::string_view text, std::string_view option, std::uint64_t min,
                                    std::uint64_t max) {
  const auto v = tools::parse_decimal(text, min, max);
  if (!v) {
    return bad(option, text, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *v;
}

Outcome<std::uint64_t> parse_time_ms(std::string_view text, std::string_view option) {
  if (auto ms = tools::parse_decimal(text)) return *ms;
  // YYYY-MM-DDTHH:MM[:SS][Z], always UTC: block time is UTC and the chain knows no time zones.
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  std::tm tm{};
  int consumed = 0;
  const char* expected = "a time (milliseconds since 1970, or UTC YYYY-MM-DDTHH:MM[:SS]Z)";
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &consumed) != 5) {
    return bad(option, text, expected);
  }
  if (static_cast<std::size_t>(consumed) < s.size()) {
    int extra = 0;
    if (std::sscanf(s.c_str() + consumed, ":%2d%n", &tm.tm_sec, &extra) != 1 ||
        static_cast<std::size_t>(consumed + extra) != s.size()) {
      return bad(option, text, expected);
    }
  }
  const int year = tm.tm_year, month = tm.tm_mon, day = tm.tm_mday, hour = tm.tm_hour,
            minute = tm.tm_min, second = tm.tm_sec;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59) {
    return bad(option, text, expected);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = ::timegm(&tm);
  // timegm normalises 31 February into March; a date that moved did not exist.
  if (t < 0 || tm.tm_mday != day || tm.tm_mon != month - 1) return bad(option, text, "a real date");
  return static_cast<std::uint64_t>(t) * 1000;
}

Outcome<std::uint32_t> parse_minute_of_day(std::string_view text, std::string_view option) {
  const auto colon = text.find(':');
  const auto h = colon == std::string_view::npos ? std::nullopt : tools::parse_decimal(text.substr(0, colon), 0, 24);
  const auto m = colon == std::string_view::npos ? std::nullopt : tools::parse_decimal(text.substr(colon + 1), 0, 59);
  if (!h || !m || colon > 2 || text.size() - colon - 1 != 2 || (*h == 24 && *m != 0)) {
    return bad(option, text, "a time of day HH:MM (00:00 to 24:00, UTC)");
  }
  return static_cast<std::uint32_t>(*h * 60 + *m);
}

Outcome<std::vector<std::string>> split_fields(std::string_view text, std::size_t min, std::size_t max,
                                               std::string_view option, std::string_view form) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    fields.emplace_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (fields.size() < min || fields.size() > max) return bad(option, text, "of the form " + std::string(form));
  return fields;
}

Outcome<std::vector<std::uint64_t>> parse_number_list(std::string_view text, std::string_view option,
                                                      std::uint64_t max) {
  std::vector<std::uint64_t> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string_view part =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const auto v = tools::parse_decimal(part, 0, max);
    if (!v) return bad(option, text, "a comma-separated list of whole numbers");
    out.push_back(*v);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace sharechain::wallet
