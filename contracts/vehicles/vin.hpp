// Vehicle identification numbers (ISO 3779).
//
// What is enforced: exactly 17 characters of 0-9 and upper-case A-Z without I, O and Q (they
// read as 1 and 0). When the first character is 1-5 (a manufacturer in North America, where
// FMVSS 115 makes the check digit mandatory) the 9th character must also be the check digit:
// each character is transliterated (digits as themselves; A-H 1-8, J-N 1-5, P 7, R 9, S-Z 2-9),
// multiplied by the weight of its position (8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2) and summed;
// the sum modulo 11 is the check digit, 10 written as X. Other regions do not all use a check
// digit, so it is not required there.
#pragma once

#include <string>
#include <string_view>

namespace sharechain::contracts::vehicles {

inline constexpr std::size_t kVinLength = 17;

// The check digit a VIN's 9th character should hold ('0'-'9' or 'X'); '\0' when the VIN has
// the wrong length or a character outside the alphabet.
char vin_check_digit(std::string_view vin);
// Empty when `vin` is valid; otherwise why not, in words a user understands.
std::string vin_problem(std::string_view vin);
bool valid_vin(std::string_view vin);

}  // namespace sharechain::contracts::vehicles
