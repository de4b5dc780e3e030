#include "tools/common/cli.hpp"

#include <charconv>
#include <string>

namespace sharechain::tools {

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t min, std::uint64_t max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

CLI::Validator decimal(std::uint64_t min, std::uint64_t max) {
  std::string desc = "UINT";
  if (min != 0 || max != std::numeric_limits<std::uint64_t>::max()) {
    desc += " in [" + std::to_string(min) + " - " + std::to_string(max) + "]";
  }
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        const auto value = parse_decimal(text, min, max);
        if (!value) {
          return "'" + text + "' is not a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max);
        }
        text = std::to_string(*value);
        return "";
      },
      desc, "decimal");
}

}  // namespace sharechain::tools
