#include "contracts/vehicles/vin.hpp"

#include <array>

namespace sharechain::contracts::vehicles {

namespace {

// ISO 3779 values of the letters A to Z; '0' marks I, O and Q, which a VIN may not hold.
constexpr std::string_view kLetterValues = "12345678012345070923456789";

// The character's value, or -1 when a VIN may not hold it.
int transliterate(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c < 'A' || c > 'Z') return -1;
  int v = kLetterValues[static_cast<std::size_t>(c - 'A')] - '0';
  return v == 0 ? -1 : v;
}

constexpr std::array<int, kVinLength> kWeights = {8, 7, 6, 5, 4, 3, 2, 10, 0,
                                                  9, 8, 7, 6, 5, 4, 3, 2};

}  // namespace

char vin_check_digit(std::string_view vin) {
  if (vin.size() != kVinLength) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < kVinLength; ++i) {
    int v = transliterate(vin[i]);
    if (v < 0) return '\0';
    sum += v * kWeights[i];
  }
  int digit = sum % 11;
  return digit == 10 ? 'X' : static_cast<char>('0' + digit);
}

std::string vin_problem(std::string_view vin) {
  std::string shown = "\"" + std::string(vin.substr(0, 40)) + "\"";
  if (vin.size() != kVinLength) {
    return shown + " is not a vehicle identification number: a VIN has 17 characters, this has " +
           std::to_string(vin.size());
  }
  for (std::size_t i = 0; i < kVinLength; ++i) {
    if (transliterate(vin[i]) < 0) {
      return shown + " is not a vehicle identification number: character " + std::to_string(i + 1) +
             " is not one of 0-9 and A-Z without I, O and Q";
    }
  }
  if (vin[0] >= '1' && vin[0] <= '5') {
    char expected = vin_check_digit(vin);
    if (vin[8] != expected) {
      return shown + " is not a valid North American vehicle identification number: its check " +
             "digit (9th character) is " + std::string(1, vin[8]) + ", the other characters " +
             "give " + std::string(1, expected);
    }
  }
  return "";
}

bool valid_vin(std::string_view vin) { return vin_problem(vin).empty(); }

}  // namespace sharechain::contracts::vehicles
